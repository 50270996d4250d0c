"""Plain values the programs app hands to callers."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID


@dataclass(frozen=True)
class CatalogChange:
    """A Studio catalog change to a stored run, for ``services.course_runs_catalog_apply``."""

    key: str
    title: str
    start: datetime | None
    end: datetime | None
    hidden: bool
    event_time: datetime
    history_source: str = ""


@dataclass(frozen=True)
class ParsedCourseRunKey:
    """A course run key split the way edx-opaque-keys reads it."""

    run_key: str
    course_key: str
    org_key: str


@dataclass
class SyncCounts:
    """What a Discovery sync did (or, for a dry run, would do)."""

    organizations_created: int = 0
    organizations_updated: int = 0
    courses_created: int = 0
    courses_updated: int = 0
    course_runs_created: int = 0
    course_runs_updated: int = 0
    programs_created: int = 0
    programs_updated: int = 0
    programs_unchanged: int = 0
    programs_retired: int = 0
    excluded_runs_found: int = 0
    exclusions_dropped: int = 0  # exclusions of runs no longer of their program's courses (a run moved)
    errors: int = 0

    # The names GET /syncs/{id}/ answers with (its OpenAPI schema, /api/schema/).
    @property
    def created(self) -> int:
        return self.programs_created

    @property
    def updated(self) -> int:
        return self.programs_updated

    @property
    def unchanged(self) -> int:
        return self.programs_unchanged

    @property
    def retired(self) -> int:
        return self.programs_retired


@dataclass
class SyncResult:
    counts: SyncCounts
    changes: list[str] = field(default_factory=list)
    changes_truncated: bool = False
    dry_run: bool = False
    discovery_requests: int = 0


class RunIdentity(Protocol):
    """What another app's writer needs of a course run: a stored run (model) or a ``CourseRunRow``."""

    @property
    def id(self) -> int: ...

    @property
    def key(self) -> str: ...


class CourseRunRow(NamedTuple):
    """A stored course run as other apps read it (``selectors.course_runs_read``)."""

    id: int
    key: str
    uuid: UUID
    title: str
    course_uuid: UUID
    start: datetime | None
    end: datetime | None
    removed_at: datetime | None


@dataclass(frozen=True)
class ProgramSummary:
    """A program as a list shows it."""

    uuid: UUID
    title: str
    type: str
    status: str


@dataclass(frozen=True)
class ExclusionOrigin:
    """Since when a program excludes a run and what excluded it (a history row's source)."""

    program_uuid: UUID
    run_key: str
    since: datetime | None  # None: excluded before history was kept
    source: str

    @property
    def line(self) -> str:
        """``excluded since 2024-05-02 by Discovery sync #42``, as the console shows it."""
        if self.since is None:
            return "excluded since before history was kept"
        return f"excluded since {self.since:%Y-%m-%d} by {self.source or 'an unrecorded change'}"


class RunFacts(NamedTuple):
    """A run as a program's reconciliation sees it; a tuple, built by the hundred per program read
    (see credentials_status.data)."""

    id: int
    uuid: UUID
    key: str
    title: str
    start: datetime | None
    end: datetime | None
    removed: bool = False


@dataclass(frozen=True)
class CourseFacts:
    uuid: UUID
    key: str
    title: str
    runs: tuple[RunFacts, ...] = ()

    def __post_init__(self) -> None:
        # In the order a program lists them: by start, unscheduled ones last, then by key. Sorted once
        # here, as the facts are built, not for every learner reconciled against them.
        object.__setattr__(self, "runs", tuple(sorted(self.runs, key=_by_start)))


def _by_start(run: RunFacts) -> tuple[bool, datetime, str]:
    return (run.start is None, run.start or datetime.min, run.key)


class RunInProgram(NamedTuple):
    """A run as its program counts it: the program's side of a run's status, the same for every learner.
    Built once with the program's facts (``ProgramFacts.runs_in_program``) and shared by every answer built
    from them, so that what is written of it is written once (``core.rendering.written_with_part``, issue 17)."""

    uuid: UUID
    key: str
    title: str
    start: datetime | None
    end: datetime | None
    excluded: bool
    removed: bool
    counts_toward_program: bool  # neither excluded nor removed


@dataclass(frozen=True)
class ProgramFacts:
    """A program as the reconciliation sees it: ordered courses, every run of them, exclusions."""

    id: int
    uuid: UUID
    title: str
    type: str
    status: str
    applicable_seat_types: tuple[str, ...] = ()
    courses: tuple[CourseFacts, ...] = ()
    excluded_run_ids: frozenset[int] = frozenset()
    # For each course of ``courses``, in order: each of its runs' id with the run as the program counts it.
    runs_in_program: tuple[tuple[tuple[int, RunInProgram], ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        excluded = self.excluded_run_ids
        object.__setattr__(
            self,
            "runs_in_program",
            tuple(
                tuple((run.id, _in_program(run, run.id in excluded)) for run in course.runs) for course in self.courses
            ),
        )


def _in_program(run: RunFacts, excluded: bool) -> RunInProgram:
    return RunInProgram(
        uuid=run.uuid,
        key=run.key,
        title=run.title,
        start=run.start,
        end=run.end,
        excluded=excluded,
        removed=run.removed,
        counts_toward_program=not excluded and not run.removed,
    )
