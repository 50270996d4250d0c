"""Reads behind the learner program status APIs and the support console.

(learner_cert_status and its bulk form live in ``credentials_status.cert_status``.)
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.models import User
from core.selectors import learner_find
from credentials_status.data import (
    CourseFacts,
    CredentialFacts,
    EnrollmentFacts,
    GradeData,
    LearnerRecords,
    ProgramFacts,
    ProgramStatusAnswer,
    RunFacts,
)
from credentials_status.exceptions import ProgramNotFound
from credentials_status.models import CourseRunCredential, Grade
from credentials_status.program_status import reconcile_program_status
from enrollments.models import Enrollment
from programs.models import CourseRun, Program, ProgramCourse, ProgramExcludedCourseRun

# --- Learner program status ---------------------------------------------------------------------


def program_facts(programs_query: QuerySet[Program]) -> list[ProgramFacts]:
    """The queried programs (by title), their ordered courses, every run and the exclusions.

    Three queries: the programs with their courses (one row per course, a program without courses
    still one row), the runs, and the exclusions; for a single program the exclusions come with the
    runs, so the learner program status reads its program in two.
    """
    programs, links = _programs_with_courses(programs_query)
    if not programs:
        return []
    course_ids = {link.course_id for course_links in links.values() for link in course_links}
    runs_by_course, excluded = _runs_and_exclusions(course_ids, list(programs))
    return [
        ProgramFacts(
            id=program_id,
            uuid=program.uuid,
            title=program.title,
            type=program.type,
            status=program.status,
            applicable_seat_types=tuple(program.applicable_seat_types or ()),
            courses=tuple(
                CourseFacts(uuid=link.uuid, key=link.key, title=link.title, runs=tuple(runs_by_course[link.course_id]))
                for link in links[program_id]
            ),
            excluded_run_ids=frozenset(excluded[program_id]),
        )
        for program_id, program in programs.items()
    ]


class _ProgramRow(NamedTuple):
    uuid: UUID
    title: str
    type: str
    status: str
    applicable_seat_types: list[str] | None


class _CourseLink(NamedTuple):
    course_id: int
    uuid: UUID
    key: str
    title: str


def _programs_with_courses(
    programs_query: QuerySet[Program],
) -> tuple[dict[int, _ProgramRow], dict[int, list[_CourseLink]]]:
    """The programs by pk, in title order, and each one's courses in program order: one joined query."""
    # Plain tuples, not model instances: a big program has hundreds of runs.
    rows = programs_query.order_by("title", "pk", "program_courses__position").values_list(
        "pk",
        "uuid",
        "title",
        "type",
        "status",
        "applicable_seat_types",
        "program_courses__course_id",
        "program_courses__course__uuid",
        "program_courses__course__key",
        "program_courses__course__title",
    )
    programs: dict[int, _ProgramRow] = {}
    links: dict[int, list[_CourseLink]] = defaultdict(list)
    for program_id, uuid, title, type_, status, seat_types, course_id, course_uuid, course_key, course_title in rows:
        programs.setdefault(program_id, _ProgramRow(uuid, title, type_, status, seat_types))
        if course_id is not None:
            links[program_id].append(_CourseLink(course_id, course_uuid, course_key, course_title))
    return programs, links


def _runs_and_exclusions(
    course_ids: set[int], program_ids: list[int]
) -> tuple[dict[int, list[RunFacts]], dict[int, set[int]]]:
    """The courses' runs by course, by start, and the runs each program excludes.

    For one program the exclusion flag comes with each run (``Exists``): one query; for several, the
    exclusions are a second one.
    """
    runs_by_course: dict[int, list[RunFacts]] = defaultdict(list)
    excluded: dict[int, set[int]] = defaultdict(set)
    single_program = program_ids[0] if len(program_ids) == 1 else None
    if single_program is None:
        for program_id, run_id in ProgramExcludedCourseRun.objects.filter(program_id__in=program_ids).values_list(
            "program_id", "courserun_id"
        ):
            excluded[program_id].add(run_id)
    run_rows = CourseRun.objects.filter(course_id__in=course_ids).order_by("start", "key")
    fields = ["course_id", "pk", "uuid", "key", "title", "start", "end", "removed_at"]
    if single_program is not None:
        exclusion = ProgramExcludedCourseRun.objects.filter(program_id=single_program, courserun_id=OuterRef("pk"))
        run_rows = run_rows.annotate(excluded=Exists(exclusion))
        fields.append("excluded")
    for course_id, run_id, uuid, key, title, start, end, removed_at, *flag in run_rows.values_list(*fields):
        runs_by_course[course_id].append(
            RunFacts(id=run_id, uuid=uuid, key=key, title=title, start=start, end=end, removed=removed_at is not None)
        )
        if single_program is not None and flag[0]:
            excluded[single_program].add(run_id)
    return runs_by_course, excluded


def learner_records(
    learner: User | None,
    *,
    username: str | None = None,
    lms_user_id: int | None = None,
    course_uuids: Iterable[UUID] | None = None,
) -> LearnerRecords:
    """A learner's credentials, enrollments and grades (in the given courses, or all): three queries.

    ``learner`` None is a learner unknown to the service: no records, and the identifier asked for.
    """
    if learner is None:
        return LearnerRecords(lms_user_id=lms_user_id, username=username)
    scope = Q() if course_uuids is None else Q(course_run__course__uuid__in=list(course_uuids))
    credentials = {
        run_id: CredentialFacts(status=status, type=type_, certificate_available_date=available)
        for run_id, status, type_, available in CourseRunCredential.objects.filter(scope, learner=learner).values_list(
            "course_run_id", "status", "type", "certificate_available_date"
        )
    }
    enrollments = {
        run_id: EnrollmentFacts(mode=mode, is_active=is_active)
        for run_id, mode, is_active in Enrollment.objects.filter(scope, learner=learner).values_list(
            "course_run_id", "mode", "is_active"
        )
    }
    grades = {
        run_id: GradeData(letter, percent, verified)
        for run_id, letter, percent, verified in Grade.objects.filter(scope, learner=learner).values_list(
            "course_run_id", "letter_grade", "percent_grade", "verified"
        )
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
    found = program_facts(Program.objects.filter(uuid=program_uuid))
    if not found:
        raise ProgramNotFound()
    return found[0]


def learner_program_status(
    *,
    program_uuid: UUID,
    username: str | None = None,
    lms_user_id: int | None = None,
    now: datetime | None = None,
) -> ProgramStatusAnswer:
    """The learner's status in every course and run of the program, in eight queries
    (program, courses, runs, exclusions, learner, credentials, enrollments, grades).

    An unknown learner gets every course ``not_started`` with the given identifier echoed and the
    other null (as ``learner_cert_status`` does). ``ProgramNotFound`` for an unknown program.
    """
    program = program_by_uuid(program_uuid)
    learner = learner_find(username=username, lms_user_id=lms_user_id)
    records = learner_records(
        learner, username=username, lms_user_id=lms_user_id, course_uuids=[c.uuid for c in program.courses]
    )
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
    answers it. Seven queries however many programs: the learner's records (three), then the facts
    of every touched program at once (four).
    """
    records = learner_records(learner, username=username)
    touched_runs = set(records.credentials) | {run_id for run_id, e in records.enrollments.items() if e.is_active}
    if not touched_runs:
        return []
    program_ids = (
        ProgramCourse.objects.filter(course__course_runs__in=touched_runs, course__course_runs__removed_at__isnull=True)
        .values_list("program_id", flat=True)
        .distinct()
    )
    now = now or timezone.now()
    programs = program_facts(Program.objects.filter(pk__in=program_ids))
    return [reconcile_program_status(program, records, now) for program in programs]
