"""Plain values the programs app hands to callers."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedCourseRunKey:
    """A course run key split the way edx-opaque-keys reads it."""

    run_key: str
    course_key: str
    org_key: str
