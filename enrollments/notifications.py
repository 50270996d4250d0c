"""The emails bulk enrollment sends: one per learner, listing the runs they were enrolled in or invited to."""

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core import mail

from core.db import chunked
from core.models import User
from enrollments.data import EnrollmentNotification
from enrollments.models import PendingEnrollment
from enrollments.selectors import CHUNK
from programs.api import course_runs_read

log = logging.getLogger(__name__)


def _message(notification: EnrollmentNotification) -> mail.EmailMessage:
    runs = "\n".join(f"- {title or key} ({key})" for key, title in notification.course_runs)
    if notification.pending:
        subject = "You are invited to enroll"
        body = (
            "You have been enrolled in the course runs below. Register or sign in with this email "
            f"address ({notification.email}) and the enrollments become active.\n\n{runs}\n"
        )
    else:
        subject = "You have been enrolled"
        body = f"You have been enrolled in these course runs:\n\n{runs}\n"
    return mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.email])


def enrollment_notifications_send(*, notifications: Iterable[EnrollmentNotification]) -> list[EnrollmentNotification]:
    """Send one email per notification over one connection. Returns those that could not be sent.

    Each message is sent on its own, so a transient SMTP failure leaves the others sent and only the
    failed ones need another try (a retry never emails a learner twice).
    """
    failed: list[EnrollmentNotification] = []
    sent = 0
    with mail.get_connection() as connection:
        for notification in notifications:
            try:
                sent += connection.send_messages([_message(notification)]) or 0
            except (smtplib.SMTPException, OSError):
                log.warning("bulk_enrollment_notification_failed", extra={"pending": notification.pending})
                failed.append(notification)
    log.info("bulk_enrollment_notifications_sent", extra={"count": sent, "failed": len(failed)})
    return failed


# --- What the notification task is queued with: ids, never an email address --------------------------
# A task's arguments are logged by Celery (its trace logs them, and a worker with a JSON formatter
# writes them out), kept in the broker and shown by monitoring tools: no learner email goes there.
Notice = dict[str, Any]


def enrollment_notices(*, notifications: Sequence[EnrollmentNotification]) -> list[Notice]:
    """The task arguments for these notifications, by id: run within the transaction that wrote them.

    ``{"learner_id": 7, "course_run_ids": [3, 4]}`` for a learner newly enrolled;
    ``{"pending_enrollment_ids": [11, 12]}`` for an email newly pending in those rows' runs.
    """
    run_ids = {
        run.key: run.id for run in course_runs_read(keys=[key for n in notifications for key, _ in n.course_runs])
    }
    notices: list[Notice] = [
        {"learner_id": n.learner_id, "course_run_ids": [run_ids[key] for key, _ in n.course_runs if key in run_ids]}
        for n in notifications
        if not n.pending and n.learner_id is not None
    ]
    pending = [n for n in notifications if n.pending]
    wanted = {(n.email, run_ids[key]) for n in pending for key, _ in n.course_runs if key in run_ids}
    rows_by_email: dict[str, list[int]] = defaultdict(list)
    for batch in chunked(sorted({n.email for n in pending}), CHUNK):
        for pk, email, run_id in PendingEnrollment.objects.filter(email__in=batch).values_list(
            "pk", "email", "course_run_id"
        ):
            if (email, run_id) in wanted:
                rows_by_email[email].append(pk)
    notices += [{"pending_enrollment_ids": sorted(rows_by_email[n.email])} for n in pending if rows_by_email[n.email]]
    return notices


def enrollment_notifications_load(*, notices: Sequence[Notice]) -> list[tuple[Notice, EnrollmentNotification]]:
    """Each notice with the notification it names, read now, in a few queries.

    A learner who has no email, or pending rows realised or removed since they were queued, give no
    notification (the learner registered meanwhile: their enrollments are active already).
    """
    learner_ids = [n["learner_id"] for n in notices if n.get("learner_id") is not None]
    pending_ids = [pk for n in notices for pk in n.get("pending_enrollment_ids", [])]
    emails: dict[int, str] = {}
    for batch in chunked(sorted(set(learner_ids)), CHUNK):
        emails.update(User.objects.filter(pk__in=batch).values_list("pk", "email"))
    pending_rows: dict[int, tuple[str, int]] = {}
    for batch in chunked(sorted(set(pending_ids)), CHUNK):
        for pk, email, run_id in PendingEnrollment.objects.filter(pk__in=batch).values_list(
            "pk", "email", "course_run_id"
        ):
            pending_rows[pk] = (email, run_id)
    run_ids = {run_id for n in notices for run_id in n.get("course_run_ids", [])}
    run_ids |= {run_id for _, run_id in pending_rows.values()}
    runs = {run.id: (run.key, run.title) for run in course_runs_read(ids=run_ids)}

    loaded: list[tuple[Notice, EnrollmentNotification]] = []
    for notice in notices:
        learner_id = notice.get("learner_id")
        if learner_id is not None:
            course_runs = [runs[pk] for pk in notice.get("course_run_ids", []) if pk in runs]
            if emails.get(learner_id) and course_runs:
                notification = EnrollmentNotification(
                    email=emails[learner_id], course_runs=course_runs, pending=False, learner_id=learner_id
                )
                loaded.append((notice, notification))
            continue
        rows = [pending_rows[pk] for pk in notice.get("pending_enrollment_ids", []) if pk in pending_rows]
        if rows:
            email = rows[0][0]
            course_runs = [runs[run_id] for row_email, run_id in rows if row_email == email and run_id in runs]
            loaded.append((notice, EnrollmentNotification(email=email, course_runs=course_runs, pending=True)))
    if len(loaded) < len(notices):
        log.info("bulk_enrollment_notifications_not_needed", extra={"count": len(notices) - len(loaded)})
    return loaded
