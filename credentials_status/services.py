"""Writes of learner records pushed by the LMS: credentials and grades, keyed on (learner, run)."""

import logging
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.db import retry_on_integrity_error
from core.services import learner_get_or_create
from credentials_status.models import CourseRunCredential, CredentialStatus, Grade
from credentials_status.signals import grade_recorded
from programs.services import course_run_ensure

log = logging.getLogger(__name__)


def course_run_credential_upsert(
    *,
    username: str,
    course_run_key: str,
    status: str,
    type: str,
    lms_user_id: int | None = None,
    email: str | None = None,
    certificate_available_date: datetime | None = None,
) -> tuple[CourseRunCredential, bool]:
    """Record the learner's certificate in a run. Replays are harmless. Returns ``(credential, created)``.

    ``awarded_at`` / ``revoked_at`` record when the status last moved to awarded / revoked.
    """
    learner = learner_get_or_create(username=username, lms_user_id=lms_user_id, email=email)
    run = course_run_ensure(key=course_run_key)
    now = timezone.now()

    def write() -> tuple[CourseRunCredential, bool]:
        credential = CourseRunCredential.objects.select_for_update().filter(learner=learner, course_run=run).first()
        created = credential is None
        if credential is None:
            credential = CourseRunCredential(learner=learner, course_run=run)
        if credential.status != status:
            if status == CredentialStatus.AWARDED:
                credential.awarded_at = now
            else:
                credential.revoked_at = now
        credential.status = status
        credential.type = type
        credential.certificate_available_date = certificate_available_date
        credential.save()
        return credential, created

    credential, created = retry_on_integrity_error(write)
    log.info(
        "credential_recorded",
        extra={"learner_id": learner.pk, "course_run_key": run.key, "status": status, "was_created": created},
    )
    return credential, created


def grade_upsert(
    *,
    username: str,
    course_run_key: str,
    percent_grade: Decimal,
    letter_grade: str = "",
    verified: bool = False,
    lms_user_id: int | None = None,
    email: str | None = None,
) -> tuple[Grade, bool]:
    """Record the learner's grade in a run (replaces the previous one). Returns ``(grade, created)``."""
    learner = learner_get_or_create(username=username, lms_user_id=lms_user_id, email=email)
    run = course_run_ensure(key=course_run_key)

    def write() -> tuple[Grade, bool]:
        return Grade.objects.update_or_create(
            learner=learner,
            course_run=run,
            defaults={"percent_grade": percent_grade, "letter_grade": letter_grade, "verified": verified},
        )

    grade, created = retry_on_integrity_error(write)
    log.info("grade_recorded", extra={"learner_id": learner.pk, "course_run_key": run.key, "was_created": created})
    transaction.on_commit(
        lambda: _grade_recorded_send(
            learner_id=learner.pk, username=learner.username, course_run_key=run.key, percent_grade=percent_grade
        )
    )
    return grade, created


def _grade_recorded_send(**kwargs: object) -> None:
    """Tell receivers (credit) about a committed grade; a failing receiver is logged, never undoes the grade."""
    for receiver, result in grade_recorded.send_robust(sender=Grade, **kwargs):
        if isinstance(result, Exception):
            log.error(
                "grade_recorded_receiver_failed",
                extra={"receiver": getattr(receiver, "__qualname__", repr(receiver)), "error": repr(result)},
                exc_info=result,
            )
