"""Every stored username has a console page; new ones follow the LMS's username rule.

A learner ingested as ``a/b`` made every search that found them (``s``, ``x``, ``example.com``)
answer 500, since their page's URL could not be built, and the page itself was unreachable. Console
routes now take any stored username, and every write path refuses usernames the LMS could not hold
(edx-platform's ``USERNAME_REGEX_PARTIAL`` and ``USERNAME_MIN_LENGTH``) with a JSON 400.
"""

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework import status

from core.jwt import encode_jwt
from core.models import User
from credentials_status.models import CourseRunCredential
from enrollments.models import Enrollment
from tests.conftest import grant
from tests.credit.conftest import COURSE_KEY
from tests.credit.factories import CreditCourseFactory
from tests.factories import CourseRunFactory, CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

RUN_KEY = "course-v1:edX+DemoX+1T2024"
# Stored before ingest checked usernames (or by hand): each must still have a working page.
STORED_USERNAMES = ["sx/slash", "x?query", "x#fragment", "x%41percent", "x y space", "x/ends/", "Zoë/ünï"]


@pytest.fixture
def support() -> Client:
    user = UserFactory(username="agent")
    grant(user, "learner_status_readers")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def stored_learners(db: None) -> list[User]:
    run = CourseRunFactory(key=RUN_KEY)
    learners = [
        UserFactory(username=name, email=f"learner{index}@example.com") for index, name in enumerate(STORED_USERNAMES)
    ]
    for learner in learners:
        CredentialFactory(learner=learner, course_run=run)
    return learners


@pytest.mark.parametrize("query", ["s", "x", "example.com"])
def test_common_searches_list_every_learner_with_a_working_link(support, stored_learners, query):
    response = support.post("/support/", {"q": query})

    assert response.status_code == status.HTTP_200_OK
    found = {learner.username for learner in response.context["results"]}
    assert {name for name in STORED_USERNAMES if query in name} <= found
    assert found >= (set(STORED_USERNAMES) if query in "example.com" else set())
    html = response.content.decode()
    for name in found:
        assert f'href="/support/learners/{quote(name, safe="/~:@!$&()*+,;=")}/"' in html.replace("&amp;", "&")


@pytest.mark.parametrize("username", STORED_USERNAMES)
def test_every_stored_username_has_a_learner_page(support, stored_learners, username):
    url = reverse("support:learner", args=[username])
    response = support.get(url)

    assert response.status_code == status.HTTP_200_OK, url
    assert response.context["learner"].username == username


@pytest.mark.parametrize("username", STORED_USERNAMES)
def test_every_stored_username_can_be_read_through_the_api(jwt_client, stored_learners, username):
    staff = jwt_client("staff_user", administrator=True)
    response = staff.get(reverse("credentials_v1:learner_programs", args=[username]))
    assert response.status_code == status.HTTP_200_OK, response.content


# --- New usernames follow the LMS's rule -------------------------------------------------------------
INGEST_CALLS = [
    (
        "/api/credentials/v1/course_run_credentials/",
        {"course_run_key": RUN_KEY, "status": "awarded", "type": "verified"},
    ),
    ("/api/credentials/v1/grades/", {"course_run_key": RUN_KEY, "percent_grade": "0.9"}),
    ("/api/enrollments/v1/enrollments/", {"course_run_key": RUN_KEY}),
]


@pytest.mark.parametrize("username", ["a/b", "a", "semi;colon", "tab\there", "quote'", "a\u200bzero-width"])
@pytest.mark.parametrize(("url", "fields"), INGEST_CALLS)
def test_ingest_refuses_usernames_the_lms_could_not_hold(jwt_client, url, fields, username):
    issuer = jwt_client("issuer", roles=["credential_issuers"])

    response = issuer.post(url, {"username": username, **fields}, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    body = response.json()
    assert body["code"] == "validation"
    assert body["errors"]["username"] == [
        "A username is 2 to 150 characters: letters, digits, spaces and _ . @ + - (the LMS's rule)."
    ]
    assert not User.objects.filter(username=username).exists()
    assert not CourseRunCredential.objects.exists()
    assert not Enrollment.objects.exists()


def test_credit_status_refuses_a_username_the_lms_could_not_hold(jwt_client):
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    admin = jwt_client("credit_admin", roles=["credit_admins"])
    admin.put(
        f"/api/credit/v1/courses/{COURSE_KEY}/requirements/",
        [{"namespace": "grade", "name": "grade", "display_name": "Grade", "criteria": {}}],
        format="json",
    )
    response = admin.put(
        f"/api/credit/v1/courses/{COURSE_KEY}/requirements/status/",
        {"username": "a/b", "namespace": "grade", "name": "grade", "status": "satisfied"},
        format="json",
    )
    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert "username" in response.json()["errors"]
    assert not User.objects.filter(username="a/b").exists()


@pytest.mark.parametrize("username", ["ab", "José Ñúñez", "a.b@c+d-e_f", "名前", "x" * 150])
def test_ingest_accepts_every_username_the_lms_allows(jwt_client, username):
    issuer = jwt_client("issuer", roles=["credential_issuers"])
    response = issuer.post(
        "/api/credentials/v1/course_run_credentials/",
        {"username": username, "course_run_key": RUN_KEY, "status": "awarded", "type": "verified"},
        format="json",
    )
    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert User.objects.filter(username=username).exists()


@pytest.mark.parametrize("claims", [{}, {"lms_user_id": 77}])
def test_a_token_for_a_username_the_lms_could_not_issue_is_a_401(api_client, claims):
    """Refused the same way with or without user_id: no row is created and no request is served."""
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username='a/b', **claims)}")

    response = api_client.get("/api/programs/v1/programs/")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["detail"] == "The token's preferred_username is not a valid username."
    assert not User.objects.exists()
