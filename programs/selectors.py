"""Reads of the catalog and programs, built for the API: query count independent of the answer's size."""

from collections.abc import Collection, Iterable
from uuid import UUID

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from programs.models import (
    Course,
    CourseRun,
    Organization,
    Program,
    ProgramCourse,
    ProgramExcludedCourseRun,
    SyncRun,
)


def program_list(
    *,
    status: str | None = None,
    type: str | None = None,
    organization: str | None = None,
    course_run_key: str | None = None,
) -> QuerySet[Program]:
    """Programs by title, filtered.

    ``type`` matches the type slug or name (case-insensitive); ``organization`` an authoring
    organization key; ``course_run_key`` keeps programs the run counts toward: one of its courses
    holds the run, the LMS has not deleted it, and the program does not exclude it (Discovery's
    meaning of a run's programs). A deleted run counts toward no program.
    """
    programs = Program.objects.prefetch_related("authoring_organizations").order_by("title", "id")
    if status:
        programs = programs.filter(status=status)
    if type:
        programs = programs.filter(Q(type_slug__iexact=type) | Q(type__iexact=type))
    if organization:
        programs = programs.filter(
            Exists(
                Program.authoring_organizations.through.objects.filter(
                    program=OuterRef("pk"), organization__key=organization
                )
            )
        )
    if course_run_key:
        holds_run = ProgramCourse.objects.filter(
            program=OuterRef("pk"),
            course__course_runs__key=course_run_key,
            course__course_runs__removed_at__isnull=True,  # the same run: one filter() call, one join
        )
        excludes_run = ProgramExcludedCourseRun.objects.filter(program=OuterRef("pk"), courserun__key=course_run_key)
        programs = programs.filter(Exists(holds_run)).exclude(Exists(excludes_run))
    return programs


def program_get(*, uuid: UUID) -> Program | None:
    """One program with its ordered courses, each course's runs, exclusions and organizations."""
    runs = CourseRun.objects.order_by("start", "key")
    courses = ProgramCourse.objects.select_related("course").prefetch_related(
        Prefetch("course__course_runs", queryset=runs)
    )
    return (
        Program.objects.prefetch_related(
            Prefetch("program_courses", queryset=courses.order_by("position", "id")),
            Prefetch("excluded_course_runs", queryset=CourseRun.objects.order_by("key")),
            "authoring_organizations",
        )
        .filter(uuid=uuid)
        .first()
    )


def runs_a_program_may_not_exclude(*, program_id: int, runs: Iterable[tuple[str, int]]) -> list[str]:
    """The keys among ``runs`` (``(run key, course id)`` pairs) that an exclusion of this program may not
    name, in the given order: the rule "an exclusion names a run of one of the program's courses",
    checked before a write (services, admin). ``exclusions_outside_program_courses`` is the same rule
    as a query over stored rows. One query."""
    course_ids = set(ProgramCourse.objects.filter(program_id=program_id).values_list("course_id", flat=True))
    return [key for key, course_id in runs if course_id not in course_ids]


def exclusions_outside_program_courses(*, program_ids: Collection[int] | None = None) -> QuerySet[models.Model]:
    """Exclusion rows (``Program.excluded_course_runs`` through rows) naming a run that none of
    the program's courses holds: what the rule "an exclusion names a run of one of the program's
    courses" forbids. One query, whatever the number of programs."""
    through = ProgramExcludedCourseRun
    of_its_courses = ProgramCourse.objects.filter(
        program_id=OuterRef("program_id"), course_id=OuterRef("courserun__course_id")
    )
    rows = through.objects.exclude(Exists(of_its_courses))
    return rows.filter(program_id__in=list(program_ids)) if program_ids is not None else rows


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.order_by("key")


def course_list(*, organization: str | None = None) -> QuerySet[Course]:
    courses = Course.objects.select_related("organization").order_by("key")
    return courses.filter(organization__key=organization) if organization else courses


def course_run_list(*, course: str | None = None, organization: str | None = None) -> QuerySet[CourseRun]:
    runs = CourseRun.objects.select_related("course__organization").order_by("key")
    if course:
        runs = runs.filter(course__key=course)
    if organization:
        runs = runs.filter(course__organization__key=organization)
    return runs


def sync_run_get(*, sync_run_id: int) -> SyncRun | None:
    return SyncRun.objects.filter(pk=sync_run_id).first()


def sync_run_list() -> QuerySet[SyncRun]:
    return SyncRun.objects.order_by("-queued_at", "-id")
