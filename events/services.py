"""Open edX events applied to this service's records: at least once, in any order (docs/decisions/0011).

Each ``*_event_apply`` turns one event's data into calls of the services that own the records
(one writer per record type): credentials and grades (``credentials_status.api``), enrollments and
their pending realisation (``enrollments.api``), credit requirements (``credit.api``) and course
runs (``programs.api``). Around every event, ``event_apply``:

- records the event's metadata id with the changes, in one transaction: a redelivered event finds
  its id and changes nothing;
- passes the event's time to the writers, which ignore a change older than the stored one;
- logs an event that names nothing recordable (unknown run or learner, bad values) with its id and
  skips it (recorded as skipped: its redelivery is a replay too);
- waits, retrying with backoff, while the database is unreachable: the consumer does not return to
  the bus, so the event is not acknowledged, and it is applied once the database is back (the
  consumer of ``events.bus`` does the same for a database lost before the receivers run).
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from rest_framework.exceptions import APIException

from core.api import LearnerAccount, User, learner_find, learner_get_or_create
from core.history import history_source
from core.models import RecordSource
from credentials_status.api import (
    CertificateType,
    CourseRunCredential,
    CredentialStatus,
    course_run_credential_upsert,
    grade_upsert,
)
from credit import api as credit_api
from enrollments.api import enrollment_upsert, pending_enrollments_realize
from events.models import AppliedEvent, EventOutcome
from programs.api import course_run_upsert, parse_course_run_key
from programs.models import CourseRun

log = logging.getLogger(__name__)

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
    """What ``event_apply`` needs of an event's metadata."""

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


@dataclass
class EventBatch:
    """Events applied in one transaction (``event_batch``): what the batch knows without asking the database again.

    ``applied_ids``: event ids recorded before the batch (read once) or by an earlier event of it;
    ``rows``: the ``AppliedEvent`` rows to insert at its end; ``runs``: course runs found by key.
    """

    applied_ids: set[UUID]
    rows: list[AppliedEvent] = field(default_factory=list)
    runs: dict[str, CourseRun] = field(default_factory=dict)

    def record(self, event: EventRef, outcome: EventOutcome) -> None:
        self.applied_ids.add(event.id)
        self.rows.append(AppliedEvent(event_id=event.id, event_type=event.type, event_time=event.time, outcome=outcome))


_batch: ContextVar[EventBatch | None] = ContextVar("events_batch", default=None)


@contextmanager
def event_batch(event_ids: Iterable[UUID]) -> Iterator[EventBatch]:
    """One transaction for several events; their ``AppliedEvent`` rows are inserted together at its end.

    Inside it, ``event_apply`` checks replays against one query for all ``event_ids``, applies each
    event in a savepoint (a skipped or failing event is rolled back alone) and lets database errors
    propagate: the caller retries the whole batch (an outage) or, after an ``IntegrityError`` on the
    rows (another consumer recorded one of the ids meanwhile), runs it again to see the replays.
    Nothing is committed, so nothing may be acknowledged, before it returns.
    """
    ids = list(event_ids)
    with transaction.atomic():
        batch = EventBatch(
            applied_ids=set(AppliedEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        )
        token = _batch.set(batch)
        try:
            yield batch
        finally:
            _batch.reset(token)
        AppliedEvent.objects.bulk_create(batch.rows)


def _batch_event_apply(batch: EventBatch, event: EventRef, apply: Callable[[], EventOutcome]) -> EventOutcome | None:
    if event.id in batch.applied_ids:
        log.info("event_replayed", extra={"event_id": str(event.id), "event_type": event.type})
        return None
    try:
        with transaction.atomic(), history_source(f"event {event.type} {event.id}"):
            outcome = apply()
    except (SkipEvent, APIException) as exc:
        log.warning(
            "event_skipped", extra={"event_id": str(event.id), "event_type": event.type, "reason": _reason(exc)}
        )
        outcome = EventOutcome.SKIPPED
    batch.record(event, outcome)
    log.info("event_applied", extra={"event_id": str(event.id), "event_type": event.type, "outcome": outcome})
    return outcome


def event_apply(*, event: EventRef, apply: Callable[[], EventOutcome]) -> EventOutcome | None:
    """Apply an event once. Returns its outcome (``skipped`` included), or ``None`` when it was a replay.

    Blocks while the database is unreachable (``database_wait``), then tries again. Inside a
    caller's transaction a database error propagates instead (nothing can reconnect there). Inside
    ``event_batch``, the batch's rules apply (see there).
    """
    batch = _batch.get()
    if batch is not None:
        return _batch_event_apply(batch, event, apply)
    while True:
        try:
            return _event_apply_once(event, apply)
        except (SkipEvent, APIException) as exc:
            # APIException: a service refused the values (bad key, identity conflict, dates out of order).
            log.warning(
                "event_skipped",
                extra={"event_id": str(event.id), "event_type": event.type, "reason": _reason(exc)},
            )
            _skipped_record(event)
            return EventOutcome.SKIPPED
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block:
                raise
            log.error(
                "event_database_unavailable",
                extra={"event_id": str(event.id), "event_type": event.type, "error": repr(exc)},
            )
            database_wait()


def _skipped_record(event: EventRef) -> None:
    """Remember a skipped event, so that its redelivery is a replay too (decided once, whatever came since)."""
    try:
        with transaction.atomic():
            AppliedEvent.objects.create(
                event_id=event.id, event_type=event.type, event_time=event.time, outcome=EventOutcome.SKIPPED
            )
    except IntegrityError:
        pass  # another consumer recorded it meanwhile


def is_database_unavailable(error: BaseException) -> bool:
    """True for the errors of an unreachable or lost database connection (Django's or the driver's)."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    module = type(error).__module__.split(".")[0]
    return module in {"psycopg", "psycopg2", "pymysql", "sqlite3"} and type(error).__name__ in {
        "OperationalError",
        "InterfaceError",
    }


def database_wait() -> None:
    """Return once a fresh connection to the database works; retry with backoff until then.

    The pause doubles up to ``EVENT_BUS_DATABASE_RETRY_MAX_SECONDS``. Each failed try is logged.
    """
    delay = 0.1
    while True:
        with suppress(DatabaseError):
            connection.close()
        try:
            connection.ensure_connection()
            return
        except (OperationalError, InterfaceError) as exc:
            log.warning("event_database_wait", extra={"error": repr(exc)[:300], "retry_in": delay})
        time.sleep(delay)
        delay = min(delay * 2, float(settings.EVENT_BUS_DATABASE_RETRY_MAX_SECONDS))


def _reason(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    return str(detail if detail is not None else exc)[:500]


def _event_apply_once(event: EventRef, apply: Callable[[], EventOutcome]) -> EventOutcome | None:
    if AppliedEvent.objects.filter(event_id=event.id).exists():
        log.info("event_replayed", extra={"event_id": str(event.id), "event_type": event.type})
        return None
    try:
        # History rows of the records it writes name the event (type and id) as their source.
        with transaction.atomic(), history_source(f"event {event.type} {event.id}"):
            outcome = apply()
            AppliedEvent.objects.create(
                event_id=event.id, event_type=event.type, event_time=event.time, outcome=outcome
            )
    except IntegrityError:
        # Another consumer of the group applied it meanwhile; its transaction won.
        if AppliedEvent.objects.filter(event_id=event.id).exists():
            log.info("event_replayed", extra={"event_id": str(event.id), "event_type": event.type})
            return None
        raise
    log.info("event_applied", extra={"event_id": str(event.id), "event_type": event.type, "outcome": outcome})
    return outcome


# --- What each event family changes ------------------------------------------------------------
def _facts(read: Callable[[], Any]) -> Any:
    """Values read from event data; data missing a part the schema promises is a skipped event."""
    try:
        return read()
    except (AttributeError, TypeError, ValueError, InvalidOperation) as exc:
        raise SkipEvent(f"Malformed event data: {exc!r}") from exc


def _text(value: Any, name: str, max_length: int = _TEXT_MAX_LENGTH) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise SkipEvent(f"{name} is not a string of at most {max_length} characters.")
    return value


def _account(user: Any) -> LearnerAccount:
    """The learner an event's ``UserData`` names (``id``, ``pii.username``, ``pii.email``)."""
    return _facts(lambda: LearnerAccount(username=user.pii.username, lms_user_id=user.id, email=user.pii.email or None))


def _known_run(course: Any) -> CourseRun:
    """The catalog's run for an event's ``CourseData``; a run this service does not know is skipped."""
    key = _facts(lambda: parse_course_run_key(str(course.course_key)).run_key)
    batch = _batch.get()
    run = batch.runs.get(key) if batch is not None else None
    if run is None:
        run = CourseRun.objects.filter(key=key).first()
        if run is not None and batch is not None:
            batch.runs[key] = run
    if run is None:
        raise SkipEvent(f"Unknown course run {key!r}.")
    return run


def certificate_event_apply(*, event: EventRef, certificate: Any) -> EventOutcome | None:
    """``certificate.created/changed/revoked.v1`` (``CertificateData``) -> the learner's course-run credential.

    Type from ``mode``. Revoked by the revoked event, or by a created/changed event whose
    ``current_status`` is not ``downloadable`` (then only a credential held here changes).
    """

    def apply() -> EventOutcome:
        run = _known_run(certificate.course)
        account = _account(certificate.user)
        mode = _facts(lambda: str(certificate.mode))
        if mode not in CertificateType.values:
            raise SkipEvent(f"Certificate mode {mode[:50]!r} is not a certificate type this service records.")
        awarded = event.type != CERTIFICATE_REVOKED_TYPE and certificate.current_status == CERTIFICATE_AWARDED_STATUS
        if not awarded and not _credential_held(account, run):
            raise SkipEvent("No credential held here to revoke.")
        credential, _ = course_run_credential_upsert(
            username=account.username,
            lms_user_id=account.lms_user_id,
            email=account.email,
            course_run_key=run.key,
            status=CredentialStatus.AWARDED if awarded else CredentialStatus.REVOKED,
            type=mode,
            source=RecordSource.EVENT,
            changed_at=event.time,
        )
        return EventOutcome.APPLIED if credential.source_time == event.time else EventOutcome.STALE

    return event_apply(event=event, apply=apply)


def _credential_held(account: LearnerAccount, run: CourseRun) -> bool:
    learner = learner_find(lms_user_id=account.lms_user_id) or learner_find(username=account.username)
    return learner is not None and CourseRunCredential.objects.filter(learner=learner, course_run=run).exists()


def enrollment_event_apply(*, event: EventRef, enrollment: Any) -> EventOutcome | None:
    """``course.enrollment.created/changed.v1`` (``CourseEnrollmentData``) -> enrollment (mode, active).

    The learner's pending enrollments are realised through the enrollments service.
    """

    def apply() -> EventOutcome:
        run = _known_run(enrollment.course)
        account = _account(enrollment.user)
        mode = _text(enrollment.mode, "mode", 100)
        is_active = enrollment.is_active
        if not isinstance(is_active, bool):
            raise SkipEvent("is_active is not a boolean.")
        learner = learner_get_or_create(username=account.username, lms_user_id=account.lms_user_id, email=account.email)
        stored, _ = enrollment_upsert(
            learner=learner,
            course_run=run,
            mode=mode,
            is_active=is_active,
            source=RecordSource.EVENT,
            changed_at=event.time,
        )
        pending_enrollments_realize(learner=learner)
        return EventOutcome.APPLIED if stored.source_time == event.time else EventOutcome.STALE

    return event_apply(event=event, apply=apply)


def grade_event_apply(*, event: EventRef, grade: Any) -> EventOutcome | None:
    """``course.persistent_grade_summary.changed.v1`` (``PersistentCourseGradeData``) -> grade and credit.

    The event names the learner by LMS user id only: a learner this service does not know is
    skipped. A passing grade (``passed_timestamp`` set) satisfies the credit course's ``grade``
    requirements with ``{"final_grade": percent}``, as the LMS's credit app does.
    """

    def apply() -> EventOutcome:
        run = _known_run(grade.course)
        user_id = grade.user_id
        learner = learner_find(lms_user_id=user_id) if isinstance(user_id, int) and user_id > 0 else None
        if learner is None:
            raise SkipEvent(f"Unknown learner (LMS user id {user_id!r}).")
        percent = _facts(lambda: Decimal(str(grade.percent_grade)).quantize(_PERCENT_STEP))
        if not Decimal(0) <= percent <= Decimal(1):
            raise SkipEvent("percent_grade is not between 0 and 1.")
        letter = _text(grade.letter_grade or "", "letter_grade", _LETTER_GRADE_MAX_LENGTH)
        stored, _ = grade_upsert(
            username=learner.username,
            lms_user_id=learner.lms_user_id,
            course_run_key=run.key,
            percent_grade=percent,
            letter_grade=letter,
            source=RecordSource.EVENT,
            changed_at=event.time,
        )
        if stored.source_time != event.time:
            return EventOutcome.STALE
        if grade.passed_timestamp is not None:
            passing_grade_credit_apply(learner=learner, course_run_key=run.key, percent=percent)
        return EventOutcome.APPLIED

    return event_apply(event=event, apply=apply)


def passing_grade_credit_apply(*, learner: User, course_run_key: str, percent: Decimal) -> None:
    """A grade the LMS says passes satisfies the credit course's ``grade`` requirements with the final grade."""
    if not credit_api.is_credit_course(course_run_key):
        return
    for requirement in credit_api.get_credit_requirements(course_run_key, namespace="grade"):
        credit_api.set_credit_requirement_status(
            learner, course_run_key, "grade", requirement["name"], "satisfied", {"final_grade": float(percent)}
        )


def catalog_event_apply(*, event: EventRef, catalog_info: Any) -> EventOutcome | None:
    """``content_authoring.course.catalog_info.changed.v1`` (``CourseCatalogData``) -> course-run upsert.

    Title from ``name``, ``start``/``end`` from ``schedule_data``, ``hidden``; the run is created
    when new.
    """

    def apply() -> EventOutcome:
        key = _facts(lambda: parse_course_run_key(str(catalog_info.course_key)).run_key)
        title = _text(catalog_info.name, "name")
        start, end = _facts(lambda: (catalog_info.schedule_data.start, catalog_info.schedule_data.end))
        for moment in (start, end):
            if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
                raise SkipEvent("A schedule date is not a datetime with a time zone.")
        run, _ = course_run_upsert(
            key=key, title=title, start=start, end=end, hidden=bool(catalog_info.hidden), event_time=event.time
        )
        return EventOutcome.APPLIED if run.catalog_event_time == event.time else EventOutcome.STALE

    return event_apply(event=event, apply=apply)
