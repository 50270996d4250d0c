"""What other apps may use of the catalog: plain values, no ORM models (ADR 0015)."""

from programs.data import (
    CatalogChange,
    CourseFacts,
    CourseRunRow,
    ExclusionOrigin,
    ParsedCourseRunKey,
    ProgramFacts,
    ProgramSummary,
    RunFacts,
    RunIdentity,
)
from programs.exceptions import InvalidCourseRunKey
from programs.keys import is_course_run_key, parse_course_run_key
from programs.selectors import (
    course_runs_read,
    exclusion_origins,
    program_facts_by_uuid,
    program_facts_holding_runs,
    program_summaries,
)
from programs.services import (
    course_run_ensure,
    course_run_remove,
    course_run_upsert,
    course_runs_catalog_apply,
    course_runs_lock,
)

__all__ = [
    "CatalogChange",
    "CourseFacts",
    "CourseRunRow",
    "ExclusionOrigin",
    "InvalidCourseRunKey",
    "ParsedCourseRunKey",
    "ProgramFacts",
    "ProgramSummary",
    "RunFacts",
    "RunIdentity",
    "course_run_ensure",
    "course_run_remove",
    "course_run_upsert",
    "course_runs_catalog_apply",
    "course_runs_lock",
    "course_runs_read",
    "exclusion_origins",
    "is_course_run_key",
    "parse_course_run_key",
    "program_facts_by_uuid",
    "program_facts_holding_runs",
    "program_summaries",
]
