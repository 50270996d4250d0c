"""Bulk enrollment writes history in bulk, naming the caller; ingest and unenrollment too."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.memo import forget_everything
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


def _bulk_enroll_history(jwt_client, *, learners: int) -> list[str]:
    """Enroll ``learners`` x 3 runs (half the emails unknown) in one request; its queries but the records' inserts."""
    admin = jwt_client("license_manager", roles=["enrollment_admins"], lms_user_id=90001)
    runs = [CourseRunFactory() for _ in range(3)]
    known = [UserFactory(email=f"n{learners}known{i}@example.com") for i in range(learners // 2)]
    emails = [user.email for user in known] + [f"n{learners}new{i}@example.com" for i in range(learners // 2)]
    items = [{"email": email, "course_run_key": run.key} for email in emails for run in runs]
    admin.post(BULK, {"enrollments_info": items[:1]}, format="json")  # warm-up: authenticates the caller
    Enrollment.objects.all().delete()
    PendingEnrollment.objects.all().delete()
    Enrollment.history.all().delete()  # type: ignore[attr-defined]
    PendingEnrollment.history.all().delete()  # type: ignore[attr-defined]
    forget_everything()  # both sizes read their caller as a process's first request does (core.memo)

    with CaptureQueriesContext(connection) as captured:
        response = admin.post(BULK, {"enrollments_info": items}, format="json")

    assert response.status_code == 202, response.json()
    pairs = learners // 2 * len(runs)
    enrollment_history = Enrollment.history.all()  # type: ignore[attr-defined]
    assert enrollment_history.count() == pairs == Enrollment.objects.count()
    assert set(enrollment_history.values_list("history_type", "history_source")) == {("+", "API license_manager")}
    pending_history = PendingEnrollment.history.all()  # type: ignore[attr-defined]
    assert pending_history.count() == pairs == PendingEnrollment.objects.count()
    assert set(pending_history.values_list("history_type", "history_source")) == {("+", "API license_manager")}
    history_inserts = [
        q["sql"] for q in captured.captured_queries if "INSERT INTO" in q["sql"] and "historical" in q["sql"]
    ]
    assert len(history_inserts) == 2  # one INSERT ... SELECT per model, however many rows (up to 500 per statement)
    # The records' own INSERTs come in batches of the database's parameter limit (SQLite: a few hundred
    # rows); everything else, history included, must not depend on the number of rows.
    records = ('INTO "enrollments_enrollment" ', 'INTO "enrollments_pendingenrollment" ')
    return [q["sql"][:150] for q in captured.captured_queries if not any(table in q["sql"] for table in records)]


def test_bulk_enrollment_history_costs_the_same_queries_for_12_and_360_pairs(jwt_client):
    """History rows are copied by one INSERT ... SELECT per model and batch: no per-row write or read."""
    small = _bulk_enroll_history(jwt_client, learners=4)
    large = _bulk_enroll_history(jwt_client, learners=120)
    assert len(large) == len(small), "\n".join(large)
