"""The one parser of course run keys (``course-v1:Org+Num+Run`` or the old ``Org/Num/Run``), on edx-opaque-keys.

Every app that takes a course run key from outside (catalog ingest, enrollments, learner records, credit)
reads it here, so a key is accepted or refused by the same rule and with the same message everywhere.
The apps turn ``CourseRunKeyRefused`` into their own 400 (named after the field their contract uses).
"""

from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import LibraryLocator

#: The longest run, course or organization key the service stores (every key column is this wide).
KEY_MAX_LENGTH = 255


@dataclass(frozen=True)
class CourseRunKey:
    """A course run key in canonical form and its parts."""

    run_key: str
    org_key: str
    course: str
    run: str

    @property
    def course_key(self) -> str:
        """The catalog's course key, ``Org+Num``."""
        return f"{self.org_key}+{self.course}"


class CourseRunKeyRefused(ValueError):
    """A value that is not a course run key this service can store; ``str()`` says why, for a person."""


def course_run_key_parse(value: object) -> CourseRunKey:
    """The canonical course run key of ``value`` (surrounding blanks ignored), or ``CourseRunKeyRefused``.

    Refused: anything edx-opaque-keys cannot read, libraries, keys without an organization or run, and
    keys whose organization, course or run key is longer than ``KEY_MAX_LENGTH`` (checked narrowest
    first, and before parsing, so an enormous value costs nothing).
    """
    if not isinstance(value, str):
        raise CourseRunKeyRefused(_("%(value)r is not a valid course run key.") % {"value": value})
    return _parse_text(value)


# The parts checked for length, narrowest first: a long organization makes every key long.
_ORGANIZATION_KEY = gettext_lazy("Its organization key")
_COURSE_KEY = gettext_lazy("Its course key")
_RUN_KEY = gettext_lazy("The course run key")


@lru_cache(maxsize=4096)
def _parse_text(value: str) -> CourseRunKey:
    """``course_run_key_parse`` of a string; accepted keys are remembered, refusals never are.

    A bulk request names the same few runs for hundreds of learners: edx-opaque-keys' regular
    expressions then ran once per mention, most of a bulk status call's validation (issue 17).
    Refusals raise, so their message is always written in the language of the request that sent them.
    """
    text = value.strip()
    if len(text) > 4 * KEY_MAX_LENGTH:  # longer than any three stored parts together: not worth parsing
        raise CourseRunKeyRefused(_too_long(_RUN_KEY))
    try:
        key = CourseKey.from_string(text)
    except InvalidKeyError as exc:
        raise CourseRunKeyRefused(_("%(value)r is not a valid course run key.") % {"value": value}) from exc
    if isinstance(key, LibraryLocator) or not key.run or not key.org:
        raise CourseRunKeyRefused(_("%(value)r names a library, not a course run.") % {"value": value})
    parsed = CourseRunKey(run_key=str(key), org_key=str(key.org), course=str(key.course), run=str(key.run))
    for what, part in (
        (_ORGANIZATION_KEY, parsed.org_key),
        (_COURSE_KEY, parsed.course_key),
        (_RUN_KEY, parsed.run_key),
    ):
        if len(part) > KEY_MAX_LENGTH:
            raise CourseRunKeyRefused(_too_long(what))
    return parsed


def _too_long(what: object) -> str:
    return _("%(what)s is longer than %(limit)d characters.") % {"what": what, "limit": KEY_MAX_LENGTH}


def is_course_run_key(value: object) -> bool:
    """Whether ``course_run_key_parse`` accepts ``value``."""
    try:
        course_run_key_parse(value)
    except CourseRunKeyRefused:
        return False
    return True
