"""Course run key parsing with edx-opaque-keys."""

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import LibraryLocator

from programs.data import ParsedCourseRunKey
from programs.exceptions import InvalidCourseRunKey
from programs.models import Course, CourseRun, Organization


def parse_course_run_key(value: str) -> ParsedCourseRunKey:
    """Split ``course-v1:Org+Num+Run`` (or an old ``Org/Num/Run`` key) into run, course and org keys.

    Raises ``InvalidCourseRunKey`` (a 400 naming ``course_run_key``) for anything that is not a course
    run key, libraries included, and for a key whose run, course or organization key is longer than
    the catalog stores (255 characters).
    """
    try:
        key = CourseKey.from_string(value.strip())
    except (InvalidKeyError, AttributeError) as exc:
        raise InvalidCourseRunKey({"course_run_key": [f"{value!r} is not a valid course run key."]}) from exc
    if isinstance(key, LibraryLocator) or not key.run or not key.org:
        raise InvalidCourseRunKey({"course_run_key": [f"{value!r} names a library, not a course run."]})
    parsed = ParsedCourseRunKey(run_key=str(key), course_key=f"{key.org}+{key.course}", org_key=key.org)
    # edx-opaque-keys sets no length limit; the catalog's key columns do (a 500 on PostgreSQL otherwise).
    for what, part, model in (  # the narrowest part first: a long organization makes every key long
        ("Its organization key", parsed.org_key, Organization),
        ("Its course key", parsed.course_key, Course),
        ("The course run key", parsed.run_key, CourseRun),
    ):
        limit = model._meta.get_field("key").max_length
        if limit is not None and len(part) > limit:
            raise InvalidCourseRunKey({"course_run_key": [f"{what} is longer than {limit} characters."]})
    return parsed


def is_course_run_key(value: str) -> bool:
    try:
        parse_course_run_key(value)
    except InvalidCourseRunKey:
        return False
    return True
