"""Course run keys of credit courses, read with edx-opaque-keys."""

from dataclasses import dataclass

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import LibraryLocator

from credit.exceptions import InvalidCourseKey
from credit.models import COURSE_KEY_MAX_LENGTH


@dataclass(frozen=True)
class CreditCourseKey:
    key: str
    org: str
    course: str
    run: str


def parse_credit_course_key(value: object) -> CreditCourseKey:
    """``course-v1:Org+Num+Run`` (or ``Org/Num/Run``) in canonical form; ``InvalidCourseKey`` (400) otherwise.

    A key longer than ``CreditCourse.course_key`` can hold is invalid too, so it never reaches the database.
    """
    text = str(value).strip()
    too_long = InvalidCourseKey(
        {"course_key": [f"A course run key has at most {COURSE_KEY_MAX_LENGTH} characters; got {len(text)}."]}
    )
    if len(text) > COURSE_KEY_MAX_LENGTH:
        raise too_long
    try:
        key = CourseKey.from_string(text)
    except InvalidKeyError as exc:
        raise InvalidCourseKey({"course_key": [f"{value!r} is not a valid course run key."]}) from exc
    if isinstance(key, LibraryLocator) or not key.run:
        raise InvalidCourseKey({"course_key": [f"{value!r} is not a course run key."]})
    if len(str(key)) > COURSE_KEY_MAX_LENGTH:
        raise too_long
    return CreditCourseKey(key=str(key), org=str(key.org), course=str(key.course), run=str(key.run))
