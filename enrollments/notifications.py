"""The emails bulk enrollment sends: one per learner, listing the runs they were enrolled in or invited to."""

import logging
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


def enrollment_notifications_send(*, notifications: Iterable[EnrollmentNotification]) -> int:
    """Send the emails over one connection. Returns how many were sent."""
    messages = [_message(notification) for notification in notifications]
    if not messages:
        return 0
    with mail.get_connection() as connection:
        sent = connection.send_messages(messages) or 0
    log.info("bulk_enrollment_notifications_sent", extra={"count": sent})
    return sent
