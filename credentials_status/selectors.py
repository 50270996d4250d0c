"""Reads behind the learner status APIs.

``learner_cert_status`` answers one request in at most five queries whatever the number of courses
asked about or credentials held: learner, credentials, grades, and (with ``include_incomplete``)
the requested runs and the learner's enrollments.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import User
from core.selectors import learner_find
from credentials_status.data import (
    STATUS_RANK,
    CourseFacts,
    CredentialFacts,
    EnrollmentFacts,
    GradeData,
    LearnerRecords,
    LearnerRunStatus,
    ProgramFacts,
    ProgramStatusAnswer,
    RunFacts,
    RunRef,
    StatusAnswer,
    StatusItem,
    StatusQuery,
)
from credentials_status.exceptions import ProgramNotFound
from credentials_status.models import CourseRunCredential, Grade
from credentials_status.program_status import reconcile_program_status
from credentials_status.status import credential_is_visible, run_status
from enrollments.models import Enrollment
from programs.models import CourseRun, Program, ProgramCourse, ProgramStatus


def _scope(query: StatusQuery, prefix: str = "") -> Q:
    """Rows of the requested courses and runs (``prefix`` points from the row to its run)."""
    condition = Q()
    if query.course_uuids:
        condition |= Q(**{f"{prefix}course__uuid__in": query.course_uuids})
    if query.course_run_uuids:
        condition |= Q(**{f"{prefix}uuid__in": query.course_run_uuids})
    if query.course_run_keys:
        condition |= Q(**{f"{prefix}key__in": query.course_run_keys})
    return condition


def learner_grades(learner: User, run_ids: set[int]) -> dict[int, GradeData]:
    """The learner's grade per run id, for the given runs, in one query."""
    if not run_ids:
        return {}
    return {
        grade.course_run_id: GradeData(grade.letter_grade, grade.percent_grade, grade.verified)
        for grade in Grade.objects.filter(learner=learner, course_run_id__in=run_ids)
    }


def learner_cert_status(query: StatusQuery, *, now: datetime | None = None) -> StatusAnswer:
    """The learner's visible awarded credentials in the requested courses and runs.

    An unknown learner gets an empty list with the given identifier echoed. With
    ``include_incomplete`` every requested course and run without a visible award adds one item
    carrying the learner's strongest status there (pending_availability, revoked, enrolled,
    not_enrolled; in that order).
    """
    now = now or timezone.now()
    learner = learner_find(username=query.username, lms_user_id=query.lms_user_id)
    if learner is None:
        return StatusAnswer(lms_user_id=query.lms_user_id, username=query.username)
    answer = StatusAnswer(lms_user_id=learner.lms_user_id, username=learner.username)

    credentials = list(
        CourseRunCredential.objects.filter(_scope(query, "course_run__"), learner=learner)
        .select_related("course_run__course")
        .order_by("course_run__course__key", "course_run__start", "course_run__key")
    )
    enrollments: list[Enrollment] = []
    requested_runs: list[CourseRun] = []
    if query.include_incomplete:
        enrollments = list(
            Enrollment.objects.filter(_scope(query, "course_run__"), learner=learner, is_active=True).select_related(
                "course_run__course"
            )
        )
        if query.course_run_uuids or query.course_run_keys:
            requested_runs = list(
                CourseRun.objects.filter(
                    Q(uuid__in=query.course_run_uuids) | Q(key__in=query.course_run_keys)
                ).select_related("course")
            )
    grades = learner_grades(learner, {c.course_run_id for c in credentials} | {e.course_run_id for e in enrollments})

    for credential in credentials:
        if credential_is_visible(credential, now):
            answer.status.append(_item(credential.course_run, LearnerRunStatus.AWARDED, credential, grades))
    if query.include_incomplete:
        answer.status.extend(_incomplete_items(query, credentials, enrollments, requested_runs, grades, now))
    return answer


def _item(
    run: CourseRun,
    status: LearnerRunStatus,
    credential: CourseRunCredential | None,
    grades: dict[int, GradeData],
    enrollment: Enrollment | None = None,
) -> StatusItem:
    return StatusItem(
        course_uuid=run.course.uuid,
        course_run=RunRef(uuid=run.uuid, key=run.key),
        status=status,
        type=credential.type if credential else (enrollment.mode if enrollment else None),
        certificate_available_date=credential.certificate_available_date if credential else None,
        grade=grades.get(run.pk),
    )


def _incomplete_items(
    query: StatusQuery,
    credentials: list[CourseRunCredential],
    enrollments: list[Enrollment],
    requested_runs: list[CourseRun],
    grades: dict[int, GradeData],
    now: datetime,
) -> list[StatusItem]:
    credential_by_run = {c.course_run_id: c for c in credentials}
    enrollment_by_run = {e.course_run_id: e for e in enrollments}
    runs = {c.course_run_id: c.course_run for c in credentials} | {e.course_run_id: e.course_run for e in enrollments}
    runs |= {run.pk: run for run in requested_runs}
    statuses = {
        run_id: run_status(credential_by_run.get(run_id), enrollment_by_run.get(run_id), now) for run_id in runs
    }

    def item_for(run_id: int) -> StatusItem:
        return _item(
            runs[run_id], statuses[run_id], credential_by_run.get(run_id), grades, enrollment_by_run.get(run_id)
        )

    items: list[StatusItem] = []
    for course_uuid in query.course_uuids:
        course_runs = [run_id for run_id, run in runs.items() if run.course.uuid == course_uuid]
        if any(statuses[run_id] == LearnerRunStatus.AWARDED for run_id in course_runs):
            continue
        touched = [run_id for run_id in course_runs if statuses[run_id] != LearnerRunStatus.NOT_ENROLLED]
        if touched:
            items.append(item_for(min(touched, key=lambda run_id: STATUS_RANK[statuses[run_id]])))
        else:
            items.append(StatusItem(course_uuid=course_uuid, course_run=None, status=LearnerRunStatus.NOT_ENROLLED))

    by_uuid = {run.uuid: run.pk for run in requested_runs}
    by_key = {run.key: run.pk for run in requested_runs}
    asked: list[tuple[int | None, UUID | None, str | None]] = [
        (by_uuid.get(u), u, None) for u in query.course_run_uuids
    ]
    asked += [(by_key.get(k), None, k) for k in query.course_run_keys]
    for run_id, run_uuid, run_key in asked:
        if run_id is None:
            items.append(
                StatusItem(
                    course_uuid=None,
                    course_run=RunRef(uuid=run_uuid, key=run_key),
                    status=LearnerRunStatus.NOT_ENROLLED,
                )
            )
        elif statuses[run_id] != LearnerRunStatus.AWARDED:
            items.append(item_for(run_id))

    unique: list[StatusItem] = []
    for item in items:
        if item not in unique:
            unique.append(item)
    return unique


# --- Learner program status ---------------------------------------------------------------------


def program_facts(programs_query: QuerySet[Program]) -> list[ProgramFacts]:
    """The queried programs (by title), their ordered courses, every run and the exclusions: four queries."""
    programs = list(programs_query.order_by("title", "pk"))
    if not programs:
        return []
    ids = [program.pk for program in programs]
    # Plain tuples, not model instances: a big program has hundreds of runs.
    links = list(
        ProgramCourse.objects.filter(program_id__in=ids)
        .order_by("program_id", "position")
        .values_list("program_id", "course_id", "course__uuid", "course__key", "course__title")
    )
    runs_by_course: dict[int, list[RunFacts]] = defaultdict(list)
    run_rows = (
        CourseRun.objects.filter(course_id__in={link[1] for link in links})
        .order_by("start", "key")
        .values_list("course_id", "pk", "uuid", "key", "title", "start", "end", "removed_at")
    )
    for course_id, run_id, uuid, key, title, start, end, removed_at in run_rows:
        runs_by_course[course_id].append(
            RunFacts(id=run_id, uuid=uuid, key=key, title=title, start=start, end=end, removed=removed_at is not None)
        )
    excluded: dict[int, set[int]] = defaultdict(set)
    for program_id, run_id in Program.excluded_course_runs.through.objects.filter(program_id__in=ids).values_list(
        "program_id", "courserun_id"
    ):
        excluded[program_id].add(run_id)
    courses: dict[int, list[CourseFacts]] = defaultdict(list)
    for program_id, course_id, course_uuid, course_key, course_title in links:
        courses[program_id].append(
            CourseFacts(uuid=course_uuid, key=course_key, title=course_title, runs=tuple(runs_by_course[course_id]))
        )
    return [
        ProgramFacts(
            id=program.pk,
            uuid=program.uuid,
            title=program.title,
            type=program.type,
            status=program.status,
            applicable_seat_types=tuple(program.applicable_seat_types or ()),
            courses=tuple(courses[program.pk]),
            excluded_run_ids=frozenset(excluded[program.pk]),
        )
        for program in programs
    ]


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
    """Every program (not deleted) with a member run, excluded ones included, in which the learner is
    enrolled or holds a credential; ordered by title. Seven queries however many programs: the
    learner's records (three), then the facts of every touched program at once (four).
    """
    records = learner_records(learner, username=username)
    touched_runs = set(records.credentials) | {run_id for run_id, e in records.enrollments.items() if e.is_active}
    if not touched_runs:
        return []
    program_ids = (
        ProgramCourse.objects.filter(course__course_runs__in=touched_runs, course__course_runs__removed_at__isnull=True)
        .exclude(program__status=ProgramStatus.DELETED)
        .values_list("program_id", flat=True)
        .distinct()
    )
    now = now or timezone.now()
    programs = program_facts(Program.objects.filter(pk__in=program_ids))
    return [reconcile_program_status(program, records, now) for program in programs]
