"""Reads behind the learner program status APIs and the support console.

(learner_cert_status and its bulk form live in ``credentials_status.cert_status``.)
"""

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.utils import timezone

from core.models import User
from core.records import RecordRow, learner_columns_read, learner_history_rows, learner_record_rows
from core.selectors import learner_find
from credentials_status.data import (
    CredentialFacts,
    EnrollmentFacts,
    GradeData,
    LearnerRecords,
    ProgramFacts,
    ProgramStatusAnswer,
    in_field_order,
)
from credentials_status.exceptions import ProgramNotFound
from credentials_status.models import CourseRunCredential, CredentialStatus, Grade
from credentials_status.program_status import reconcile_program_status
from enrollments.api import learner_enrollment_states
from programs.api import program_facts_by_uuid, program_facts_holding_runs

# --- Learner program status ---------------------------------------------------------------------


def learner_records(
    learner: User | None, *, username: str | None = None, lms_user_id: int | None = None
) -> LearnerRecords:
    """A learner's credentials, enrollments and grades, all of them: three statements on the learner's index,
    hand-written (``core.records.learner_columns_read``: the ORM's query building and conversion cost more
    than the reads on the program status's hot path, issue 17). The reconciliation looks up only the
    program's runs; records in other runs are read and left aside.

    ``learner`` None is a learner unknown to the service: no records, and the identifier asked for.
    """
    if learner is None:
        return LearnerRecords(lms_user_id=lms_user_id, username=username)
    # Each row after its run id is the fact's fields, read by their names (the facts' fields are the models'),
    # so that ``in_field_order`` builds the fact from it: one per record at every request.
    credentials = {
        row[0]: in_field_order(CredentialFacts, row[1:])
        for row in learner_columns_read(
            CourseRunCredential, ("course_run", *CredentialFacts._fields), learner_id=learner.pk
        )
    }
    enrollments = {
        row[0]: in_field_order(EnrollmentFacts, row[1:]) for row in learner_enrollment_states(learner_id=learner.pk)
    }
    grades = {
        row[0]: in_field_order(GradeData, row[1:])
        for row in learner_columns_read(Grade, ("course_run", *GradeData._fields), learner_id=learner.pk)
    }
    return LearnerRecords(
        lms_user_id=learner.lms_user_id,
        username=learner.username,
        credentials=credentials,
        enrollments=enrollments,
        grades=grades,
    )


def program_by_uuid(program_uuid: UUID) -> ProgramFacts:
    """The program's facts; ``ProgramNotFound`` when no program has this uuid."""
    found = program_facts_by_uuid(program_uuid=program_uuid)
    if found is None:
        raise ProgramNotFound()
    return found


def learner_program_status(
    *,
    program_uuid: UUID,
    username: str | None = None,
    lms_user_id: int | None = None,
    now: datetime | None = None,
) -> ProgramStatusAnswer:
    """The learner's status in every course and run of the program, in six queries (the program with its
    courses, their runs with their exclusion flags, the learner, their credentials, enrollments and grades).

    An unknown learner gets every course ``not_started`` with the given identifier echoed and the
    other null (as ``learner_cert_status`` does). ``ProgramNotFound`` for an unknown program.
    """
    program = program_by_uuid(program_uuid)
    learner = learner_find(username=username, lms_user_id=lms_user_id)
    records = learner_records(learner, username=username, lms_user_id=lms_user_id)
    return reconcile_program_status(program, records, now or timezone.now())


def learner_programs(
    learner: User | None,
    *,
    username: str | None = None,
    now: datetime | None = None,
) -> list[ProgramStatusAnswer]:
    """Every program, whatever its status, with a member run (excluded ones included) in which the
    learner is enrolled or holds a credential; ordered by title. A retired, unpublished or deleted
    program is listed like the others (``program.status`` says which), as ``learner_program_status``
    answers it. Six queries however many programs: the learner's records (three), then the facts
    of every touched program at once (three, ``programs.api.program_facts_holding_runs``).
    """
    records = learner_records(learner, username=username)
    touched_runs = set(records.credentials) | {run_id for run_id, e in records.enrollments.items() if e.is_active}
    if not touched_runs:
        return []
    now = now or timezone.now()
    programs = program_facts_holding_runs(run_ids=touched_runs)
    return [reconcile_program_status(program, records, now) for program in programs]


# --- Reads for other apps (through credentials_status.api): plain values -------------------------


def credential_held(*, learner_id: int, course_run_id: int) -> bool:
    """Whether the learner holds a credential (of any status) in the run: one query."""
    return CourseRunCredential.objects.filter(learner_id=learner_id, course_run_id=course_run_id).exists()


def credential_type_held(*, username: str, course_run_key: str) -> str | None:
    """The type of the learner's credential in the run; ``None`` when none is held."""
    return (
        CourseRunCredential.objects.filter(learner__username=username, course_run__key=course_run_key)
        .values_list("type", flat=True)
        .first()
    )


def awarded_credentials_of(*, usernames: Collection[str]) -> list[tuple[str, str, str, str]]:
    """``(username, run key, status, type)`` of these learners' awarded credentials."""
    rows = CourseRunCredential.objects.filter(learner__username__in=list(usernames), status=CredentialStatus.AWARDED)
    return list(rows.values_list("learner__username", "course_run__key", "status", "type"))


def grades_in_runs(*, course_run_keys: Collection[str]) -> list[tuple[str, str, Decimal, str]]:
    """``(username, run key, percent, letter)`` of every grade in these runs."""
    rows = Grade.objects.filter(course_run__key__in=list(course_run_keys))
    return list(rows.values_list("learner__username", "course_run__key", "percent_grade", "letter_grade"))


_CREDENTIAL_FIELDS = ("status", "type")
_GRADE_FIELDS = ("percent_grade", "letter_grade")


def learner_credential_records(*, learner_id: int) -> list[RecordRow]:
    """The learner's credentials with their provenance (the support console): one query."""
    return learner_record_rows(CourseRunCredential, learner_id=learner_id, fields=_CREDENTIAL_FIELDS)


def learner_grade_records(*, learner_id: int) -> list[RecordRow]:
    """The learner's grades with their provenance: one query."""
    return learner_record_rows(Grade, learner_id=learner_id, fields=_GRADE_FIELDS)


def learner_credential_history(*, learner_id: int, limit: int) -> list[RecordRow]:
    """The learner's first ``limit`` credential history rows, oldest first: one query."""
    return learner_history_rows(CourseRunCredential, learner_id=learner_id, fields=_CREDENTIAL_FIELDS, limit=limit)


def learner_grade_history(*, learner_id: int, limit: int) -> list[RecordRow]:
    """The learner's first ``limit`` grade history rows, oldest first: one query."""
    return learner_history_rows(Grade, learner_id=learner_id, fields=_GRADE_FIELDS, limit=limit)
