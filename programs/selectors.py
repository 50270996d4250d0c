"""Reads of the catalog and programs, built for the API: query count independent of the answer's size."""

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from core.db import BuiltFromRows, Table, chunked, in_list, rows_converted, rows_fetched
from programs.data import (
    CourseFacts,
    CourseRunRow,
    ExclusionOrigin,
    ProgramFacts,
    ProgramSummary,
    RunFacts,
)
from programs.models import (
    Course,
    CourseRun,
    Organization,
    Program,
    ProgramCourse,
    ProgramExcludedCourseRun,
    SyncRun,
)

# Bounded IN lists: SQLite's limit on bound parameters, and plans stay simple.
CHUNK = 2000


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
    # As a program lists them (``programs.data.CourseFacts``): SQLite and MariaDB sort a missing start first.
    runs = CourseRun.objects.order_by(F("start").asc(nulls_last=True), "key")
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


# --- Reads for other apps (through programs.api): plain values, no model instances ---------------

_RUN_ROW_FIELDS = ("pk", "key", "uuid", "title", "course__uuid", "start", "end", "removed_at")


def course_runs_read(
    *, ids: Iterable[int] = (), keys: Iterable[str] = (), uuids: Iterable[UUID] = ()
) -> list[CourseRunRow]:
    """The stored runs having any of these ids, keys or uuids: one query per ``CHUNK`` identifiers."""
    asked: list[tuple[str, object]] = [("pk", value) for value in set(ids)]
    asked += [("key", value) for value in set(keys)]
    asked += [("uuid", value) for value in set(uuids)]
    found: dict[int, CourseRunRow] = {}
    for batch in chunked(asked, CHUNK):
        by_field: dict[str, list[object]] = defaultdict(list)
        for field_name, value in batch:
            by_field[field_name].append(value)
        wanted = Q()
        for field_name, values in by_field.items():
            wanted |= Q(**{f"{field_name}__in": values})
        for row in CourseRun.objects.filter(wanted).values_list(*_RUN_ROW_FIELDS):
            found[row[0]] = CourseRunRow(*row)
    return list(found.values())


def program_summaries() -> list[ProgramSummary]:
    """Every program, by title."""
    rows = Program.objects.order_by("title", "pk").values_list("uuid", "title", "type", "status")
    return [ProgramSummary(*row) for row in rows]


def exclusion_origins(*, program_uuids: Iterable[UUID]) -> dict[UUID, list[ExclusionOrigin]]:
    """The current exclusions of these programs with their origin, by program uuid, run keys in order.

    The origin is the latest ``+`` history row of the exclusion (an exclusion removed and added again
    is excluded since it came back). Two queries, whatever the number of programs and runs.
    """
    rows = list(
        ProgramExcludedCourseRun.objects.filter(program__uuid__in=list(program_uuids))
        .order_by("program_id", "courserun__key")
        .values_list("program_id", "courserun_id", "program__uuid", "courserun__key")
    )
    if not rows:
        return {}
    added: dict[tuple[int, int], tuple[datetime, str]] = {}
    history = ProgramExcludedCourseRun.history.filter(  # type: ignore[attr-defined]
        program_id__in={row[0] for row in rows}, history_type="+"
    ).order_by("history_date", "history_id")
    for program_id, run_id, date, source in history.values_list(
        "program_id", "courserun_id", "history_date", "history_source"
    ):
        added[(program_id, run_id)] = (date, source)
    origins: dict[UUID, list[ExclusionOrigin]] = {}
    for program_id, run_id, program_uuid, run_key in rows:
        since, source = added.get((program_id, run_id), (None, ""))
        origins.setdefault(program_uuid, []).append(
            ExclusionOrigin(program_uuid=program_uuid, run_key=run_key, since=since, source=source)
        )
    return origins


# --- Programs as a learner's status reconciles them ----------------------------------------------


def program_facts_by_uuid(*, program_uuid: UUID) -> ProgramFacts | None:
    """The program's facts (as ``_facts_assembled`` builds them); ``None`` when no program has this uuid.

    Two hand-written statements (the program with its courses, then the courses' runs with their
    exclusion flag), read at every learner's program status. The facts built from their rows are
    remembered while the rows stay the same (``core.db.BuiltFromRows``): a 30-course program's 300 runs
    were converted and assembled again for every learner (issue 17).
    """
    uuid_sql, uuid_params = in_list(_PROGRAMS.column("uuid"), [program_uuid], _PROGRAMS.field("uuid"))
    program_rows = rows_fetched(_programs_statement(uuid_sql, by_title=False), uuid_params)
    if not program_rows:
        return None
    program_id = program_rows[0][0]
    course_ids = _course_ids(program_rows)
    run_rows = rows_fetched(*_runs_statement(course_ids, program_id)) if course_ids else []

    def build() -> ProgramFacts:
        programs, links = _programs_and_links(rows_converted(program_rows, _program_fields()))
        runs_by_course, excluded = _runs_grouped(rows_converted(run_rows, _run_fields()), program_id)
        return _facts_assembled(programs, links, runs_by_course, excluded)[0]

    return _SINGLE_PROGRAM_FACTS.get(program_uuid, (program_rows, run_rows), build)


def program_facts_holding_runs(*, run_ids: Collection[int]) -> list[ProgramFacts]:
    """The facts of every program with one of these runs among its courses' runs (excluded ones
    included; a run the LMS deleted counts for none), by title.

    Hand-written statements, as ``program_facts_by_uuid`` reads one program: the programs holding the runs
    with their courses, the courses' runs, and for several programs their exclusions. The facts built from their
    rows are remembered while the rows stay the same, for this set of programs (the learners' programs
    list and their own page read the same few sets again and again).
    """
    if not run_ids:
        return []
    runs_sql, params = in_list(_RUNS.column("id"), run_ids)
    # The inner statement's own link table shadows the outer one: its columns name the inner rows.
    holding = (
        f"{_PROGRAMS.column('id')} IN (SELECT {_LINKS.column('program')} FROM {_LINKS.table}"  # noqa: S608
        f" JOIN {_RUNS.table} ON {_RUNS.column('course')} = {_LINKS.column('course')}"
        f" WHERE {runs_sql} AND {_RUNS.column('removed_at')} IS NULL)"
    )
    program_rows = rows_fetched(_programs_statement(holding, by_title=True), params)
    if not program_rows:
        return []
    program_ids = sorted({row[0] for row in program_rows})
    course_ids = _course_ids(program_rows)
    # One program (the usual learner): its exclusions come with its runs, as ``program_facts_by_uuid`` reads them.
    single_program = program_ids[0] if len(program_ids) == 1 else None
    run_rows = rows_fetched(*_runs_statement(course_ids, single_program)) if course_ids else []
    exclusion_rows: list[tuple[Any, ...]] = []
    if single_program is None:
        programs_sql, programs_params = in_list(_EXCLUSIONS.column("program"), program_ids)
        exclusion_rows = rows_fetched(
            f"SELECT {_EXCLUSIONS.select('program', 'courserun')} FROM {_EXCLUSIONS.table}"  # noqa: S608
            f" WHERE {programs_sql} ORDER BY {_EXCLUSIONS.select('program', 'courserun')}",
            programs_params,
        )

    def build() -> tuple[ProgramFacts, ...]:
        programs, links = _programs_and_links(rows_converted(program_rows, _program_fields()))
        runs_by_course, excluded = _runs_grouped(rows_converted(run_rows, _run_fields()), single_program)
        for program_id, run_id in exclusion_rows:
            excluded[program_id].add(run_id)
        return tuple(_facts_assembled(programs, links, runs_by_course, excluded))

    return list(_HOLDING_PROGRAMS_FACTS.get(tuple(program_ids), (program_rows, run_rows, exclusion_rows), build))


def _programs_statement(where: str, *, by_title: bool) -> str:
    """The programs matching ``where``, each with its courses in program order: one row per course (a program
    without courses still one row), of ``_program_fields``. Several programs by title."""
    order = f"{_PROGRAMS.column('title')}, {_PROGRAMS.column('id')}, " if by_title else ""
    return (
        f"SELECT {_PROGRAMS.select(*_PROGRAM_COLUMNS)}, {_LINKS.select(*_LINK_COLUMNS)},"  # noqa: S608
        f" {_COURSES.select(*_COURSE_COLUMNS)} FROM {_PROGRAMS.table}"
        f" LEFT JOIN {_LINKS.table} ON {_LINKS.column('program')} = {_PROGRAMS.column('id')}"
        f" LEFT JOIN {_COURSES.table} ON {_COURSES.column('id')} = {_LINKS.column('course')}"
        f" WHERE {where} ORDER BY {order}{_LINKS.column('position')}, {_LINKS.column('id')}"
    )


def _program_fields() -> "list[models.Field[Any, Any]]":
    return [*_PROGRAMS.fields(*_PROGRAM_COLUMNS), *_LINKS.fields(*_LINK_COLUMNS), *_COURSES.fields(*_COURSE_COLUMNS)]


def _course_ids(program_rows: list[tuple[Any, ...]]) -> set[int]:
    course = len(_PROGRAM_COLUMNS)
    return {row[course] for row in program_rows if row[course] is not None}


def _facts_assembled(
    programs: "dict[int, _ProgramRow]",
    links: "dict[int, list[_CourseLink]]",
    runs_by_course: dict[int, list[RunFacts]],
    excluded: dict[int, set[int]],
) -> list[ProgramFacts]:
    return [
        ProgramFacts(
            id=program_id,
            uuid=program.uuid,
            title=program.title,
            type=program.type,
            status=program.status,
            applicable_seat_types=tuple(program.applicable_seat_types or ()),
            courses=tuple(
                CourseFacts(
                    uuid=link.uuid,
                    key=link.key,
                    title=link.title,
                    runs=tuple(runs_by_course[link.course_id]),
                )
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


def _programs_and_links(
    rows: Iterable[tuple[Any, ...]],
) -> tuple[dict[int, _ProgramRow], dict[int, list[_CourseLink]]]:
    """Rows of (program id, uuid, title, type, status, seat types, course id, uuid, key, title), one per
    course of a program in order, as programs by id and each one's course links."""
    programs: dict[int, _ProgramRow] = {}
    links: dict[int, list[_CourseLink]] = defaultdict(list)
    for program_id, uuid, title, type_, status, seat_types, course_id, course_uuid, course_key, course_title in rows:
        programs.setdefault(program_id, _ProgramRow(uuid, title, type_, status, seat_types))
        if course_id is not None:
            links[program_id].append(_CourseLink(course_id, course_uuid, course_key, course_title))
    return programs, links


_RUN_COLUMNS = ("course", "id", "uuid", "key", "title", "start", "end", "removed_at")


def _run_fields() -> "list[models.Field[Any, Any] | None]":
    return [*_RUNS.fields(*_RUN_COLUMNS), None]


def _runs_statement(course_ids: set[int], single_program: int | None) -> tuple[str, list[Any]]:
    """The courses' runs, and for ``single_program`` whether it excludes each (``IN`` its exclusions: the
    databases read them once, where an ``EXISTS`` per run cost 0.8% more of a 100-course status on SQLite).

    Hand-written (``core.db``): a big program has hundreds of runs, and the ORM took longer to build and
    convert them than the database to find them (issue 17).
    """
    courses_sql, params = in_list(_RUNS.column("course"), course_ids)
    # Several programs: their exclusions are read apart, and the flag column is a constant.
    flag, flag_params = "0", []
    if single_program is not None:
        flag = (
            f"{_RUNS.column('id')} IN (SELECT {_EXCLUSIONS.column('courserun')} FROM {_EXCLUSIONS.table}"  # noqa: S608
            f" WHERE {_EXCLUSIONS.column('program')} = %s)"
        )
        flag_params = [single_program]
    # In the order of the course index, so that the rows compare equal from one read to the next; the facts
    # sort each course's runs as a program lists them (``CourseFacts``). Ordered by start and key here, SQLite
    # sorted the rows apart: 3.5 M of a 100-course program status's 125 M instructions (issue 17).
    sql = (
        f"SELECT {_RUNS.select_as_stored(*_RUN_COLUMNS)}, {flag} FROM {_RUNS.table} WHERE {courses_sql}"  # noqa: S608
        f" ORDER BY {_RUNS.column('course')}, {_RUNS.column('id')}"
    )
    return sql, flag_params + params


def _runs_grouped(
    rows: list[tuple[Any, ...]], single_program: int | None
) -> tuple[dict[int, list[RunFacts]], dict[int, set[int]]]:
    """``_runs_statement``'s converted rows as runs by course, and the single program's exclusions."""
    runs_by_course: dict[int, list[RunFacts]] = defaultdict(list)
    excluded: dict[int, set[int]] = defaultdict(set)
    for course_id, run_id, uuid, key, title, start, end, removed_at, is_excluded in rows:
        runs_by_course[course_id].append(
            RunFacts(id=run_id, uuid=uuid, key=key, title=title, start=start, end=end, removed=removed_at is not None)
        )
        if is_excluded and single_program is not None:
            excluded[single_program].add(run_id)
    return runs_by_course, excluded


_RUNS = Table(CourseRun._meta)
_EXCLUSIONS = Table(ProgramExcludedCourseRun._meta)
_PROGRAMS = Table(Program._meta)
_LINKS = Table(ProgramCourse._meta)
_COURSES = Table(Course._meta)
_PROGRAM_COLUMNS = ("id", "uuid", "title", "type", "status", "applicable_seat_types")
_LINK_COLUMNS = ("course",)
_COURSE_COLUMNS = ("uuid", "key", "title")
# Per worker process: a 30-course program's entry (its rows and facts) holds about 170 kB, a 100-course
# one about 570 kB (tracemalloc, SQLite); 64 of them stay within a few tens of MB.
_SINGLE_PROGRAM_FACTS: "BuiltFromRows[UUID, ProgramFacts]" = BuiltFromRows(size=64)
# By set of programs: a learner's usually holds one or two; 32 entries of a few such programs stay within
# tens of MB too.
_HOLDING_PROGRAMS_FACTS: "BuiltFromRows[tuple[int, ...], tuple[ProgramFacts, ...]]" = BuiltFromRows(size=32)
