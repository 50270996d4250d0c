"""Celery tasks of enrollments: plain values in, one service call each, queued after commit."""

from typing import Any

from celery import shared_task

from enrollments.data import EnrollmentNotification


@shared_task(name="enrollments.bulk_enrollment_notify")
def bulk_enrollment_notify_task(*, notifications: list[dict[str, Any]]) -> int:
    """Email learners newly enrolled or newly pending by a bulk enrollment."""
    from enrollments.notifications import enrollment_notifications_send

    return enrollment_notifications_send(
        notifications=[
            EnrollmentNotification(
                email=n["email"], course_runs=[tuple(run) for run in n["course_runs"]], pending=n["pending"]
            )
            for n in notifications
        ]
    )


@shared_task(name="enrollments.pending_enrollments_realize")
def pending_enrollments_realize_task(*, learner_id: int) -> int:
    """Realise the pending enrollments of a learner who just appeared. Safe to run twice."""
    from core.models import User
    from enrollments.services import pending_enrollments_realize

    learner = User.objects.filter(pk=learner_id).first()
    if learner is None:
        return 0
    return len(pending_enrollments_realize(learner=learner))
