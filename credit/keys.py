"""Course run keys of credit courses, read with edx-opaque-keys."""

from dataclasses import dataclass

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import LibraryLocator

from credit.exceptions import InvalidCourseKey


@dataclass(frozen=True)
class CreditCourseKey:
    key: str
    org: str
    course: str
    run: str


def parse_credit_course_key(value: object) -> CreditCourseKey:
    """``course-v1:Org+Num+Run`` (or ``Org/Num/Run``) in canonical form; ``InvalidCourseKey`` (400) otherwise."""
    try:
        key = CourseKey.from_string(str(value).strip())
    except InvalidKeyError as exc:
        raise InvalidCourseKey({"course_key": [f"{value!r} is not a valid course run key."]}) from exc
    if isinstance(key, LibraryLocator) or not key.run:
        raise InvalidCourseKey({"course_key": [f"{value!r} is not a course run key."]})
    return CreditCourseKey(key=str(key), org=str(key.org), course=str(key.course), run=str(key.run))
