"""Plain values the programs app hands to callers."""

from dataclasses import dataclass, field
from datetime import datetime


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
