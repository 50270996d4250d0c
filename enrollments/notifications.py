"""The emails bulk enrollment sends: one per learner, listing the runs they were enrolled in or invited to."""

import logging
import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.core import mail

from enrollments.data import EnrollmentNotification

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
