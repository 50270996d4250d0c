"""Celery tasks of enrollments: plain values in, one service call each, queued after commit."""

import logging
from typing import Any

from celery import Task, shared_task

from core.upstream import TASK_RETRY
from enrollments.data import EnrollmentNotification

log = logging.getLogger(__name__)
NOTIFY_MAX_RETRIES = 3


@shared_task(bind=True, name="enrollments.bulk_enrollment_notify", max_retries=NOTIFY_MAX_RETRIES)
def bulk_enrollment_notify_task(
    self: Task, *, notices: list[dict[str, Any]] | None = None, notifications: list[dict[str, Any]] | None = None
) -> int:
    """Email learners newly enrolled or newly pending by a bulk enrollment.

    Queued with ``notices``: ids only (``enrollments.notifications.enrollment_notices``), so no email
    address is in the message, the broker or Celery's logs of it. ``notifications`` (email addresses
    and runs) is what this task took before; it is still accepted only for messages an older release
    queued. Emails the mail server refused (SMTP or connection errors) are retried, alone, with the
    shared task backoff (``core.upstream.TASK_RETRY.countdown``; not ``autoretry_for``, which would
    send the whole batch again); the ones already sent are never sent again. Returns how many were sent by
    this try.
    """
    from enrollments.notifications import enrollment_notifications_load, enrollment_notifications_send

    pairs: list[tuple[dict[str, Any], EnrollmentNotification]]
    if notifications is not None:  # queued by an older release; nothing queues it now
        pairs = [
            (
                {},
                EnrollmentNotification(
                    email=n["email"], course_runs=[(r[0], r[1]) for r in n["course_runs"]], pending=n["pending"]
                ),
            )
            for n in notifications
        ]
    else:
        pairs = enrollment_notifications_load(notices=notices or [])
    wanted = [notification for _, notification in pairs]
    failed = enrollment_notifications_send(notifications=wanted)
    if failed and self.request.is_eager:
        # No broker (local use): a Retry would surface as an error after the commit; try again now.
        for _ in range(NOTIFY_MAX_RETRIES):
            if failed:
                failed = enrollment_notifications_send(notifications=failed)
        if failed:
            log.error("bulk_enrollment_notifications_given_up", extra={"count": len(failed)})
    elif failed:
        failed_ids = {id(notification) for notification in failed}
        retry_notices = [notice for notice, notification in pairs if id(notification) in failed_ids and notice]
        if notifications is not None:
            # An old message: its retry keeps the old form (there are no ids to turn it into).
            raise self.retry(
                kwargs={
                    "notifications": [
                        {"email": n.email, "course_runs": n.course_runs, "pending": n.pending} for n in failed
                    ]
                },
                countdown=TASK_RETRY.countdown(self.request.retries),
            )
        raise self.retry(kwargs={"notices": retry_notices}, countdown=TASK_RETRY.countdown(self.request.retries))
    return len(wanted) - len(failed)


@shared_task(name="enrollments.pending_enrollments_realize")
def pending_enrollments_realize_task(*, learner_ids: list[int] | None = None, learner_id: int | None = None) -> int:
    """Realise the pending enrollments of learners who just appeared. Safe to run twice.

    Queued with ``learner_ids``. ``learner_id`` (one learner) is what this task took before; it is
    still accepted only so that messages already queued by an older release run after an upgrade.
    Returns how many enrollments were created or reactivated.
    """
    from core.db import chunked
    from core.models import User
    from enrollments.selectors import CHUNK
    from enrollments.services import pending_enrollments_realize_many

    # learner_id: only messages queued before the receivers sent learner_ids; nothing queues it now.
    ids = sorted({*(learner_ids or []), *([learner_id] if learner_id is not None else [])})
    learners = [learner for batch in chunked(ids, CHUNK) for learner in User.objects.filter(pk__in=batch)]
    if not learners:
        return 0
    return len(pending_enrollments_realize_many(learners=learners))


@shared_task(name="enrollments.pending_enrollments_sweep")
def pending_enrollments_sweep_task() -> int:
    """Celery beat, every ``PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES``: realise pending rows whose learner exists.

    Returns how many enrollments were created or reactivated.
    """
    from enrollments.services import pending_enrollments_sweep

    return pending_enrollments_sweep()
