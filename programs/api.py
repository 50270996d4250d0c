"""What other apps may use of the catalog (no ORM models: ADR 0015)."""

from programs.data import CatalogChange, ParsedCourseRunKey
from programs.exceptions import InvalidCourseRunKey
from programs.keys import is_course_run_key, parse_course_run_key
from programs.services import course_run_ensure, course_run_remove, course_run_upsert, course_runs_catalog_apply

__all__ = [
    "CatalogChange",
    "InvalidCourseRunKey",
    "ParsedCourseRunKey",
    "course_run_ensure",
    "course_run_remove",
    "course_run_upsert",
    "course_runs_catalog_apply",
    "is_course_run_key",
    "parse_course_run_key",
]
