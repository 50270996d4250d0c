"""edx-enterprise's enroll_learners_in_courses, as license-manager calls it, answered by bulk enrollment (ADR 0010)."""

import uuid

import pytest

from enrollments.models import Enrollment, PendingEnrollment
from enrollments.services import pending_enrollments_realize
from tests.factories import CourseRunFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CUSTOMER = uuid.UUID("3b8e5c1f-0000-4000-8000-00000000e001")
ENTERPRISE_URL = f"/enterprise/api/v1/enterprise-customer/{CUSTOMER}/enroll_learners_in_courses/"
BULK_URL = "/api/enrollments/v1/bulk_enroll/"


@pytest.fixture(autouse=True)
def _local_backend(settings):
    settings.ENROLLMENT_BACKEND = "local"


@pytest.fixture
def license_manager(jwt_client):
    """license-manager's service worker, holding the enrollment_admins role."""
    return jwt_client("license_manager_worker", roles=["enrollment_admins"], lms_user_id=90001)


@pytest.fixture
def run():
    return CourseRunFactory(key="course-v1:edX+DemoX+1T2024", title="Demo")


def test_license_managers_bulk_enrollment_task_body(license_manager, run):
    """Exactly what license-manager's enterprise_enrollment_license_subsidy_task posts, and what it reads back."""
    ana = UserFactory(username="ana", email="ana@example.com", lms_user_id=42)
    license_uuid = uuid.uuid4()
    options = {
        "licenses_info": [{"email": "ana@example.com", "course_run_key": run.key, "license_uuid": str(license_uuid)}],
        "notify": True,
    }
    response = license_manager.post(ENTERPRISE_URL, options, format="json")
    assert response.status_code == 201, response.json()
    result = response.json()
    # The rows license-manager's task writes to its results CSV.
    rows = [[item.get("email"), item.get("course_run_key"), "success", ""] for item in result["successes"]]
    rows += [[item.get("email"), item.get("course_run_key"), "pending", ""] for item in result["pending"]]
    rows += [[item.get("email"), item.get("course_run_key"), "failed", ""] for item in result["failures"]]
    assert rows == [["ana@example.com", run.key, "success", ""]]
    assert result["successes"] == [
        {"email": "ana@example.com", "user_id": 42, "course_run_key": run.key, "created": True}
    ]
    assert "invalid_email_addresses" not in result  # as edx-enterprise: only when there are some
    enrollment = Enrollment.objects.get(learner=ana, course_run=run)
    assert (enrollment.license_uuid, enrollment.enterprise_customer_uuid) == (license_uuid, CUSTOMER)


def test_activation_links_are_echoed_on_success_and_pending(license_manager, run):
    UserFactory(email="ana@example.com", lms_user_id=42)
    body = {
        "licenses_info": [
            {
                "email": "ana@example.com",
                "course_run_key": run.key,
                "license_uuid": str(uuid.uuid4()),
                "activation_link": "https://learner.example.com/licenses/a/activate",
            },
            {
                "email": "new@example.com",
                "course_run_key": run.key,
                "license_uuid": str(uuid.uuid4()),
                "activation_link": "https://learner.example.com/licenses/b/activate",
            },
        ],
        "notify": False,
    }
    response = license_manager.post(ENTERPRISE_URL, body, format="json")
    assert response.status_code == 202
    [success], [pending] = response.json()["successes"], response.json()["pending"]
    assert success["activation_link"] == "https://learner.example.com/licenses/a/activate"
    assert pending == {
        "email": "new@example.com",
        "course_run_key": run.key,
        "created": True,
        "activation_link": "https://learner.example.com/licenses/b/activate",
    }


def test_the_customer_uuid_follows_a_pending_enrollment_into_the_enrollment(license_manager, run):
    body = {"licenses_info": [{"email": "later@example.com", "course_run_key": run.key}], "notify": False}
    assert license_manager.post(ENTERPRISE_URL, body, format="json").status_code == 202
    assert PendingEnrollment.objects.get().enterprise_customer_uuid == CUSTOMER
    learner = UserFactory(email="later@example.com")
    pending_enrollments_realize(learner=learner)
    assert Enrollment.objects.get(learner=learner).enterprise_customer_uuid == CUSTOMER


def test_an_existing_enrollment_records_the_customer_uuid(license_manager, run):
    ana = UserFactory(email="ana@example.com")
    EnrollmentFactory(learner=ana, course_run=run)
    body = {"enrollments_info": [{"email": "ana@example.com", "course_run_key": run.key}]}
    response = license_manager.post(ENTERPRISE_URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["successes"][0]["created"] is False
    assert Enrollment.objects.get(learner=ana).enterprise_customer_uuid == CUSTOMER


def test_the_projects_path_records_no_customer(license_manager, run):
    UserFactory(email="ana@example.com")
    body = {"licenses_info": [{"email": "ana@example.com", "course_run_key": run.key}]}
    assert license_manager.post(BULK_URL, body, format="json").status_code == 201
    assert Enrollment.objects.get().enterprise_customer_uuid is None


@pytest.mark.parametrize("url", [BULK_URL, ENTERPRISE_URL])
def test_licenses_info_and_enrollments_info_together_is_a_400(license_manager, run, url):
    pair = {"email": "ana@example.com", "course_run_key": run.key}
    response = license_manager.post(url, {"licenses_info": [pair], "enrollments_info": [pair]}, format="json")
    assert response.status_code == 400
    assert "licenses_info" in response.json()["errors"]
    assert not PendingEnrollment.objects.exists()


def test_errors_in_licenses_info_are_named_by_its_path(license_manager, run):
    response = license_manager.post(ENTERPRISE_URL, {"licenses_info": [{"email": "a@example.com"}]}, format="json")
    assert response.status_code == 400
    assert "licenses_info.0.course_run_key" in response.json()["errors"]
    assert license_manager.post(ENTERPRISE_URL, {"licenses_info": []}, format="json").status_code == 400
    assert license_manager.post(ENTERPRISE_URL, {"notify": True}, format="json").status_code == 400


def test_invalid_emails_and_user_ids_are_listed_alongside_failures(license_manager, run):
    body = {
        "enrollments_info": [
            {"email": "not-an-email", "course_run_key": run.key},
            {"email": "not-an-email", "course_run_key": "course-v1:edX+Other+1T2024"},
            {"user_id": 777, "course_run_key": run.key},
        ]
    }
    response = license_manager.post(BULK_URL, body, format="json")
    assert response.status_code == 409
    result = response.json()
    assert result["invalid_email_addresses"] == ["not-an-email"]
    assert result["invalid_user_ids"] == [777]
    assert [failure["code"] for failure in result["failures"]] == ["invalid_email", "invalid_email", "unknown_user_id"]
    # A client reading only the status and detail sees a conflict with a message.
    assert result["detail"]


def test_on_edx_enterprises_path_invalid_pairs_are_listed_once_as_edx_enterprise_does(license_manager, run):
    UserFactory(email="ana@example.com")
    body = {
        "licenses_info": [
            {"email": "not-an-email", "course_run_key": run.key},
            {"user_id": 777, "course_run_key": run.key},
            {"email": "ana@example.com", "course_run_key": run.key},
        ],
        "notify": False,
    }
    response = license_manager.post(ENTERPRISE_URL, body, format="json")
    assert response.status_code == 409
    result = response.json()
    assert (result["invalid_email_addresses"], result["invalid_user_ids"]) == (["not-an-email"], [777])
    assert result["failures"] == []
    assert [item["email"] for item in result["successes"]] == ["ana@example.com"]


def test_enterprise_path_needs_the_enrollment_admin_role(jwt_client, run):
    body = {"licenses_info": [{"email": "a@example.com", "course_run_key": run.key}]}
    assert jwt_client("someone").post(ENTERPRISE_URL, body, format="json").status_code == 403
    assert not PendingEnrollment.objects.exists()


def test_a_malformed_customer_uuid_is_a_json_404(license_manager):
    response = license_manager.post(
        "/enterprise/api/v1/enterprise-customer/nope/enroll_learners_in_courses/", {}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"
