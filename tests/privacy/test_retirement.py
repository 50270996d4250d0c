"""POST /api/v1/retire_user/: the Open edX retirement driver retires a learner; every PII copy goes, records stay."""

import json
import logging

import pytest
from django.contrib.auth.models import Permission
from social_django.models import UserSocialAuth

from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from credit import api as credit_api
from credit.models import CreditEligibility, CreditRequest, CreditRequirementStatus
from enrollments.models import Enrollment, PendingEnrollment
from privacy.api import retired_email, retired_username
from tests.credit.factories import CreditCourseFactory, CreditProviderFactory
from tests.factories import CourseRunFactory, CredentialFactory, EnrollmentFactory, GradeFactory, UserFactory

pytestmark = pytest.mark.django_db

RETIRE_URL = "/api/v1/retire_user/"
CREDIT_COURSE = "course-v1:edX+DemoX+1T2015"
USERNAME, EMAIL, FULL_NAME = "ana_lovelace_77", "ana.lovelace@example.com", "Ana Ada Lovelace"
MAILING_ADDRESS, COUNTRY = "12 Analytical Engine Row, London", "GB"
PII = (USERNAME, EMAIL, FULL_NAME, MAILING_ADDRESS)


@pytest.fixture
def worker(jwt_client, settings):
    settings.RETIREMENT_SERVICE_WORKER_USERNAME = "retirement_worker"
    return jwt_client("retirement_worker")


@pytest.fixture
def ana(settings):
    """A learner with every kind of record and every copy of her PII this service keeps."""
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "abcd1234"}
    learner = UserFactory(
        username=USERNAME, email=EMAIL, lms_user_id=77, full_name=FULL_NAME, first_name="Ana", last_name="Lovelace"
    )
    run = CourseRunFactory()
    CredentialFactory(learner=learner, course_run=run)
    GradeFactory(learner=learner, course_run=run)
    EnrollmentFactory(learner=learner, course_run=run)
    # Invited to another run before her account was known here: a pending row holds her email.
    PendingEnrollment.objects.create(email=EMAIL, course_run=CourseRunFactory())
    CreditCourseFactory(course_key=CREDIT_COURSE, enabled=True)
    credit_api.set_credit_requirements(
        CREDIT_COURSE, [{"namespace": "grade", "name": "grade", "display_name": "Grade", "criteria": {}}]
    )
    credit_api.set_credit_requirement_status(learner, CREDIT_COURSE, "grade", "grade", reason={"final_grade": 0.9})
    CreditProviderFactory(provider_id="hogwarts", enable_integration=True)
    credit_api.create_credit_request(CREDIT_COURSE, "hogwarts", USERNAME)
    request = CreditRequest.objects.get(learner=learner)
    # The provider-facing copy of the mailing address and country (the learner's profile, when known).
    request.parameters |= {"user_mailing_address": MAILING_ADDRESS, "user_country": COUNTRY}
    request.save()
    # Signed in through the LMS once: the social-auth link holds her LMS username and the LMS's tokens.
    UserSocialAuth.objects.create(user=learner, provider="edx-oauth2", uid=USERNAME, extra_data={"email": EMAIL})
    return learner


def records_of(learner: User) -> dict[str, int]:
    return {
        "credentials": CourseRunCredential.objects.filter(learner=learner).count(),
        "grades": Grade.objects.filter(learner=learner).count(),
        "enrollments": Enrollment.objects.filter(learner=learner).count(),
        "statuses": CreditRequirementStatus.objects.filter(learner=learner).count(),
        "eligibilities": CreditEligibility.objects.filter(learner=learner).count(),
        "requests": CreditRequest.objects.filter(learner=learner).count(),
    }


def pii_copies_left() -> list[str]:
    """Every stored text that still holds one of Ana's PII values: rows, their history, credit parameters."""
    found = []
    for user in User.objects.all():
        found += [f"user {value}" for value in (user.username, user.email, user.full_name) if value in PII]
        found += [f"user name {user.first_name} {user.last_name}" for _ in [1] if user.first_name == "Ana"]
    for model in (PendingEnrollment, PendingEnrollment.history.model):  # type: ignore[attr-defined]
        found += [f"{model.__name__} {row.email}" for row in model.objects.filter(email=EMAIL)]
    for model in (CreditRequest, CreditRequest.history.model):  # type: ignore[attr-defined]
        for row in model.objects.all():
            text = json.dumps(row.parameters)
            found += [f"{model.__name__} {value}" for value in (*PII, f'"{COUNTRY}"') if value in text]
    for link in UserSocialAuth.objects.all():
        text = f"{link.uid} {json.dumps(link.extra_data)}"
        found += [f"UserSocialAuth {value}" for value in PII if value in text]
    return found


def test_retirement_replaces_every_pii_copy_and_keeps_the_records(worker, ana, caplog):
    before = records_of(ana)
    assert pii_copies_left(), "the fixture stores PII in every place retirement must reach"

    with caplog.at_level(logging.DEBUG):
        response = worker.post(RETIRE_URL, {"lms_user_id": 77, "original_username": USERNAME}, format="json")

    assert response.status_code == 204, response.content
    ana.refresh_from_db()
    assert ana.username == retired_username(USERNAME) and ana.username.startswith("retired__user_")
    assert ana.email == retired_email(EMAIL) and ana.email.endswith("@retired.invalid")
    assert (ana.first_name, ana.last_name, ana.full_name) == ("", "", "")
    assert not ana.is_active and not ana.has_usable_password() and ana.retired_at is not None
    assert ana.lms_user_id == 77  # the driver's key: a second call finds the row
    assert records_of(ana) == before  # statistics do not change
    assert pii_copies_left() == []
    parameters = CreditRequest.objects.get(learner=ana).parameters
    assert parameters["user_username"] == ana.username and parameters["user_email"] == ana.email
    assert (parameters["user_full_name"], parameters["user_mailing_address"], parameters["user_country"]) == ("",) * 3
    assert not PendingEnrollment.objects.exists()
    logged = " ".join(json.dumps(record.__dict__, default=str) for record in caplog.records)
    assert "learner_retired" in logged
    assert not [value for value in PII if value in logged]


def test_retirement_is_idempotent(worker, ana):
    body = {"lms_user_id": 77, "original_username": USERNAME}
    assert worker.post(RETIRE_URL, body, format="json").status_code == 204
    ana.refresh_from_db()
    retired = (ana.username, ana.email, ana.retired_at)

    again = worker.post(RETIRE_URL, body, format="json")

    assert again.status_code == 204
    ana.refresh_from_db()
    assert (ana.username, ana.email, ana.retired_at) == retired
    assert pii_copies_left() == []


def test_a_learner_known_only_by_username_is_retired_and_found_again(worker):
    learner = UserFactory(username="bo_only_name", email="bo@example.com", lms_user_id=None)
    body = {"lms_user_id": 5, "original_username": "bo_only_name"}
    assert worker.post(RETIRE_URL, body, format="json").status_code == 204
    assert worker.post(RETIRE_URL, body, format="json").status_code == 204
    learner.refresh_from_db()
    assert learner.username == retired_username("bo_only_name") and learner.retired_at


def test_a_username_held_by_another_lms_user_is_not_retired(worker):
    other = UserFactory(username="same_name", lms_user_id=9)
    response = worker.post(RETIRE_URL, {"lms_user_id": 8, "original_username": "same_name"}, format="json")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.username == "same_name" and other.retired_at is None


def test_an_unknown_learner_is_a_404_the_driver_treats_as_done(worker, db):
    response = worker.post(RETIRE_URL, {"lms_user_id": 404, "original_username": "nobody"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"lms_user_id": 77},
        {"original_username": USERNAME},
        {"lms_user_id": "77", "original_username": USERNAME},
        {"lms_user_id": 0, "original_username": USERNAME},
        {"lms_user_id": 77, "original_username": ""},
        {"lms_user_id": 77, "original_username": 5},
        {"lms_user_id": 77, "original_username": "x" * 151},
    ],
)
def test_bad_input_is_a_400_that_changes_nothing(worker, ana, body):
    response = worker.post(RETIRE_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    ana.refresh_from_db()
    assert ana.username == USERNAME and ana.retired_at is None


def test_only_the_retirement_worker_and_superusers_may_retire(jwt_client, api_client, ana, settings):
    settings.RETIREMENT_SERVICE_WORKER_USERNAME = "retirement_worker"
    body = {"lms_user_id": 77, "original_username": USERNAME}
    assert api_client.post(RETIRE_URL, body, format="json").status_code == 401
    assert jwt_client("support_staff", administrator=True).post(RETIRE_URL, body, format="json").status_code == 403
    assert jwt_client(USERNAME, lms_user_id=77).post(RETIRE_URL, body, format="json").status_code == 403
    reader = jwt_client("reader", roles=["learner_status_readers", "credential_issuers"])
    assert reader.post(RETIRE_URL, body, format="json").status_code == 403
    ana.refresh_from_db()
    assert ana.retired_at is None

    UserFactory(username="root", is_superuser=True, is_staff=True)
    assert jwt_client("root").post(RETIRE_URL, body, format="json").status_code == 204


def test_a_late_ingest_for_a_retired_learner_attaches_to_the_retired_row(worker, ana, jwt_client):
    assert worker.post(RETIRE_URL, {"lms_user_id": 77, "original_username": USERNAME}, format="json").status_code == 204
    issuer = jwt_client("lms_worker", roles=["credential_issuers"])
    body = {"username": USERNAME, "lms_user_id": 77, "email": EMAIL, "course_run_key": CourseRunFactory().key}
    response = issuer.post(
        "/api/credentials/v1/course_run_credentials/", body | {"status": "awarded", "type": "verified"}, format="json"
    )
    assert response.status_code == 201, response.json()
    ana.refresh_from_db()
    assert ana.username == retired_username(USERNAME) and ana.email == retired_email(EMAIL)
    assert pii_copies_left() == []


def test_a_retired_learner_still_counts_in_status_answers(worker, ana, jwt_client):
    run_key = CourseRunCredential.objects.get(learner=ana).course_run.key
    assert worker.post(RETIRE_URL, {"lms_user_id": 77, "original_username": USERNAME}, format="json").status_code == 204
    reader = jwt_client("reader", roles=["learner_status_readers"])
    response = reader.post(
        "/api/credentials/v1/learner_cert_status/", {"lms_user_id": 77, "course_runs": [run_key]}, format="json"
    )
    assert response.status_code == 200
    assert [item["status"] for item in response.json()["status"]] == ["awarded"]


def test_no_eligibility_email_goes_to_a_retired_learner(worker, ana, mailoutbox):
    from credit.services import credit_eligibility_email_send

    assert worker.post(RETIRE_URL, {"lms_user_id": 77, "original_username": USERNAME}, format="json").status_code == 204
    eligibility = CreditEligibility.objects.get(learner=ana)
    mailoutbox.clear()
    assert credit_eligibility_email_send(eligibility_id=eligibility.pk) is False
    assert mailoutbox == []


def test_the_admin_retires_a_learner_with_records_instead_of_deleting(client, ana):
    admin_user = UserFactory(username="admin_root", is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    change_url = f"/admin/core/user/{ana.pk}/delete/"
    assert client.get(change_url).status_code == 403  # no delete for a learner with records

    response = client.post(
        "/admin/core/user/", {"action": "retire_learners", "_selected_action": [str(ana.pk)]}, follow=True
    )

    assert response.status_code == 200
    ana.refresh_from_db()
    assert ana.retired_at is not None and ana.username == retired_username(USERNAME)
    assert pii_copies_left() == []
    assert ana.credentials.count() == 1  # type: ignore[attr-defined]


def test_the_admin_retire_action_needs_a_superuser(client, ana):
    staff = UserFactory(username="staff_only", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(staff)
    client.post("/admin/core/user/", {"action": "retire_learners", "_selected_action": [str(ana.pk)]})
    ana.refresh_from_db()
    assert ana.retired_at is None


def test_without_retirement_salts_retirement_is_a_503_that_changes_nothing(worker, ana, settings):
    settings.RETIRED_USER_SALTS = []  # production without the LMS's salts
    response = worker.post(RETIRE_URL, {"lms_user_id": 77, "original_username": USERNAME}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "retirement-not-configured"
    ana.refresh_from_db()
    assert ana.username == USERNAME and ana.retired_at is None
