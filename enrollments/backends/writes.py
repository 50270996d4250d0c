"""The bulk writes both backends share: a few statements per batch, safe against concurrent writers."""

from django.db import connection

from enrollments.models import Enrollment, PendingEnrollment

BATCH_SIZE = 1000


def enrollment_rows_upsert(rows: list[Enrollment]) -> None:
    """Insert these enrollments; a row a concurrent writer inserted meanwhile is updated instead.

    Updates ``is_active``, ``mode``, ``license_uuid`` and ``modified`` on conflict with the
    (learner, course run) unique constraint.
    """
    if not rows:
        return
    # MySQL's ON DUPLICATE KEY UPDATE takes no conflict target; PostgreSQL and SQLite need one.
    unique_fields = ["learner", "course_run"] if connection.features.supports_update_conflicts_with_target else None
    Enrollment.objects.bulk_create(
        rows,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        update_fields=["is_active", "mode", "license_uuid", "modified"],
        unique_fields=unique_fields,
    )


def pending_rows_insert(rows: list[PendingEnrollment]) -> None:
    """Insert these pending enrollments; ones that already exist (same email and run) are left alone."""
    if rows:
        PendingEnrollment.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
