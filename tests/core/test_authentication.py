"""JWT authentication and roles: which tokens and users are refused, and which are let in."""

from io import StringIO

import freezegun
import jwt as pyjwt
import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.authentication import AUTHENTICATED_LEARNER_SECONDS
from core.jwt import encode_jwt
from core.models import User
from tests.conftest import grant
from tests.factories import CredentialFactory

pytestmark = pytest.mark.django_db

STATUS_URL = "/api/credentials/v1/learner_cert_status/"


def status_body(username="ana"):
    return {"username": username, "course_runs": ["course-v1:edX+DemoX+1T2024"]}


def post_with_token(token, body=None):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    return client.post(STATUS_URL, body or status_body(), format="json")


def assert_401(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["code"] == "authn"
    assert body["status"] == 401
    assert response["WWW-Authenticate"].startswith("JWT")


def test_anonymous_request_is_401_json():
    assert_401(APIClient().post(STATUS_URL, status_body(), format="json"))


@pytest.mark.parametrize(
    "claims",
    [
        {"expires_in": -120},
        {"secret": "a-different-secret-of-thirty-two-bytes-or-more"},
        {"issuer": "https://evil.example/oauth2"},
        {"audience": "some-other-service"},
    ],
    ids=["expired", "wrong-signature", "wrong-issuer", "wrong-audience"],
)
def test_bad_tokens_are_401(claims):
    User.objects.create(username="ana", lms_user_id=7)
    assert_401(post_with_token(encode_jwt(username="ana", lms_user_id=7, **claims)))


def test_token_without_expiry_is_401(settings):
    token = pyjwt.encode(
        {"preferred_username": "ana", "iss": settings.JWT_ISSUER, "aud": settings.JWT_AUDIENCE, "iat": 1},
        settings.JWT_SECRET_KEY,
        algorithm="HS256",
    )
    assert_401(post_with_token(token))


def test_unsigned_token_is_401(settings):
    token = pyjwt.encode(
        {"preferred_username": "ana", "iss": settings.JWT_ISSUER, "aud": settings.JWT_AUDIENCE, "exp": 9999999999},
        key=None,
        algorithm="none",
    )
    assert_401(post_with_token(token))


def test_garbage_and_wrong_prefix_are_401():
    assert_401(post_with_token("not-a-jwt"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {encode_jwt(username='ana')}")
    assert_401(client.post(STATUS_URL, status_body(), format="json"))


def test_a_jwt_sent_as_a_bearer_token_gets_a_401_saying_to_use_the_jwt_prefix():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {encode_jwt(username='ana')}")
    response = client.post(STATUS_URL, status_body(), format="json")
    assert response.status_code == 401
    assert "Authorization: JWT <token>" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("JWT")


def test_inactive_user_is_refused():
    User.objects.create(username="ana", is_active=False)
    response = post_with_token(encode_jwt(username="ana"))
    assert response.status_code == 401


def test_a_learner_deactivated_here_is_refused_at_the_next_request():
    # The learner's row is remembered for a few seconds between requests (core.authentication._learners_read);
    # a save in this process (the admin, retirement) forgets it at once.
    token = encode_jwt(username="ana")
    assert post_with_token(token).status_code == 200
    assert post_with_token(token).status_code == 200  # the remembered row
    ana = User.objects.get(username="ana")
    ana.is_active = False
    ana.save()
    assert_401(post_with_token(token))


def test_a_learner_deactivated_behind_the_orm_is_refused_within_seconds():
    # Another process's change (here a bulk UPDATE, which sends no signal) shows once the remembered row expires.
    with freezegun.freeze_time("2027-01-04 10:00:00") as clock:
        token = encode_jwt(username="ana")
        assert post_with_token(token).status_code == 200
        assert post_with_token(token).status_code == 200
        User.objects.filter(username="ana").update(is_active=False)
        clock.tick(AUTHENTICATED_LEARNER_SECONDS + 1)
        assert_401(post_with_token(token))


def test_valid_token_maps_claims_onto_the_user():
    response = post_with_token(encode_jwt(username="ana", lms_user_id=7, email="Ana@Example.com"))
    assert response.status_code == 200
    user = User.objects.get(username="ana")
    assert user.lms_user_id == 7
    assert user.email == "ana@example.com"  # stored lower-cased, as every ingest stores it
    assert not user.is_staff


def _user_statements(token):
    """The statements a status request with ``token`` runs on core_user (not its group table), upper-cased."""
    with CaptureQueriesContext(connection) as queries:
        assert post_with_token(token).status_code == 200
    statements = [q["sql"].upper() for q in queries.captured_queries]
    return [sql for sql in statements if "CORE_USER" in sql.replace("CORE_USER_GROUPS", "")]


def test_a_returning_learner_whose_claims_have_not_changed_is_read_once_and_never_written():
    token = encode_jwt(username="ana", lms_user_id=7, email="ana@example.com", name="Ana Lima")
    _user_statements(token)  # the first request creates the learner
    statements = _user_statements(token)
    # One read for authentication and one for the answer's learner: no lock, no write.
    assert len(statements) == 2, statements
    assert not [sql for sql in statements if "FOR UPDATE" in sql or not sql.lstrip().startswith("SELECT")]


@pytest.mark.parametrize(
    "changed",
    [{"email": "ana.lima@example.com"}, {"name": "Ana Lima Souza"}],
    ids=["email", "name"],
)
def test_a_claim_that_changed_since_the_last_request_is_stored(changed):
    claims = {"username": "ana", "lms_user_id": 7, "email": "ana@example.com", "name": "Ana Lima"}
    assert post_with_token(encode_jwt(**claims)).status_code == 200
    assert post_with_token(encode_jwt(**{**claims, **changed})).status_code == 200
    user = User.objects.get(username="ana")
    assert (user.email, user.full_name) == (
        changed.get("email", "ana@example.com"),
        changed.get("name", "Ana Lima"),
    )


def test_a_returning_learner_under_a_new_username_is_still_renamed():
    assert post_with_token(encode_jwt(username="ana", lms_user_id=7)).status_code == 200
    # The old username's row is found first by username: its LMS id differs from nothing, but the new
    # username has no row, so the full identity path renames it.
    assert post_with_token(encode_jwt(username="ana_lima", lms_user_id=7), status_body("ana_lima")).status_code == 200
    assert list(User.objects.values_list("username", "lms_user_id")) == [("ana_lima", 7)]


def test_administrator_claim_makes_staff_who_may_read_anyone_without_storing_it():
    CredentialFactory(learner__username="bob", course_run__key="course-v1:edX+DemoX+1T2024")
    response = post_with_token(encode_jwt(username="admin", administrator=True), status_body("bob"))
    assert response.status_code == 200
    assert len(response.json()["status"]) == 1
    # The claim governs the request it came with; a later token without it is not staff.
    assert not User.objects.get(username="admin").is_staff
    assert post_with_token(encode_jwt(username="admin"), status_body("bob")).status_code == 403


def test_an_administrator_token_grants_no_admin_sign_in(client):
    User.objects.create_user(username="admin", password="pw-123-secret")
    assert post_with_token(encode_jwt(username="admin", administrator=True)).status_code == 200
    assert client.login(username="admin", password="pw-123-secret")
    assert client.get("/admin/").status_code == 302  # to the admin's login page: not staff there
    assert client.get("/support/").status_code == 403


def test_grant_role_staff_survives_a_non_administrator_token_and_governs_session_sign_in(client):
    from django.core.management import call_command

    user = User.objects.create_user(username="lead", password="pw-123-secret")
    call_command("grant_role", "lead", "staff", stdout=StringIO())
    assert post_with_token(encode_jwt(username="lead", administrator=False), status_body("bob")).status_code == 403
    user.refresh_from_db()
    assert user.is_staff  # the token did not undo the grant
    assert client.login(username="lead", password="pw-123-secret")
    assert client.get("/admin/").status_code == 200
    assert client.get("/support/").status_code == 200


def test_learner_may_not_read_another_learner(jwt_client):
    response = jwt_client("ana", lms_user_id=7).post(STATUS_URL, status_body("bob"), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "authz"


def test_learner_may_read_self_by_lms_user_id_but_not_another_id(jwt_client):
    client = jwt_client("ana", lms_user_id=7)
    own = client.post(STATUS_URL, {"lms_user_id": 7, "courses": [], "course_runs": ["course-v1:a+b+c"]}, format="json")
    other = client.post(STATUS_URL, {"lms_user_id": 8, "course_runs": ["course-v1:a+b+c"]}, format="json")
    assert own.status_code == 200
    assert other.status_code == 403


def test_reader_role_may_read_anyone(jwt_client):
    client = jwt_client("support", roles=["learner_status_readers"])
    assert client.post(STATUS_URL, status_body("bob"), format="json").status_code == 200


def test_other_roles_do_not_grant_reading(jwt_client):
    client = jwt_client("publisher", roles=["catalog_publishers", "credential_issuers", "enrollment_admins"])
    assert client.post(STATUS_URL, status_body("bob"), format="json").status_code == 403


@override_settings(LEARNER_STATUS_WORKERS=["subscriptions_worker"])
def test_learner_status_workers_setting_grants_reader_role():
    response = post_with_token(encode_jwt(username="subscriptions_worker"), status_body("bob"))
    assert response.status_code == 200
    denied = post_with_token(encode_jwt(username="another_worker"), status_body("bob"))
    assert denied.status_code == 403


def test_jwt_with_known_lms_user_id_under_new_username_renames_the_learner():
    old = User.objects.create(username="ana_old", lms_user_id=7)
    CredentialFactory(learner=old, course_run__key="course-v1:edX+DemoX+1T2024")
    response = post_with_token(encode_jwt(username="ana_new", lms_user_id=7), status_body("ana_new"))
    assert response.status_code == 200
    assert response.json()["status"][0]["course_run"]["key"] == "course-v1:edX+DemoX+1T2024"
    old.refresh_from_db()
    assert old.username == "ana_new"
    assert User.objects.filter(lms_user_id=7).count() == 1


def test_jwt_naming_a_username_held_by_another_lms_user_is_refused():
    User.objects.create(username="ana", lms_user_id=7)
    response = post_with_token(encode_jwt(username="ana", lms_user_id=8))
    assert response.status_code == 401
    assert User.objects.get(username="ana").lms_user_id == 7


def test_session_login_works_for_the_browsable_api_with_csrf_enforced(client):
    user = User.objects.create_user(username="support", password="pw-123-secret")
    grant(user, "learner_status_readers")
    assert client.login(username="support", password="pw-123-secret")
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(STATUS_URL, status_body("bob"), format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def _rsa_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_asymmetric_tokens_verify_against_the_configured_jwk_set(settings):
    import json
    import time

    trusted, stranger = _rsa_key(), _rsa_key()
    jwk = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(trusted.public_key()))
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": json.dumps({"keys": [jwk]})}
    now = int(time.time())
    claims = {
        "preferred_username": "ana",
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "version": "1.2.0",
    }
    assert post_with_token(pyjwt.encode(claims, trusted, algorithm="RS256")).status_code == 200
    assert_401(post_with_token(pyjwt.encode(claims, stranger, algorithm="RS256")))
