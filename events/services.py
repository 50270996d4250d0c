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
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from rest_framework.exceptions import APIException

from core.api import LearnerAccount, learner_find, learner_get_or_create
from core.history import history_source
from core.models import RecordSource
from credentials_status.api import CredentialStatus, course_run_credential_upsert, credential_held, grade_upsert
from enrollments.api import enrollment_upsert, pending_enrollments_realize
from events.batches import Deferred, deferred_read, passing_grade_credit_apply, planned_write
from events.facts import (
    EventRef,
    SkipEvent,
    catalog_facts,
    certificate_facts,
    enrollment_facts,
    grade_facts,
    run_key,
)
from events.models import AppliedEvent, EventOutcome
from programs.api import RunIdentity, course_run_upsert, course_runs_read

log = logging.getLogger(__name__)


@dataclass
class EventBatch:
    """Events applied in one transaction: what the batch knows without asking the database again.

    ``applied_ids``: event ids recorded before the batch (read once) or by an earlier event of it;
    ``rows``: the ``AppliedEvent`` rows to insert at its end; ``runs``: course runs found by key;
    ``deferred``: learner-record events waiting to be written together (``events.batches``).
    """

    applied_ids: set[UUID]
    rows: list[AppliedEvent] = field(default_factory=list)
    runs: dict[str, RunIdentity] = field(default_factory=dict)
    deferred: list[Deferred] = field(default_factory=list)

    def record(self, event: EventRef, outcome: EventOutcome) -> None:
        self.applied_ids.add(event.id)
        self.rows.append(AppliedEvent(event_id=event.id, event_type=event.type, event_time=event.time, outcome=outcome))

    def defer(self, item: Deferred) -> None:
        self.applied_ids.add(item.event.id)  # a second copy later in the batch is a replay
        self.deferred.append(item)

    def runs_find(self, keys: Iterable[str]) -> None:
        """Add the stored runs of these keys to ``runs`` (one query for those not there yet)."""
        missing = set(keys) - set(self.runs)
        if missing:
            self.runs.update((run.key, run) for run in course_runs_read(keys=missing))


_batch: ContextVar[EventBatch | None] = ContextVar("events_batch", default=None)


@contextmanager
def event_batch(event_ids: Iterable[UUID]) -> Iterator[EventBatch]:
    """One transaction for several events; their ``AppliedEvent`` rows are inserted together at its end.

    Inside it, ``event_apply`` checks replays against one query for all ``event_ids``. Certificate,
    enrollment and grade events are kept and written together when the block ends
    (``events.batches``); catalog events are applied as they come, each in a savepoint (a skipped or
    failing one is rolled back alone), after the events kept before them when they create a run.
    Database errors propagate: the caller retries the whole batch (an outage) or, after an
    ``IntegrityError`` on the rows (another consumer recorded one of the ids meanwhile), runs it
    again to see the replays. Nothing is committed, so nothing may be acknowledged, before it returns.
    """
    ids = list(event_ids)
    with transaction.atomic():
        batch = EventBatch(
            applied_ids=set(AppliedEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
        )
        token = _batch.set(batch)
        try:
            yield batch
            _deferred_apply(batch)
        finally:
            _batch.reset(token)
        AppliedEvent.objects.bulk_create(batch.rows)


def _deferred_apply(batch: EventBatch) -> None:
    """Write the batch's kept events together; if that fails for another reason than the database,
    apply them one at a time instead (each in its savepoint, a failing one rolled back alone)."""
    deferred, batch.deferred = batch.deferred, []
    if not deferred:
        return
    try:
        planned = deferred_read(deferred)
        batch.runs_find(plan.facts.run_key for plan in planned if plan.facts is not None)
        with transaction.atomic():
            results = planned_write(planned, batch.runs)
    except Exception as error:
        if is_database_unavailable(error):
            raise
        log.warning("event_batch_written_one_by_one", extra={"events": len(deferred), "error": repr(error)[:300]})
        for item in deferred:
            batch.applied_ids.discard(item.event.id)
            try:
                _batch_event_apply(batch, item.event, item.apply)
            except Exception as event_error:
                if is_database_unavailable(event_error):
                    raise
                # As the bus library does for a receiver's error: logged with the event, rolled back
                # alone (its savepoint), acknowledged with the batch; a replay once fixed applies it.
                log.exception(
                    "event_apply_failed",
                    extra={"event_id": str(item.event.id), "event_type": item.event.type, "error": repr(event_error)},
                )
        return
    for item, (outcome, reason) in zip(deferred, results, strict=True):
        if outcome == EventOutcome.SKIPPED:
            _skip_log(item.event, reason)
        batch.record(item.event, outcome)
        log.info(
            "event_applied", extra={"event_id": str(item.event.id), "event_type": item.event.type, "outcome": outcome}
        )


def _skip_log(event: EventRef, reason: str) -> None:
    log.warning("event_skipped", extra={"event_id": str(event.id), "event_type": event.type, "reason": reason})


def _batch_event_apply(batch: EventBatch, event: EventRef, apply: Callable[[], EventOutcome]) -> EventOutcome | None:
    if event.id in batch.applied_ids:
        log.info("event_replayed", extra={"event_id": str(event.id), "event_type": event.type})
        return None
    try:
        with transaction.atomic(), history_source(event.history_source):
            outcome = apply()
    except (SkipEvent, APIException) as exc:
        _skip_log(event, _reason(exc))
        outcome = EventOutcome.SKIPPED
    batch.record(event, outcome)
    log.info("event_applied", extra={"event_id": str(event.id), "event_type": event.type, "outcome": outcome})
    return outcome


def event_apply(
    *, event: EventRef, apply: Callable[[], EventOutcome], family: str = "", data: Any = None
) -> EventOutcome | None:
    """Apply an event once. Returns its outcome (``skipped`` included), or ``None`` when it was a replay.

    Blocks while the database is unreachable (``database_wait``), then tries again. Inside a
    caller's transaction a database error propagates instead (nothing can reconnect there). Inside
    ``event_batch``, the batch's rules apply (see there): an event of a ``family`` the batch writes
    together (``events.batches``) is kept for that write, and ``None`` returned.
    """
    batch = _batch.get()
    if batch is not None:
        if family and event.id not in batch.applied_ids:
            batch.defer(Deferred(event=event, family=family, data=data, apply=apply))
            return None
        return _batch_event_apply(batch, event, apply)
    while True:
        try:
            return _event_apply_once(event, apply)
        except (SkipEvent, APIException) as exc:
            # APIException: a service refused the values (bad key, identity conflict, dates out of order).
            _skip_log(event, _reason(exc))
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


def applied_events_prune(*, applied_before: datetime, batch_size: int = 10_000) -> int:
    """Delete the ``AppliedEvent`` rows of events applied before ``applied_before``; returns how many.

    The bus cannot redeliver an event older than its retention, so its id is no longer needed to
    recognise a replay (a very late redelivery would still change nothing newer: newer-wins). Deleted
    ``batch_size`` rows at a time (by ``applied_at``'s index), each batch its own short transaction, so
    the consumer's inserts never wait long.
    """
    deleted = 0
    while True:
        pks = list(
            AppliedEvent.objects.filter(applied_at__lt=applied_before)
            .order_by("applied_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not pks:
            break
        deleted += AppliedEvent.objects.filter(pk__in=pks).delete()[0]
    log.info("applied_events_pruned", extra={"deleted": deleted, "applied_before": applied_before.isoformat()})
    return deleted


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
        with transaction.atomic(), history_source(event.history_source):
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
def _known_run(key: str) -> RunIdentity:
    """The catalog's run of this key; a run this service does not know is skipped."""
    batch = _batch.get()
    if batch is not None:
        batch.runs_find([key])
        run = batch.runs.get(key)
    else:
        run = next(iter(course_runs_read(keys=[key])), None)
    if run is None:
        raise SkipEvent(f"Unknown course run {key!r}.")
    return run


def certificate_event_apply(*, event: EventRef, certificate: Any) -> EventOutcome | None:
    """``certificate.created/changed/revoked.v1`` (``CertificateData``) -> the learner's course-run credential.

    Type from ``mode``. Revoked by the revoked event, or by a created/changed event whose
    ``current_status`` is not ``downloadable`` (then only a credential held here changes).
    """

    def apply() -> EventOutcome:
        facts = certificate_facts(event, certificate)
        run = _known_run(facts.run_key)
        account = facts.account
        if not facts.awarded and not _credential_held(account, run):
            raise SkipEvent("No credential held here to revoke.")
        credential, _ = course_run_credential_upsert(
            username=account.username,
            lms_user_id=account.lms_user_id,
            email=account.email,
            course_run_key=run.key,
            status=CredentialStatus.AWARDED if facts.awarded else CredentialStatus.REVOKED,
            type=facts.mode,
            source=RecordSource.EVENT,
            changed_at=event.time,
        )
        return EventOutcome.APPLIED if credential.source_time == event.time else EventOutcome.STALE

    return event_apply(event=event, apply=apply, family="certificate", data=certificate)


def _credential_held(account: LearnerAccount, run: RunIdentity) -> bool:
    learner = learner_find(lms_user_id=account.lms_user_id) or learner_find(username=account.username)
    return learner is not None and credential_held(learner_id=learner.pk, course_run_id=run.id)


def enrollment_event_apply(*, event: EventRef, enrollment: Any) -> EventOutcome | None:
    """``course.enrollment.created/changed.v1`` (``CourseEnrollmentData``) -> enrollment (mode, active).

    The learner's pending enrollments are realised through the enrollments service.
    """

    def apply() -> EventOutcome:
        facts = enrollment_facts(enrollment)
        run = _known_run(facts.run_key)
        account = facts.account
        learner = learner_get_or_create(username=account.username, lms_user_id=account.lms_user_id, email=account.email)
        stored, _ = enrollment_upsert(
            learner=learner,
            course_run=run,
            mode=facts.mode,
            is_active=facts.is_active,
            source=RecordSource.EVENT,
            changed_at=event.time,
        )
        pending_enrollments_realize(learner=learner)
        return EventOutcome.APPLIED if stored.source_time == event.time else EventOutcome.STALE

    return event_apply(event=event, apply=apply, family="enrollment", data=enrollment)


def grade_event_apply(*, event: EventRef, grade: Any) -> EventOutcome | None:
    """``course.persistent_grade_summary.changed.v1`` (``PersistentCourseGradeData``) -> grade and credit.

    The event names the learner by LMS user id only: a learner this service does not know is
    skipped. A passing grade (``passed_timestamp`` set) satisfies the credit course's ``grade``
    requirements with ``{"final_grade": percent}``, as the LMS's credit app does.
    """

    def apply() -> EventOutcome:
        facts = grade_facts(grade)
        run = _known_run(facts.run_key)
        learner = learner_find(lms_user_id=facts.lms_user_id)
        if learner is None:
            raise SkipEvent(f"Unknown learner (LMS user id {facts.lms_user_id!r}).")
        stored, _ = grade_upsert(
            username=learner.username,
            lms_user_id=learner.lms_user_id,
            course_run_key=run.key,
            percent_grade=facts.percent,
            letter_grade=facts.letter,
            source=RecordSource.EVENT,
            changed_at=event.time,
        )
        if stored.source_time != event.time:
            return EventOutcome.STALE
        if facts.passed:
            passing_grade_credit_apply(learner=learner, course_run_key=run.key, percent=facts.percent)
        return EventOutcome.APPLIED

    return event_apply(event=event, apply=apply, family="grade", data=grade)


def catalog_event_apply(*, event: EventRef, catalog_info: Any) -> EventOutcome | None:
    """``content_authoring.course.catalog_info.changed.v1`` (``CourseCatalogData``) -> course-run upsert.

    Title from ``name``, ``start``/``end`` from ``schedule_data``, ``hidden``; the run is created
    when new. In a batch, a change to a stored run is kept and written with the batch's other
    events; one that creates a run is applied at once, after the events kept before it (they could
    not name the run yet).
    """

    def apply() -> EventOutcome:
        facts = catalog_facts(catalog_info)
        run, _ = course_run_upsert(key=facts.run_key, event_time=event.time, **facts.run_values())
        if batch is not None:
            batch.runs[run.key] = run
        return EventOutcome.APPLIED if run.catalog_event_time == event.time else EventOutcome.STALE

    batch = _batch.get()
    if batch is not None:
        try:
            key = run_key(catalog_info)
        except SkipEvent:
            key = ""  # applied alone: skipped there, with the reason
        if key:
            batch.runs_find([key])
        if key in batch.runs:
            return event_apply(event=event, apply=apply, family="catalog", data=catalog_info)
        _deferred_apply(batch)  # outside this event's savepoint: its skip must not undo them
    return event_apply(event=event, apply=apply)
