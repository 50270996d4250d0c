"""POST /api/enrollments/v1/enrollments/: enrollments recorded as learner records."""

import pytest

from enrollments.models import Enrollment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/enrollments/v1/enrollments/"
RUN_KEY = "course-v1:edX+DemoX+1T2024"


@pytest.fixture
def issuer(jwt_client):
    return jwt_client("lms_worker", roles=["credential_issuers"])


def test_enrollment_by_username_then_deactivated(issuer):
    body = {"username": "ana", "course_run_key": RUN_KEY, "mode": "verified"}
    created = issuer.post(URL, body, format="json")
    assert created.status_code == 201
    assert created.json()["is_active"] is True
    updated = issuer.post(URL, body | {"is_active": False}, format="json")
    assert updated.status_code == 200
    enrollment = Enrollment.objects.get()
    assert (enrollment.mode, enrollment.is_active) == ("verified", False)


def test_enrollment_by_lms_user_id_or_email_of_a_known_learner(issuer):
    ana = UserFactory(username="ana", lms_user_id=7, email="ana@example.com")
    assert issuer.post(URL, {"lms_user_id": 7, "course_run_key": RUN_KEY}, format="json").status_code == 201
    other_run = "course-v1:edX+DemoX+2T2024"
    assert issuer.post(URL, {"email": "ANA@example.com", "course_run_key": other_run}, format="json").status_code == 201
    assert Enrollment.objects.filter(learner=ana).count() == 2


def test_unknown_learner_without_username_is_400(issuer):
    response = issuer.post(URL, {"lms_user_id": 404, "course_run_key": RUN_KEY}, format="json")
    assert response.status_code == 400
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"course_run_key": RUN_KEY}, {"username": "ana", "course_run_key": "bad"}, {"username": "ana", "is_active": "x"}],
)
def test_bad_enrollment_input_is_400(issuer, body):
    assert issuer.post(URL, body, format="json").status_code == 400
    assert not Enrollment.objects.exists()


def test_enrollment_ingest_refuses_other_roles(jwt_client, api_client):
    body = {"username": "ana", "course_run_key": RUN_KEY}
    assert api_client.post(URL, body, format="json").status_code == 401
    assert jwt_client("ana").post(URL, body, format="json").status_code == 403


def test_a_new_enrollment_in_a_stored_run_costs_thirteen_statements(issuer, django_assert_max_num_queries):
    """The answer names the run the writer was given: it is not read again (one statement more before)."""
    issuer.post(URL, {"username": "ana", "course_run_key": RUN_KEY}, format="json")  # the run and the token's user

    with django_assert_max_num_queries(13):
        response = issuer.post(URL, {"username": "ben", "course_run_key": RUN_KEY}, format="json")

    assert response.status_code == 201
    assert response.json()["course_run_key"] == RUN_KEY
