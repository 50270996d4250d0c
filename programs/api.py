"""What other apps may use of the catalog."""

from programs.data import ParsedCourseRunKey
from programs.exceptions import InvalidCourseRunKey
from programs.keys import is_course_run_key, parse_course_run_key
from programs.models import Course, CourseRun, Organization
from programs.services import course_run_ensure, course_run_remove, course_run_upsert

__all__ = [
    "Course",
    "CourseRun",
    "InvalidCourseRunKey",
    "Organization",
    "ParsedCourseRunKey",
    "course_run_ensure",
    "course_run_remove",
    "course_run_upsert",
    "is_course_run_key",
    "parse_course_run_key",
]
