"""Writes to the catalog: LMS run ingest, local programs and their exclusions, Discovery sync runs."""

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from rest_framework.exceptions import ValidationError

from core.db import chunked, retry_on_integrity_error, rows_lock
from core.history import history_bulk_delete, history_snapshot, history_snapshots_insert, history_source
from core.records import change_is_stale
from programs.data import CatalogChange, SyncResult
from programs.discovery import (
    DiscoveryClient,
    DiscoveryError,
    DiscoveryNotConfigured,
    UpstreamRateLimited,
    discovery_config_from_settings,
)
from programs.exceptions import (
    InvalidExclusion,
    ProgramExists,
    ProgramIsSynced,
    SyncAborted,
    SyncNotConfigured,
    SyncQueueUnavailable,
)
from programs.keys import parse_course_run_key
from programs.models import (
    Course,
    CourseRun,
    Organization,
    Program,
    ProgramCourse,
    ProgramExcludedCourseRun,
    ProgramSource,
    ProgramStatus,
    SyncRun,
    SyncStatus,
)
from programs.selectors import CHUNK, exclusions_outside_program_courses, runs_a_program_may_not_exclude
from programs.sync import CatalogSource, Progress, program_sync

log = logging.getLogger(__name__)


class Unset(Enum):
    """The value of an argument the caller left out (``None`` means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


def course_runs_lock(*, run_ids: Iterable[int]) -> None:
    """Lock these runs' rows (``core.db.rows_lock``, in key order) until the transaction ends.

    Writers that must take turns per run use it: bulk enrollments touching a run read the existing
    enrollments and pending rows *after* taking the lock, so ``created`` is decided from what is
    really there, even when two identical requests arrive together. Other writers of the runs'
    records (the event consumer) do not wait for it on PostgreSQL. Must run inside ``transaction.atomic()``. SQLite
    ignores the lock (it allows one writer at a time anyway).
    """
    for batch in chunked(sorted(set(run_ids)), CHUNK):
        list(rows_lock(CourseRun.objects.filter(pk__in=batch)).order_by("pk").values_list("pk", flat=True))


def course_run_upsert(
    *,
    key: str,
    title: str | Unset = UNSET,
    start: datetime | Unset | None = UNSET,
    end: datetime | Unset | None = UNSET,
    hidden: bool | Unset = UNSET,
    event_time: datetime | None = None,
) -> tuple[CourseRun, bool]:
    """Create or update a run (and its course and organization, derived from the key).

    A field left out keeps its stored value; ``start=None`` / ``end=None`` clears it. The resulting
    dates must be in order: an ``end`` before the ``start`` (sent or stored) is a 400 naming the
    field sent, and changes nothing. Idempotent and safe under concurrent identical calls: one
    caller creates each row, the others read it. A run the LMS deleted earlier is restored.
    ``event_time`` (a Studio catalog event's time) is kept; an event older than the last one applied
    changes nothing. Returns ``(run, created)``.
    """
    parsed = parse_course_run_key(key)
    given = {
        name: value
        for name, value in (("title", title), ("start", start), ("end", end), ("hidden", hidden))
        if value is not UNSET
    }
    if event_time is not None:
        given["catalog_event_time"] = event_time

    def write() -> tuple[CourseRun, bool]:
        run, created = _course_run_get_or_create(parsed.run_key, parsed.course_key, parsed.org_key)
        if event_time is not None and change_is_stale(stored_time=run.catalog_event_time, incoming_time=event_time):
            log.info("course_run_change_stale", extra={"course_run_key": run.key})
            return run, False
        _check_dates(given, run)
        changed = [field for field, value in given.items() if getattr(run, field) != value]
        for field in changed:
            setattr(run, field, given[field])
        if run.removed_at is not None:
            run.removed_at = None
            changed.append("removed_at")
        if changed and not created:
            run.save(update_fields=[*changed, "modified"])
        elif changed:
            run.save()
        log.info("course_run_upserted", extra={"course_run_key": run.key, "was_created": created})
        return run, created

    # Concurrent first writes of one key: a lost unique-key race, or a deadlock on MySQL/MariaDB.
    return retry_on_integrity_error(write)


def course_runs_catalog_apply(changes: Sequence[CatalogChange]) -> list[bool | str | None]:
    """Catalog changes to stored runs, in order, in a few statements (the event consumer's batches).

    Each as ``course_run_upsert(key=, title=, start=, end=, hidden=, event_time=)`` would apply it
    after the changes before it: ``True`` applied; ``False`` stale (older than the run's
    ``catalog_event_time``); the reason (a string) when the dates are out of order, which changes
    nothing; ``None`` for a key with no stored run (the caller creates runs with
    ``course_run_upsert``). A removed run is restored. The runs are locked, written with one
    ``bulk_update``, and each applied change leaves a history row naming its ``history_source``.
    Must run inside a transaction.
    """
    keys = sorted({change.key for change in changes})
    runs = {
        run.key: run
        for start in range(0, len(keys), 500)
        for run in rows_lock(CourseRun.objects.filter(key__in=keys[start : start + 500])).order_by("pk")
    }
    changed: dict[str, CourseRun] = {}
    snapshots: list[tuple[CourseRun, str, str, dict[str, Any]]] = []
    results: list[bool | str | None] = []
    for change in changes:
        run = runs.get(change.key)
        if run is None or change_is_stale(stored_time=run.catalog_event_time, incoming_time=change.event_time):
            results.append(None if run is None else False)
            continue
        given: dict[str, Any] = {
            "title": change.title,
            "start": change.start,
            "end": change.end,
            "hidden": change.hidden,
        }
        try:
            _check_dates(given, run)
        except ValidationError as exc:
            results.append(str(exc.detail))
            continue
        given |= {"catalog_event_time": change.event_time, "removed_at": None}
        differing = {name: value for name, value in given.items() if getattr(run, name) != value}
        if differing:  # as course_run_upsert: a change that changes nothing writes nothing
            for name, value in differing.items():
                setattr(run, name, value)
            changed[run.key] = run
            snapshots.append((run, "~", change.history_source, history_snapshot(run)))
        results.append(True)
    if changed:
        now = timezone.now()
        for run in changed.values():
            run.modified = now
        fields = ["title", "start", "end", "hidden", "catalog_event_time", "removed_at", "modified"]
        CourseRun.objects.bulk_update(list(changed.values()), fields, batch_size=500)
        history_snapshots_insert(CourseRun, snapshots)
    return results


def _check_dates(given: dict[str, Any], run: CourseRun) -> None:
    start, end = given.get("start", run.start), given.get("end", run.end)
    if start is not None and end is not None and end < start:
        if "end" in given:
            raise ValidationError({"end": [f"end must not be before start ({start.isoformat()})."]})
        raise ValidationError({"start": [f"start must not be after end ({end.isoformat()})."]})


def course_run_ensure(*, key: str) -> CourseRun:
    """The run with this key, created from the key when unknown. A removed run stays removed."""
    parsed = parse_course_run_key(key)
    run = CourseRun.objects.select_related("course").filter(key=parsed.run_key).first()
    if run is not None:
        return run
    run, _ = course_run_upsert(key=parsed.run_key)
    return run


def course_run_remove(*, key: str) -> bool:
    """Mark a run deleted by the LMS. Learner records stay; the run stops counting toward programs.

    Idempotent: returns False when the run is unknown or already removed.
    """
    parsed = parse_course_run_key(key)
    updated = CourseRun.objects.filter(key=parsed.run_key, removed_at__isnull=True).update(
        removed_at=timezone.now(), modified=timezone.now()
    )
    log.info("course_run_removed", extra={"course_run_key": parsed.run_key, "was_present": bool(updated)})
    return bool(updated)


def _course_run_get_or_create(run_key: str, course_key: str, org_key: str) -> tuple[CourseRun, bool]:
    run = CourseRun.objects.select_related("course").filter(key=run_key).first()
    if run is not None:
        return run, False
    org, _ = Organization.objects.get_or_create(key=org_key, defaults={"name": org_key})
    course, _ = Course.objects.get_or_create(key=course_key, defaults={"organization": org})
    return CourseRun.objects.get_or_create(key=run_key, defaults={"course": course})


# --- Programs defined in this service ----------------------------------------------------------
def _refuse_synced(program: Program) -> None:
    if program.source == ProgramSource.DISCOVERY:
        raise ProgramIsSynced(f"Program {program.uuid} is synced from Discovery; change it there.")


def _resolve_keys(model: type[Organization] | type[Course], keys: Sequence[str], field: str) -> list[int]:
    """Primary keys of ``keys`` in order; unknown or repeated keys raise a 400 naming their index."""
    found = dict(model.objects.filter(key__in=list(keys)).values_list("key", "pk"))
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key not in found:
            errors[f"{field}.{index}"] = [f"Unknown key {key!r}."]
        elif key in seen:
            errors[f"{field}.{index}"] = [f"{key!r} is listed twice."]
        seen.add(key)
    if errors:
        raise ValidationError(errors)
    return [found[key] for key in keys]


def _exclusion_run_pks(program: Program, course_run_keys: Sequence[str], field: str) -> list[int]:
    """The runs to exclude; each must be a run of one of the program's courses (400 naming the index)."""
    runs = {
        key: (pk, course_id)
        for key, pk, course_id in CourseRun.objects.filter(key__in=list(course_run_keys)).values_list(
            "key", "pk", "course_id"
        )
    }
    outside = set(
        runs_a_program_may_not_exclude(
            program_id=program.pk, runs=[(key, course_id) for key, (_, course_id) in runs.items()]
        )
    )
    errors: dict[str, list[str]] = {}
    for index, key in enumerate(course_run_keys):
        if key not in runs:
            errors[f"{field}.{index}"] = [f"Unknown course run {key!r}."]
        elif key in outside:
            errors[f"{field}.{index}"] = [f"{key!r} is not a run of one of the program's courses."]
    if errors:
        raise InvalidExclusion(errors)
    return sorted({runs[key][0] for key in course_run_keys})


def _set_courses(program: Program, course_pks: list[int]) -> None:
    ProgramCourse.objects.filter(program=program).exclude(course_id__in=course_pks).delete()
    current = {pc.course_id: pc for pc in ProgramCourse.objects.filter(program=program)}
    moved = []
    for position, course_id in enumerate(course_pks):
        if course_id in current and current[course_id].position != position:
            current[course_id].position = position
            moved.append(current[course_id])
    ProgramCourse.objects.bulk_create(
        [ProgramCourse(program=program, course_id=c, position=p) for p, c in enumerate(course_pks) if c not in current]
    )
    ProgramCourse.objects.bulk_update(moved, ["position"])
    # Exclusions of runs of courses no longer in the program would break the rule: drop them.
    program_exclusions_prune(program_ids=[program.pk])


def program_exclusions_prune(*, program_ids: Collection[int] | None = None) -> list[tuple[UUID, str]]:
    """Delete exclusions naming a run that none of their program's courses holds (all programs by default).

    Called wherever a program's course list or a run's course may have changed under its exclusions:
    the course-list services, the admin (after its inlines are saved) and the end of a Discovery sync
    (a run moved to another course). Returns the ``(program uuid, run key)`` pairs dropped; writes
    nothing when there are none. Two queries at most, whatever the number of programs.
    """
    stray = list(
        exclusions_outside_program_courses(program_ids=program_ids)
        .order_by("program__uuid", "courserun__key")
        .values_list("pk", "program__uuid", "courserun__key")
    )
    if stray:
        history_bulk_delete(ProgramExcludedCourseRun.objects.filter(pk__in=[pk for pk, _, _ in stray]))
        log.info("program_exclusions_pruned", extra={"count": len(stray)})
    return [(uuid, key) for _, uuid, key in stray]


def program_create(
    *,
    title: str,
    uuid: UUID | None = None,
    type: str = "",
    type_slug: str = "",
    status: str = ProgramStatus.ACTIVE,
    applicable_seat_types: Sequence[str] = (),
    organization_keys: Sequence[str] = (),
    course_keys: Sequence[str] = (),
    excluded_course_run_keys: Sequence[str] = (),
) -> Program:
    """Create a program defined in this service (source ``local``).

    A taken uuid is a 409 (``ProgramExists``), also when two callers create it at once: the uuid's
    unique constraint decides, not a read made before the insert.
    """
    try:
        with transaction.atomic():
            org_pks = _resolve_keys(Organization, organization_keys, "authoring_organizations")
            course_pks = _resolve_keys(Course, course_keys, "courses")
            program = Program.objects.create(
                **({"uuid": uuid} if uuid else {}),
                title=title,
                type=type,
                type_slug=type_slug,
                status=status,
                source=ProgramSource.LOCAL,
                applicable_seat_types=list(applicable_seat_types),
            )
            program.authoring_organizations.set(org_pks)
            _set_courses(program, course_pks)
            program.excluded_course_runs.set(
                _exclusion_run_pks(program, excluded_course_run_keys, "excluded_course_run_keys")
            )
    except IntegrityError as exc:
        if uuid is not None and Program.objects.filter(uuid=uuid).exists():
            raise ProgramExists(f"A program with uuid {uuid} exists.") from exc
        raise
    log.info("program_created", extra={"program_uuid": str(program.uuid)})
    return program


def program_update(*, program: Program, **changes: Any) -> Program:
    """Change a local program. Keys: title, type, type_slug, status, applicable_seat_types,
    organization_keys, course_keys (replaces the ordered list; exclusions of dropped courses go),
    excluded_course_run_keys (replaces the set). A Discovery program raises ``ProgramIsSynced`` (409).
    """
    _refuse_synced(program)
    scalar = {
        k: changes.pop(k) for k in ("title", "type", "type_slug", "status", "applicable_seat_types") if k in changes
    }
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        _refuse_synced(program)
        for name, value in scalar.items():
            setattr(program, name, list(value) if name == "applicable_seat_types" else value)
        program.save()
        if "organization_keys" in changes:
            program.authoring_organizations.set(
                _resolve_keys(Organization, changes.pop("organization_keys"), "authoring_organizations")
            )
        if "course_keys" in changes:
            _set_courses(program, _resolve_keys(Course, changes.pop("course_keys"), "courses"))
        if "excluded_course_run_keys" in changes:
            keys = changes.pop("excluded_course_run_keys")
            program.excluded_course_runs.set(_exclusion_run_pks(program, keys, "excluded_course_run_keys"))
        if changes:
            raise TypeError(f"Unknown program fields: {sorted(changes)}")
    log.info("program_updated", extra={"program_uuid": str(program.uuid)})
    return program


def program_exclusions_set(*, program: Program, course_run_keys: Sequence[str]) -> Program:
    """Replace a local program's exclusion list; every key must name a run of one of its courses."""
    _refuse_synced(program)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        program.excluded_course_runs.set(_exclusion_run_pks(program, course_run_keys, "course_run_keys"))
        program.save(update_fields=["modified"])
    log.info("program_exclusions_set", extra={"program_uuid": str(program.uuid), "count": len(course_run_keys)})
    return program


def program_delete(*, program: Program) -> None:
    """Delete a local program: its course list and exclusions go; learner records (kept per run) stay."""
    _refuse_synced(program)
    uuid = str(program.uuid)
    program.delete()
    log.info("program_deleted", extra={"program_uuid": uuid})


# --- Discovery sync runs -----------------------------------------------------------------------
def sync_run_request(
    *, requested_by: str, trigger: str = "api", dry_run: bool = False, program_uuids: Sequence[str] = ()
) -> SyncRun:
    """Record a sync and queue it (after commit).

    Raises ``SyncNotConfigured`` when Discovery is unset, and ``SyncQueueUnavailable`` (503) when the
    task broker refuses the message: the SyncRun is then ``failed`` with the broker's error, never
    left ``queued`` with no task behind it. Outside a transaction (API views, the beat task) the
    message is sent before this returns, so the caller sees that error.
    """
    try:
        discovery_config_from_settings()
    except DiscoveryNotConfigured as exc:
        raise SyncNotConfigured(str(exc)) from exc
    sync_run_fail_stale()
    sync_run = SyncRun.objects.create(
        requested_by=requested_by, trigger=trigger, dry_run=dry_run, program_uuids=[str(u) for u in program_uuids]
    )
    log.info("program_sync_queued", extra={"sync_run_id": sync_run.pk, "trigger": trigger})
    transaction.on_commit(lambda: _sync_run_publish(sync_run.pk))
    return sync_run


def _sync_run_publish(sync_run_id: int) -> None:
    from programs.tasks import program_sync_run  # tasks import services: import here

    try:
        program_sync_run.delay(sync_run_id)
    except BrokerError as exc:
        SyncRun.objects.filter(pk=sync_run_id, status=SyncStatus.QUEUED).update(
            status=SyncStatus.FAILED,
            error=f"Could not queue the sync, the task broker is unavailable: {type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        log.error("program_sync_queue_failed", extra={"sync_run_id": sync_run_id, "error": str(exc)})
        raise SyncQueueUnavailable(
            f"Sync {sync_run_id} could not be queued: the task broker is unavailable. "
            "It is recorded as failed; try again later.",
            sync_run_id=sync_run_id,
        ) from exc


def sync_run_fail_stale() -> int:
    """Record as ``failed`` every sync ``running`` for longer than ``PROGRAM_SYNC_STALE_MINUTES``.

    Such a sync's process is gone (killed with SIGKILL, a lost container): the Celery task is stopped
    at that limit (``soft_time_limit``), so a live one never gets that old. Called whenever a sync is
    requested or starts (API, command, beat). Returns how many were marked; a sync marked here that
    still finishes records its real outcome over this one.
    """
    minutes = settings.PROGRAM_SYNC_STALE_MINUTES
    stale = list(
        SyncRun.objects.filter(
            status=SyncStatus.RUNNING, started_at__lt=timezone.now() - timedelta(minutes=minutes)
        ).values_list("pk", flat=True)
    )
    if not stale:
        return 0
    marked = SyncRun.objects.filter(pk__in=stale, status=SyncStatus.RUNNING).update(
        status=SyncStatus.FAILED,
        finished_at=timezone.now(),
        error=(
            f"No outcome after {minutes} minutes (PROGRAM_SYNC_STALE_MINUTES): the process running this sync "
            "stopped (killed or lost) before recording an outcome; its changes apply only if its transaction "
            "had committed."
        ),
    )
    log.warning("program_sync_stale_failed", extra={"sync_run_ids": stale, "stale_minutes": minutes})
    return marked


def sync_run_execute(
    *,
    sync_run_id: int,
    client: CatalogSource | None = None,
    final_attempt: bool = True,
    retry_rate_limited: bool = True,
    progress: Progress | None = None,
) -> tuple[SyncRun, SyncResult | None]:
    """Run a recorded sync and store its outcome on the SyncRun.

    Outcomes: ``succeeded`` (counts and changes stored), ``aborted`` (retire guard), ``failed``
    (permanent upstream error, or a transient one on the final attempt). A transient upstream error
    before the final attempt sets ``retrying`` and is re-raised for the caller (the Celery task) to
    retry; anything unexpected sets ``failed`` and is re-raised. With ``retry_rate_limited=False``
    (no broker: a retry could not wait) a 429 is final at once; a rate-limited failure's error says
    when Discovery allows the next try.
    """
    sync_run_fail_stale()
    SyncRun.objects.filter(pk=sync_run_id).update(
        status=SyncStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1, error=""
    )
    sync_run = SyncRun.objects.get(pk=sync_run_id)
    result = None
    try:
        # Every history row the sync writes names it (the support console shows "by Discovery sync #42").
        with history_source(f"Discovery sync #{sync_run.pk}"):
            result = program_sync(
                client=client or DiscoveryClient.from_settings(),
                dry_run=sync_run.dry_run,
                program_uuids=sync_run.program_uuids or None,
                progress=progress,
            )
    except SyncAborted as exc:
        _finish(
            sync_run, SyncStatus.ABORTED, error=str(exc), counts={"would_retire": exc.would_retire, "total": exc.total}
        )
    except DiscoveryError as exc:
        rate_limited = isinstance(exc, UpstreamRateLimited)
        if exc.retryable and not final_attempt and (retry_rate_limited or not rate_limited):
            _finish(sync_run, SyncStatus.RETRYING, error=str(exc), finished=False)
            raise
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, UpstreamRateLimited):
            error += f" {_retry_hint(exc)}"
        _finish(sync_run, SyncStatus.FAILED, error=error)
    except Exception as exc:
        _finish(sync_run, SyncStatus.FAILED, error=f"Unexpected error: {type(exc).__name__}: {exc}")
        raise
    else:
        counts = asdict(result.counts)
        counts.update(
            created=result.counts.created,
            updated=result.counts.updated,
            unchanged=result.counts.unchanged,
            retired=result.counts.retired,
            discovery_requests=result.discovery_requests,
        )
        sync_run.changes = result.changes + (["... (more changes not listed)"] if result.changes_truncated else [])
        _finish(sync_run, SyncStatus.SUCCEEDED, counts=counts)
    return sync_run, result


def _retry_hint(exc: UpstreamRateLimited) -> str:
    if exc.retry_after is None:
        return "Not retried: run the sync again later."
    when = timezone.now() + timedelta(seconds=exc.retry_after)
    return f"Not retried: run the sync again after {when.isoformat(timespec='seconds')}."


def _finish(
    sync_run: SyncRun, status: str, *, error: str = "", counts: dict | None = None, finished: bool = True
) -> None:
    sync_run.status = status
    sync_run.error = error
    if counts is not None:
        sync_run.counts = counts
    sync_run.finished_at = timezone.now() if finished else None
    sync_run.save(update_fields=["status", "error", "counts", "changes", "finished_at"])
    log.info("program_sync_run_finished", extra={"sync_run_id": sync_run.pk, "status": status})
