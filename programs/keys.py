"""Course run keys as the catalog reads them: ``core.course_keys`` (the one parser), answered as this app's 400."""

from core.course_keys import CourseRunKeyRefused, course_run_key_parse, is_course_run_key
from programs.data import ParsedCourseRunKey
from programs.exceptions import InvalidCourseRunKey

__all__ = ["is_course_run_key", "parse_course_run_key"]


def parse_course_run_key(value: str) -> ParsedCourseRunKey:
    """The run, course and organization keys of ``value``; ``InvalidCourseRunKey`` (a 400 naming
    ``course_run_key``) when ``core.course_keys.course_run_key_parse`` refuses it."""
    try:
        key = course_run_key_parse(value)
    except CourseRunKeyRefused as exc:
        raise InvalidCourseRunKey({"course_run_key": [str(exc)]}) from exc
    return ParsedCourseRunKey(run_key=key.run_key, course_key=key.course_key, org_key=key.org_key)
