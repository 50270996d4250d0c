"""Writes of learner records pushed by the LMS: credentials and grades, keyed on (learner, run)."""

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone

from core.db import retry_on_integrity_error
from core.models import RecordSource
from core.records import RecordChange, change_is_stale, record_changes_apply
from core.services import learner_get_or_create
from credentials_status.data import GradeReport, RecordedGrade
from credentials_status.models import CourseRunCredential, CredentialStatus, Grade
from credentials_status.signals import grades_recorded
from programs.api import course_run_ensure

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
    source: str = RecordSource.INGEST,
    changed_at: datetime | None = None,
    changed_by: str = "",
) -> tuple[CourseRunCredential, bool]:
    """Record the learner's certificate in a run. Replays are harmless. Returns ``(credential, created)``.

    ``awarded_at`` / ``revoked_at`` record when the status last moved to awarded / revoked.
    ``changed_at`` is when the system of record made the change (an event's time; default now): a
    change older than the one that made the stored state is ignored and the stored row returned
    unchanged (``credential.source_time`` then differs from ``changed_at``). ``source`` and
    ``changed_by`` say where the change came from and who applied it.
    """
    learner = learner_get_or_create(username=username, lms_user_id=lms_user_id, email=email)
    run = course_run_ensure(key=course_run_key)
    now = changed_at or timezone.now()

    def write() -> tuple[CourseRunCredential, bool]:
        credential = CourseRunCredential.objects.select_for_update().filter(learner=learner, course_run=run).first()
        created = credential is None
        if credential is None:
            credential = CourseRunCredential(learner=learner, course_run=run)
        elif change_is_stale(stored_time=credential.source_time, incoming_time=now):
            log.info(
                "credential_change_stale",
                extra={"learner_id": learner.pk, "course_run_key": run.key, "status": status, "source": source},
            )
            return credential, False
        _status_moved_stamp(credential, status=status, at=now)
        credential.status = status
        credential.type = type
        credential.certificate_available_date = certificate_available_date
        credential.source, credential.source_time, credential.changed_by = source, now, changed_by
        credential.save()
        return credential, created

    credential, created = retry_on_integrity_error(write)
    log.info(
        "credential_recorded",
        extra={"learner_id": learner.pk, "course_run_key": run.key, "status": status, "was_created": created},
    )
    return credential, created


def _status_moved_stamp(credential: CourseRunCredential, *, status: str, at: datetime) -> None:
    """``awarded_at`` / ``revoked_at``: when the status last moved to awarded / revoked."""
    if credential.status != status:
        if status == CredentialStatus.AWARDED:
            credential.awarded_at = at
        else:
            credential.revoked_at = at


def course_run_credentials_apply(changes: Sequence[RecordChange]) -> list[bool | None]:
    """Many credential changes at once, in order (the event consumer's batches): ``core.records.record_changes_apply``.

    ``values`` hold ``status``, ``type``, ``certificate_available_date``, ``source`` and
    ``changed_by``, as ``course_run_credential_upsert`` sets them; ``awarded_at`` / ``revoked_at``
    move as there. A revocation of a credential not held is a ``needs_existing`` change.
    """

    def stamp(credential: CourseRunCredential, change: RecordChange) -> None:
        _status_moved_stamp(credential, status=change.values["status"], at=change.changed_at)

    return record_changes_apply(CourseRunCredential, changes, before_change=stamp)


def grades_apply(changes: Sequence[RecordChange]) -> list[bool | None]:
    """Many grade changes at once, in order: ``core.records.record_changes_apply``, then ``grades_recorded``.

    ``values`` as ``grade_upsert`` sets them (``percent_grade``, ``letter_grade``, ``verified``,
    ``source``, ``changed_by``); the applied changes are told to ``grades_recorded``'s receivers
    together after the commit.
    """
    results = record_changes_apply(Grade, changes)
    recorded = [
        RecordedGrade(
            learner_id=change.learner.pk,
            username=change.learner.username,
            course_run_key=change.course_run.key,
            percent_grade=change.values["percent_grade"],
        )
        for change, applied in zip(changes, results, strict=True)
        if applied
    ]
    if recorded:
        transaction.on_commit(partial(_grades_recorded_send, recorded))
    return results


def grade_upsert(
    *,
    username: str,
    course_run_key: str,
    percent_grade: Decimal,
    letter_grade: str = "",
    verified: bool = False,
    lms_user_id: int | None = None,
    email: str | None = None,
    source: str = RecordSource.INGEST,
    changed_at: datetime | None = None,
    changed_by: str = "",
) -> tuple[Grade, bool]:
    """Record the learner's grade in a run (replaces the previous one). Returns ``(grade, created)``.

    ``changed_at``, ``source`` and ``changed_by`` as for ``course_run_credential_upsert``: an older
    change is ignored (the stored grade returned, no ``grades_recorded`` signal).
    """
    learner = learner_get_or_create(username=username, lms_user_id=lms_user_id, email=email)
    run = course_run_ensure(key=course_run_key)
    now = changed_at or timezone.now()
    values = {
        "percent_grade": percent_grade,
        "letter_grade": letter_grade,
        "verified": verified,
        "source": source,
        "source_time": now,
        "changed_by": changed_by,
    }

    def write() -> tuple[Grade, bool, bool]:
        grade = Grade.objects.select_for_update().filter(learner=learner, course_run=run).first()
        if grade is None:
            return Grade.objects.create(learner=learner, course_run=run, **values), True, True
        if change_is_stale(stored_time=grade.source_time, incoming_time=now):
            return grade, False, False
        for name, value in values.items():
            setattr(grade, name, value)
        grade.save()
        return grade, False, True

    grade, created, applied = retry_on_integrity_error(write)
    if not applied:
        log.info("grade_change_stale", extra={"learner_id": learner.pk, "course_run_key": run.key, "source": source})
        return grade, False
    log.info("grade_recorded", extra={"learner_id": learner.pk, "course_run_key": run.key, "was_created": created})
    recorded = RecordedGrade(
        learner_id=learner.pk, username=learner.username, course_run_key=run.key, percent_grade=percent_grade
    )
    transaction.on_commit(partial(_grades_recorded_send, [recorded]))
    return grade, created


def _grades_recorded_send(grades: list[RecordedGrade]) -> None:
    """Tell receivers (credit) about committed grades; a failing receiver is logged, never undoes the grades."""
    for receiver, result in grades_recorded.send_robust(sender=Grade, grades=grades):
        if isinstance(result, Exception):
            log.error(
                "grades_recorded_receiver_failed",
                extra={"receiver": getattr(receiver, "__qualname__", repr(receiver)), "error": repr(result)},
                exc_info=result,
            )


def course_run_credential_ingest(
    *,
    username: str,
    course_run_key: str,
    status: str,
    type: str,
    lms_user_id: int | None = None,
    email: str | None = None,
    certificate_available_date: datetime | None = None,
    grade: GradeReport | None = None,
) -> tuple[CourseRunCredential, bool]:
    """The credential ingest: the certificate and, when sent, the grade in the same run, both or neither.

    One transaction for both writes, run again when a concurrent writer won a unique-key race or the
    database broke a deadlock (``core.db.retry_on_integrity_error``). Returns ``(credential, created)``.
    """

    def write() -> tuple[CourseRunCredential, bool]:
        credential, created = course_run_credential_upsert(
            username=username,
            course_run_key=course_run_key,
            status=status,
            type=type,
            lms_user_id=lms_user_id,
            email=email,
            certificate_available_date=certificate_available_date,
        )
        if grade is not None:
            grade_upsert(
                username=username,
                lms_user_id=lms_user_id,
                course_run_key=course_run_key,
                percent_grade=grade.percent_grade,
                letter_grade=grade.letter_grade,
                verified=grade.verified,
            )
        return credential, created

    return retry_on_integrity_error(write)
