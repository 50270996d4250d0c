"""Bulk enrollment writes history in bulk, naming the caller; ingest and unenrollment too."""

import pytest

from enrollments.models import Enrollment, PendingEnrollment
from tests.factories import CourseRunFactory, UserFactory

pytestmark = pytest.mark.django_db

BULK = "/api/enrollments/v1/bulk_enroll/"


def test_bulk_enrollment_writes_one_history_row_per_enrollment_and_pending_row(jwt_client):
    admin = jwt_client("license_manager", roles=["enrollment_admins"], lms_user_id=90001)
    runs = [CourseRunFactory() for _ in range(3)]
    known = [UserFactory(email=f"known{i}@example.com") for i in range(4)]
    items = [{"email": user.email, "course_run_key": run.key} for user in known for run in runs]
    items += [{"email": f"new{i}@example.com", "course_run_key": run.key} for i in range(2) for run in runs]

    response = admin.post(BULK, {"enrollments_info": items}, format="json")

    assert response.status_code == 202, response.json()
    enrollment_history = Enrollment.history.all()  # type: ignore[attr-defined]
    assert enrollment_history.count() == 12 == Enrollment.objects.count()
    assert set(enrollment_history.values_list("history_type", "history_source")) == {("+", "API license_manager")}
    assert {row.history_user.username for row in enrollment_history} == {"license_manager"}
    pending_history = PendingEnrollment.history.all()  # type: ignore[attr-defined]
    assert pending_history.count() == 6 == PendingEnrollment.objects.count()
    assert set(pending_history.values_list("history_type", "history_source")) == {("+", "API license_manager")}


def test_pending_rows_realised_on_arrival_record_their_deletion_and_the_enrollment(
    jwt_client, django_capture_on_commit_callbacks
):
    run = CourseRunFactory()
    PendingEnrollment.objects.create(email="late@example.com", course_run=run)
    issuer = jwt_client("lms_worker", roles=["credential_issuers"])

    with django_capture_on_commit_callbacks(execute=True):
        response = issuer.post(
            "/api/enrollments/v1/enrollments/",
            {"username": "late", "email": "late@example.com", "course_run_key": CourseRunFactory().key},
            format="json",
        )

    assert response.status_code in (200, 201), response.json()
    deleted = PendingEnrollment.history.filter(history_type="-")  # type: ignore[attr-defined]
    assert list(deleted.values_list("email", flat=True)) == ["late@example.com"]
    realised = Enrollment.history.filter(course_run=run)  # type: ignore[attr-defined]
    assert list(realised.values_list("history_type", flat=True)) == ["+"]
