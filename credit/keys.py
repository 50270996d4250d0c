"""Course run keys of credit courses: ``core.course_keys`` (the one parser), answered as this app's 400."""

from dataclasses import dataclass

from core.course_keys import CourseRunKeyRefused, course_run_key_parse
from credit.exceptions import InvalidCourseKey


@dataclass(frozen=True)
class CreditCourseKey:
    key: str
    org: str
    course: str
    run: str


def parse_credit_course_key(value: object) -> CreditCourseKey:
    """``value`` in canonical form; ``InvalidCourseKey`` (a 400 naming ``course_key``, the credit API's field)
    when ``core.course_keys.course_run_key_parse`` refuses it."""
    try:
        key = course_run_key_parse(value if isinstance(value, str) else str(value))
    except CourseRunKeyRefused as exc:
        raise InvalidCourseKey({"course_key": [str(exc)]}) from exc
    return CreditCourseKey(key=key.run_key, org=key.org_key, course=key.course, run=key.run)
