"""Course run key parsing with edx-opaque-keys."""

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import LibraryLocator

from programs.data import ParsedCourseRunKey
from programs.exceptions import InvalidCourseRunKey


def parse_course_run_key(value: str) -> ParsedCourseRunKey:
    """Split ``course-v1:Org+Num+Run`` (or an old ``Org/Num/Run`` key) into run, course and org keys.

    Raises ``InvalidCourseRunKey`` (a 400) for anything that is not a course run key, libraries included.
    """
    try:
        key = CourseKey.from_string(value.strip())
    except (InvalidKeyError, AttributeError) as exc:
        raise InvalidCourseRunKey({"course_run_key": [f"{value!r} is not a valid course run key."]}) from exc
    if isinstance(key, LibraryLocator) or not key.run or not key.org:
        raise InvalidCourseRunKey({"course_run_key": [f"{value!r} names a library, not a course run."]})
    return ParsedCourseRunKey(run_key=str(key), course_key=f"{key.org}+{key.course}", org_key=key.org)


def is_course_run_key(value: str) -> bool:
    try:
        parse_course_run_key(value)
    except InvalidCourseRunKey:
        return False
    return True
