"""The bulk writes both backends share: a few statements per batch, safe against concurrent writers."""

from collections.abc import Iterable

from django.db import connection, transaction

from enrollments.models import Enrollment, PendingEnrollment
from enrollments.selectors import CHUNK, chunked
from programs.models import CourseRun

BATCH_SIZE = 1000


def course_runs_lock(*, run_ids: Iterable[int]) -> None:
    """Lock these runs' rows (``SELECT ... FOR UPDATE``, in key order) until the transaction ends.

    Bulk enrollments touching a run write one after the other: each reads the existing enrollments
    and pending rows *after* taking the lock, so ``created`` is decided from what is really there,
    even when two identical requests arrive together. Must run inside ``transaction.atomic()``.
    SQLite ignores the lock (it allows one writer at a time anyway).
    """
    for batch in chunked(sorted(set(run_ids)), CHUNK):
        list(CourseRun.objects.select_for_update().filter(pk__in=batch).order_by("pk").values_list("pk", flat=True))


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
    """Insert these pending enrollments; ones that already exist (same email and run) are left alone.

    Once the rows are committed, learners who already have one of these emails get them realised:
    a learner who appeared while this request was running (after its learner lookup) found nothing
    to realise, because these rows were not committed yet. Looking again *after* the commit closes
    that window for every interleaving: either the arrival's own realisation sees the committed
    rows, or this look-up sees the learner (``pending_enrollments_realize`` makes both safe).
    """
    if not rows:
        return
    PendingEnrollment.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    emails = sorted({row.email for row in rows})

    def realise_arrived() -> None:
        from enrollments.services import pending_enrollments_realize_for_emails

        pending_enrollments_realize_for_emails(emails=emails)

    transaction.on_commit(realise_arrived)
