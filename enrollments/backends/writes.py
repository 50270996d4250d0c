"""The bulk writes both backends share: a few statements per batch, safe against concurrent writers."""

from collections.abc import Iterable

from django.db import connection

from core.db import chunked
from core.history import history_bulk_record, history_record_pks
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.selectors import CHUNK

BATCH_SIZE = 1000


def enrollment_rows_upsert(rows: list[Enrollment]) -> None:
    """Insert these enrollments; a row a concurrent writer inserted meanwhile is updated instead.

    Updates ``is_active``, ``mode``, ``license_uuid``, ``enterprise_customer_uuid`` and ``modified`` on
    conflict with the (learner, course run) unique constraint.
    """
    if not rows:
        return
    # MySQL's ON DUPLICATE KEY UPDATE takes no conflict target; PostgreSQL and SQLite need one.
    unique_fields = ["learner", "course_run"] if connection.features.supports_update_conflicts_with_target else None
    written = Enrollment.objects.bulk_create(
        rows,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        update_fields=["is_active", "mode", "license_uuid", "enterprise_customer_uuid", "modified"],
        unique_fields=unique_fields,
    )
    if all(row.pk is not None for row in written):  # PostgreSQL and SQLite return the upserted ids
        history_bulk_record(written, Enrollment)
    else:
        enrollment_history_record(pairs=[(row.learner_id, row.course_run_id) for row in rows], history_type="+")


def enrollment_history_record(*, pairs: Iterable[tuple[int, int]], history_type: str) -> None:
    """History rows (with the current source) for the enrollments of these (learner id, run id) pairs.

    An upsert returns no ids on every database: the rows are found again, a few queries per batch.
    """
    wanted = set(pairs)
    for batch in chunked(sorted(wanted), CHUNK // 2):
        found = Enrollment.objects.filter(
            learner_id__in={learner for learner, _ in batch}, course_run_id__in={run for _, run in batch}
        ).values_list("pk", "learner_id", "course_run_id")  # ids only: no model instance per row
        history_record_pks(
            Enrollment, [pk for pk, learner, run in found if (learner, run) in wanted], history_type=history_type
        )


def pending_rows_insert(rows: list[PendingEnrollment]) -> None:
    """Insert these pending enrollments; ones that already exist (same email and run) are left alone.

    Learners who already hold one of these emails are not looked for here: ``bulk_enroll`` does that
    once the rows are committed (a look-up inside this transaction would miss a learner who commits
    before it does).
    """
    if not rows:
        return
    PendingEnrollment.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    # The caller passes only rows it found missing under the run locks: those found now are these.
    wanted = {(row.email, row.course_run_id) for row in rows}
    for batch in chunked(sorted(wanted), CHUNK // 2):
        found = PendingEnrollment.objects.filter(
            email__in={email for email, _ in batch}, course_run_id__in={run for _, run in batch}
        ).values_list("pk", "email", "course_run_id")  # ids only: no model instance per row
        history_record_pks(
            PendingEnrollment, [pk for pk, email, run in found if (email, run) in wanted], history_type="+"
        )
