"""Hostile input anywhere in a request is a JSON 400 (or 401 for a token) and changes nothing.

These values pass some checks and then break inside the database: PostgreSQL refuses NUL in text,
integers beyond 64 bits overflow every database, and DRF coerces ``5`` to a UUID and ``"yes"`` to
True. The suite runs on SQLite, PostgreSQL and MariaDB, so each case is proven on all three.
"""

import jwt as pyjwt
import pytest
from django.conf import settings as django_settings

from core.exceptions import InvalidLearnerIdentity
from core.jwt import encode_jwt
from core.models import User
from core.services import learner_get_or_create
from credit import api as credit_api
from credit.models import CreditRequirement
from enrollments.models import Enrollment, PendingEnrollment
from programs.models import Program, SyncRun
from tests.credit.conftest import COURSE_KEY
from tests.credit.factories import CreditCourseFactory, CreditProviderFactory
from tests.factories import CourseRunFactory, UserFactory

pytestmark = pytest.mark.django_db

STATUS_URL = "/api/credentials/v1/learner_cert_status/"
CREDENTIALS_URL = "/api/credentials/v1/course_run_credentials/"
RUN_KEY = "course-v1:edX+DemoX+1T2024"


@pytest.fixture
def reader(jwt_client):
    return jwt_client("support", roles=["learner_status_readers"])


def assert_json_400(response, where=None):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    if where is not None:
        assert where in body["detail"] or where in body.get("errors", {}), body
    return body


def test_nul_inside_a_json_value_is_refused_before_it_reaches_the_database(jwt_client):
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    admin = jwt_client("credit_admin", roles=["credit_admins"])
    requirements = [{"namespace": "grade", "name": "grade", "display_name": "Grade", "criteria": {"x": "a\x00b"}}]
    response = admin.put(f"/api/credit/v1/courses/{COURSE_KEY}/requirements/", requirements, format="json")
    body = assert_json_400(response, "0.criteria.x")
    assert body["code"] == "parse-error"
    assert not CreditRequirement.objects.exists()


def test_nul_inside_a_json_key_is_refused(reader):
    response = reader.post(
        "/api/credentials/v1/bulk_learner_cert_status/",
        [{"username": "ana", "course_runs": [RUN_KEY]}, {"username": "bob", "course_runs": [RUN_KEY], "x\x00": 1}],
        format="json",
    )
    assert_json_400(response, "1.x")


@pytest.mark.parametrize(
    "url",
    [
        "/api/credentials/v1/learners/a%00b/programs/",
        "/api/credit/v1/providers/a%00b/",
        "/api/programs/v1/programs/?status=%00",
        "/support/?q=%00",
        "/support/learners/%00/",
    ],
)
def test_nul_in_the_url_is_a_json_400(jwt_client, url):
    client = jwt_client("staff_user", administrator=True)
    response = client.get(url)
    body = assert_json_400(response)
    assert body["code"] == "bad-request"
    assert "NUL" in body["detail"]


@pytest.mark.parametrize("lms_user_id", [2**63, -(2**70)])
def test_integers_beyond_64_bits_are_a_400(reader, lms_user_id):
    body = {"lms_user_id": lms_user_id, "course_runs": [RUN_KEY]}
    assert_json_400(reader.post(STATUS_URL, body, format="json"), "lms_user_id")


def test_ingest_with_an_overflowing_lms_user_id_stores_nothing(jwt_client):
    issuer = jwt_client("lms_worker", roles=["credential_issuers"])
    body = {"username": "ana", "lms_user_id": 2**70, "course_run_key": RUN_KEY, "status": "awarded", "type": "verified"}
    assert_json_400(issuer.post(CREDENTIALS_URL, body, format="json"), "lms_user_id")
    assert not User.objects.filter(username="ana").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ana", "courses": [123]}, "courses.0"),
        ({"username": "ana", "course_runs": [RUN_KEY], "include_incomplete": "yes"}, "include_incomplete"),
        ({"username": "ana", "course_runs": [RUN_KEY], "include_incomplete": 1}, "include_incomplete"),
    ],
)
def test_values_of_the_wrong_json_type_are_refused_not_coerced(reader, body, field):
    errors = assert_json_400(reader.post(STATUS_URL, body, format="json"))["errors"]
    assert field in errors


def test_program_uuid_must_be_a_string(reader):
    response = reader.post(
        "/api/credentials/v1/learner_program_status/", {"username": "ana", "program_uuid": 5}, format="json"
    )
    assert "program_uuid" in assert_json_400(response)["errors"]


@pytest.mark.parametrize(
    "claims",
    [{"lms_user_id": 2**70}, {"lms_user_id": "7"}, {"lms_user_id": 0}],
    ids=["overflowing", "string", "zero"],
)
def test_tokens_with_an_invalid_user_id_are_refused(api_client, claims):
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username='ana', **claims)}")
    response = api_client.post(STATUS_URL, {"username": "ana", "course_runs": [RUN_KEY]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "authn"
    assert not User.objects.filter(username="ana").exists()


def test_token_with_an_unusable_username_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username='x' * 151)}")
    response = api_client.post(STATUS_URL, {"username": "ana", "course_runs": [RUN_KEY]}, format="json")
    assert response.status_code == 401
    assert not User.objects.exists()


def test_email_claim_is_stored_lower_cased_and_stays_so(api_client):
    UserFactory(username="ana", lms_user_id=7, email="ana@example.com")
    token = encode_jwt(username="ana", lms_user_id=7, email="Ana@Example.COM")
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    assert api_client.post(STATUS_URL, {"username": "ana", "course_runs": [RUN_KEY]}, format="json").status_code == 200
    assert User.objects.get(username="ana").email == "ana@example.com"


def test_unknown_learner_with_include_incomplete_looks_like_a_learner_without_records(reader):
    run = CourseRunFactory(key=RUN_KEY)
    UserFactory(username="known", lms_user_id=8)
    asked = {"course_runs": [RUN_KEY], "courses": [str(run.course.uuid)], "include_incomplete": True}
    known = reader.post(STATUS_URL, {"username": "known", **asked}, format="json").json()
    unknown = reader.post(STATUS_URL, {"username": "nobody", **asked}, format="json").json()
    assert unknown == {"lms_user_id": None, "username": "nobody", "status": known["status"]}
    assert sorted(item["status"] for item in unknown["status"]) == ["not_enrolled", "not_enrolled"]


def test_unmatched_api_url_is_json_even_with_debug_on(api_client, settings):
    settings.DEBUG = True
    response = api_client.get("/api/credentials/v1/nope/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not-found"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/programs/v1/programs/", {"title": "T", "uuid": 5}, "uuid"),
        ("/api/programs/v1/syncs/", {"dry_run": "yes"}, "dry_run"),
        ("/api/programs/v1/syncs/", {"program_uuids": [7]}, "program_uuids.0"),
    ],
)
def test_program_writes_refuse_coercible_values(jwt_client, url, body, field):
    publisher = jwt_client("publisher", roles=["catalog_publishers"])
    assert field in assert_json_400(publisher.post(url, body, format="json"))["errors"]
    assert not Program.objects.exists() and not SyncRun.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/enrollments/v1/bulk_enroll/",
            {"enrollments_info": [{"email": "a@example.com", "course_run_key": RUN_KEY, "license_uuid": 5}]},
            "enrollments_info.0.license_uuid",
        ),
        (
            "/api/enrollments/v1/bulk_enroll/",
            {"enrollments_info": [{"email": "a@example.com", "course_run_key": RUN_KEY}], "notify": "yes"},
            "notify",
        ),
        (
            "/api/enrollments/v1/enrollments/",
            {"username": "ana", "course_run_key": RUN_KEY, "mode": "verified", "is_active": "false"},
            "is_active",
        ),
    ],
)
def test_enrollment_writes_refuse_coercible_values(jwt_client, url, body, field):
    CourseRunFactory(key=RUN_KEY)
    admin = jwt_client("admin", roles=["enrollment_admins", "credential_issuers"])
    assert field in assert_json_400(admin.post(url, body, format="json"))["errors"]
    assert not Enrollment.objects.exists() and not PendingEnrollment.objects.exists()


def test_a_views_own_404_keeps_its_message_under_debug(jwt_client, settings):
    settings.DEBUG = True
    client = jwt_client("staff_user", administrator=True)
    uuid = "5b1f2c3d-0000-4000-8000-0000000000ff"
    response = client.get(f"/api/programs/v1/programs/{uuid}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert uuid in response.content.decode(), "the view's message names the program, not a generic 'no resource'"


def test_a_write_without_the_trailing_slash_is_a_json_404_naming_the_url(jwt_client, settings):
    settings.DEBUG = True  # where Django would raise instead of redirecting a POST
    client = jwt_client("publisher", roles=["catalog_publishers"])
    response = client.post("/api/programs/v1/programs", {"title": "T"}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"] == "API URLs end with a slash: /api/programs/v1/programs/"
    assert not Program.objects.exists()


def test_a_format_no_renderer_serves_is_a_not_found_envelope(jwt_client):
    response = jwt_client("staff_user", administrator=True).get("/api/programs/v1/programs/?format=xml")
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


def test_deeply_nested_json_is_a_400_not_a_recursion_error(api_client, db):
    # The provider must exist: an unknown one is 404 before the body is read, as in the LMS.
    CreditProviderFactory(provider_id="hogwarts")
    for depth in (40, 5000):
        body = "[" * depth + "]" * depth
        response = api_client.post("/api/credit/v1/providers/hogwarts/callback/", body, content_type="application/json")
        assert response.status_code == 400, depth
        assert response.json()["code"] == "parse-error"
        assert "nested more than" in response.json()["detail"]


def test_an_unpaired_surrogate_in_a_json_object_is_refused_and_nothing_stored(jwt_client):
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    admin = jwt_client("credit_admin", roles=["credit_admins"])
    body = '[{"namespace": "grade", "name": "grade", "display_name": "Grade", "criteria": {"why": "\\ud800"}}]'
    response = admin.put(f"/api/credit/v1/courses/{COURSE_KEY}/requirements/", body, content_type="application/json")
    assert "0.criteria.why" in assert_json_400(response)["detail"]
    assert not CreditRequirement.objects.exists()


@pytest.mark.parametrize(
    "claims",
    [
        {"username": "ana\ud800"},
        {"username": "ana", "email": 5},
        {"username": "ana", "email": "a" * 250 + "@x.io"},
        {"username": "ana", "administrator": "yes"},
    ],
    ids=["surrogate-username", "non-string-email", "overlong-email", "string-administrator"],
)
def test_tokens_with_unusable_claims_are_a_json_401(api_client, claims):
    payload = pyjwt.decode(
        encode_jwt(username="placeholder"), options={"verify_signature": False}, algorithms=["HS256"]
    )
    payload["preferred_username"] = claims.pop("username")
    payload.update(claims)
    token = pyjwt.encode(payload, django_settings.JWT_SECRET_KEY, algorithm="HS256")
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    response = api_client.post(STATUS_URL, {"username": "ana", "course_runs": [RUN_KEY]}, format="json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("identifiers", "field"),
    [
        ({"username": "x" * 151}, "username"),
        ({"username": ""}, "username"),
        ({"username": "ana", "lms_user_id": 2**63}, "lms_user_id"),
        ({"username": "ana", "email": "a" * 250 + "@x.io"}, "email"),
    ],
)
def test_no_write_path_reaches_the_database_with_identifiers_it_cannot_hold(identifiers, field):
    with pytest.raises(InvalidLearnerIdentity) as refused:
        learner_get_or_create(**identifiers)
    assert field in refused.value.detail
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    credit_api.set_credit_requirements(
        COURSE_KEY, [{"namespace": "grade", "name": "grade", "display_name": "Grade", "criteria": {}}]
    )
    if field == "username":  # the credit Python API names learners by username
        with pytest.raises(InvalidLearnerIdentity):
            credit_api.set_credit_requirement_status(identifiers["username"], COURSE_KEY, "grade", "grade")
    assert not User.objects.exists()
