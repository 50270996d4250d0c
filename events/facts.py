"""What an event says, read and checked before anything is written (docs/decisions/0011).

Each ``*_facts`` reads one event's data (the openedx-events data classes) into plain values, or
raises ``SkipEvent`` (or the ``APIException`` of an identity the services would refuse) when the
data names nothing this service can record. Both ways of applying events use them: one event at a
time (``events.services``) and a batch at once (``events.batches``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from core.api import LearnerAccount
from credentials_status.api import CertificateType
from programs.api import parse_course_run_key

CERTIFICATE_REVOKED_TYPE = "org.openedx.learning.certificate.revoked.v1"
#: The LMS's status of a certificate a learner holds (``CertificateStatuses.downloadable``).
CERTIFICATE_AWARDED_STATUS = "downloadable"
_TEXT_MAX_LENGTH = 255
_LETTER_GRADE_MAX_LENGTH = 32
_PERCENT_STEP = Decimal("0.0001")


class SkipEvent(Exception):
    """The event names nothing this service can record; it is logged with its id and skipped."""


@dataclass(frozen=True)
class EventRef:
    """What applying an event needs of its metadata."""

    id: UUID
    type: str
    time: datetime

    @classmethod
    def from_metadata(cls, metadata: Any) -> "EventRef":
        """From openedx-events' ``EventsMetadata``; a time without a zone is UTC."""
        moment = metadata.time
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return cls(id=UUID(str(metadata.id)), type=str(metadata.event_type), time=moment)

    @property
    def history_source(self) -> str:
        """What the history rows of the records it changes name as their source."""
        return f"event {self.type} {self.id}"


@dataclass(frozen=True)
class CertificateFacts:
    run_key: str
    account: LearnerAccount
    mode: str
    awarded: bool  # False: a revocation, which changes only a credential held here


@dataclass(frozen=True)
class EnrollmentFacts:
    run_key: str
    account: LearnerAccount
    mode: str
    is_active: bool


@dataclass(frozen=True)
class GradeFacts:
    run_key: str
    lms_user_id: int
    percent: Decimal
    letter: str
    passed: bool


@dataclass(frozen=True)
class CatalogFacts:
    run_key: str
    title: str
    start: datetime | None
    end: datetime | None
    hidden: bool

    def run_values(self) -> dict[str, Any]:
        """What the event sets on the run: ``title``, ``start``, ``end``, ``hidden``."""
        return {"title": self.title, "start": self.start, "end": self.end, "hidden": self.hidden}


def read(values: Callable[[], Any]) -> Any:
    """Values read from event data; data missing a part the schema promises is a skipped event."""
    try:
        return values()
    except (AttributeError, TypeError, ValueError, InvalidOperation) as exc:
        raise SkipEvent(f"Malformed event data: {exc!r}") from exc


def text(value: Any, name: str, max_length: int = _TEXT_MAX_LENGTH) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise SkipEvent(f"{name} is not a string of at most {max_length} characters.")
    return value


def run_key(course: Any) -> str:
    """The canonical run key of an event's ``CourseData`` (or ``CourseCatalogData``'s ``course_key``)."""
    return str(read(lambda: parse_course_run_key(str(course.course_key)).run_key))


def _account(user: Any) -> LearnerAccount:
    """The learner an event's ``UserData`` names (``id``, ``pii.username``, ``pii.email``)."""
    account: LearnerAccount = read(
        lambda: LearnerAccount(username=user.pii.username, lms_user_id=user.id, email=user.pii.email or None)
    )
    return account


def certificate_facts(event: EventRef, certificate: Any) -> CertificateFacts:
    """``CertificateData``: type from ``mode``; revoked by the revoked event or a status other than downloadable."""
    key = run_key(certificate.course)
    account = _account(certificate.user)
    mode = read(lambda: str(certificate.mode))
    if mode not in CertificateType.values:
        raise SkipEvent(f"Certificate mode {mode[:50]!r} is not a certificate type this service records.")
    awarded = event.type != CERTIFICATE_REVOKED_TYPE and certificate.current_status == CERTIFICATE_AWARDED_STATUS
    return CertificateFacts(run_key=key, account=account, mode=mode, awarded=awarded)


def enrollment_facts(enrollment: Any) -> EnrollmentFacts:
    """``CourseEnrollmentData``: mode and whether the enrollment is active."""
    key = run_key(enrollment.course)
    account = _account(enrollment.user)
    mode = text(enrollment.mode, "mode", 100)
    is_active = enrollment.is_active
    if not isinstance(is_active, bool):
        raise SkipEvent("is_active is not a boolean.")
    return EnrollmentFacts(run_key=key, account=account, mode=mode, is_active=is_active)


def grade_facts(grade: Any) -> GradeFacts:
    """``PersistentCourseGradeData``: the learner by LMS user id only; a percent between 0 and 1."""
    key = run_key(grade.course)
    user_id = grade.user_id
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise SkipEvent(f"Unknown learner (LMS user id {user_id!r}).")
    percent = read(lambda: Decimal(str(grade.percent_grade)).quantize(_PERCENT_STEP))
    if not Decimal(0) <= percent <= Decimal(1):
        raise SkipEvent("percent_grade is not between 0 and 1.")
    letter = text(grade.letter_grade or "", "letter_grade", _LETTER_GRADE_MAX_LENGTH)
    return GradeFacts(
        run_key=key, lms_user_id=user_id, percent=percent, letter=letter, passed=grade.passed_timestamp is not None
    )


def catalog_facts(catalog_info: Any) -> CatalogFacts:
    """``CourseCatalogData``: title from ``name``, ``start``/``end`` from ``schedule_data``, ``hidden``."""
    key = run_key(catalog_info)
    title = text(catalog_info.name, "name")
    start, end = read(lambda: (catalog_info.schedule_data.start, catalog_info.schedule_data.end))
    for moment in (start, end):
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            raise SkipEvent("A schedule date is not a datetime with a time zone.")
    return CatalogFacts(run_key=key, title=title, start=start, end=end, hidden=bool(catalog_info.hidden))
