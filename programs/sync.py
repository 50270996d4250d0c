"""The Discovery sync: organizations, courses with all their runs, programs and their exclusion lists.

``program_sync(*, client=...)`` is the service; it takes the Discovery client as a parameter so tests
pass one pointed at a fake Discovery. What a caller may rely on:

- Every page is downloaded first, with no transaction open, into a temporary file
  (``SpooledCatalog``): a slow or throttled Discovery never holds database locks. Then everything is
  applied in ONE database transaction, page by page from that file: a failure at any point (a 500 on
  page 7, a timeout, a bug) leaves the previous catalog intact. A dry run does the same work and rolls
  back at the end, so its counts and change list are exactly what a real run would do.
- Rows merge on natural keys (organization key, course key, run key, program uuid) with rows the LMS
  created by ``PUT course_runs/{key}``; a course or run first created from its key adopts
  Discovery's uuid.
- Exclusions: Discovery exposes none. A run listed under a program course in ``/courses/`` (all
  runs) but absent from that course's runs nested in the program is excluded. Both calls carry the
  same restriction parameters. An explicit ``excluded_course_runs`` list in a payload wins.
- Programs missing from Discovery are retired (status ``retired`` and ``missing_upstream_since``),
  never deleted; a full sync that would retire more than ``max_retire_fraction`` of the Discovery
  programs raises ``SyncAborted`` and applies nothing (an outage answering an empty list).
- SQL queries per page are bounded (bulk reads and writes); memory holds one page of payload plus
  the run keys of each course (needed to infer exclusions) and the seen program uuids.
"""

import dataclasses
import json
import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.history import has_history, history_bulk_delete, history_bulk_record, history_record_pks
from programs.data import SyncCounts, SyncResult
from programs.exceptions import SyncAborted
from programs.models import (
    Course,
    CourseRun,
    Organization,
    Program,
    ProgramCourse,
    ProgramExcludedCourseRun,
    ProgramSource,
    ProgramStatus,
)

log = logging.getLogger(__name__)

MAX_RECORDED_CHANGES = 500
CONFIRM_CHUNK = 50  # uuids per confirmation request (keeps the URL short)
SYNC_LOCK_ID = 0x50524F47  # "PROG": the advisory lock key of the program sync
SYNC_LOCK_WAIT_SECONDS = 3600  # MySQL/MariaDB: how long a sync waits for another one to finish
# (stage, page number, items so far, items in all when known): "download organizations" ... while
# spooling (the total is Discovery's ``count``), then "organizations", "courses", "programs" while
# applying (the total is what was downloaded).
Progress = Callable[[str, int, int, int | None], None]


class CatalogSource(Protocol):
    """What the sync needs from a Discovery client (``programs.discovery.DiscoveryClient``)."""

    @property
    def request_count(self) -> int: ...

    def organization_pages(self) -> Iterable[list[dict[str, Any]]]: ...

    def course_pages(self, *, keys: list[str] | None = None) -> Iterable[list[dict[str, Any]]]: ...

    def program_pages(self, *, uuids: list[str] | None = None) -> Iterable[list[dict[str, Any]]]: ...


def program_sync(
    *,
    client: CatalogSource,
    dry_run: bool = False,
    program_uuids: list[str] | None = None,
    max_retire_fraction: float | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Sync the catalog and programs from Discovery; see the module docstring for the guarantees.

    ``program_uuids`` limits the program part to those programs (and never retires anything).
    Raises ``programs.discovery.DiscoveryError`` subclasses on upstream failures and ``SyncAborted``
    when the retire guard trips; in both cases nothing is applied.
    """
    uuids = [str(UUID(str(u))) for u in program_uuids or []]
    fraction = settings.PROGRAM_SYNC_MAX_RETIRE_FRACTION if max_retire_fraction is None else max_retire_fraction
    with SpooledCatalog(client, progress=progress) as spooled:
        spooled.fetch(program_uuids=uuids, max_retire_fraction=fraction)
        sync = _ProgramSync(
            client=spooled,
            dry_run=dry_run,
            program_uuids=uuids,
            max_retire_fraction=fraction,
            progress=progress,
        )
        return sync.run()


Page = list[dict[str, Any]]


class SpooledCatalog:
    """Every page the sync needs, downloaded before its transaction opens and replayed from a file.

    ``fetch()`` reads organizations, courses and programs (and asks again, by uuid, for live programs
    the listing did not return, so a page shifted upstream is not mistaken for a deletion). Pages go to
    a temporary file as they arrive: memory holds one page, and no database transaction is open while
    Discovery answers (or throttles). The sync then reads the pages back through the same interface
    as the Discovery client.
    """

    def __init__(self, client: CatalogSource, *, progress: Progress | None = None) -> None:
        self.client = client
        self.progress = progress  # called per downloaded page: ("download <stage>", page, items so far, total)
        self._file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed by __exit__
        self._offsets: dict[str, list[int]] = defaultdict(list)
        self.totals: dict[str, int] = defaultdict(int)  # items downloaded per stage: the apply's totals
        self._main_uuids: list[str] | None = None

    def __enter__(self) -> "SpooledCatalog":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()

    @property
    def request_count(self) -> int:
        return getattr(self.client, "request_count", 0)

    def fetch(self, *, program_uuids: list[str], max_retire_fraction: float) -> None:
        self._main_uuids = program_uuids or None
        self._spool("organizations", self.client.organization_pages())
        if program_uuids:
            # Only the named programs' courses (Discovery's ``keys`` filter), not the whole catalog.
            self._spool("programs", self.client.program_pages(uuids=self._main_uuids))
            keys = sorted(
                {
                    str(course["key"])
                    for page in self._replay("programs")
                    for item in page
                    if isinstance(item, dict)
                    for course in item.get("courses") or []
                    if isinstance(course, dict) and course.get("key")
                }
            )
            for start in range(0, len(keys), CONFIRM_CHUNK):
                self._spool("courses", self.client.course_pages(keys=keys[start : start + CONFIRM_CHUNK]), len(keys))
            return
        self._spool("courses", self.client.course_pages())
        seen = self._spool("programs", self.client.program_pages(uuids=self._main_uuids))
        live = {str(uuid) for uuid in _live_discovery_programs().values_list("uuid", flat=True)}
        missing = sorted(live - seen)
        if not missing or len(missing) / max(len(live), 1) > max_retire_fraction:
            return  # nothing to confirm, or the retire guard will stop the sync anyway
        for start in range(0, len(missing), CONFIRM_CHUNK):
            self._spool("confirmations", self.client.program_pages(uuids=missing[start : start + CONFIRM_CHUNK]))

    def _spool(self, stage: str, pages: Iterable[Page], expected: int | None = None) -> set[str]:
        """Write ``pages`` to the file. ``expected``: the stage's total when known here; else the listing's
        own ``count`` (``DiscoveryClient.listing_count``), for the progress report."""
        seen: set[str] = set()
        for page in pages:
            self._file.seek(0, 2)
            self._offsets[stage].append(self._file.tell())
            self._file.write(json.dumps(page) + "\n")
            seen.update(str(u) for item in page if isinstance(item, dict) and (u := _uuid_or_none(item.get("uuid"))))
            self.totals[stage] += len(page)
            if self.progress:
                total = expected if expected is not None else getattr(self.client, "listing_count", None)
                self.progress(f"download {stage}", len(self._offsets[stage]), self.totals[stage], total)
        return seen

    def _replay(self, stage: str) -> Iterator[Page]:
        for offset in self._offsets[stage]:
            self._file.seek(offset)
            yield json.loads(self._file.readline())

    def organization_pages(self) -> Iterator[Page]:
        return self._replay("organizations")

    def course_pages(self, *, keys: list[str] | None = None) -> Iterator[Page]:
        """What was spooled: the catalog, or the named programs' courses (``keys`` was applied then)."""
        return self._replay("courses")

    def program_pages(self, *, uuids: list[str] | None = None) -> Iterator[Page]:
        """The program listing; with other ``uuids``, what the confirmation requests returned of them."""
        if uuids == self._main_uuids:
            return self._replay("programs")
        wanted = set(uuids or ())
        return (
            [item for item in page if isinstance(item, dict) and str(_uuid_or_none(item.get("uuid"))) in wanted]
            for page in self._replay("confirmations")
        )


def _text(value: Any, limit: int = 255) -> str:
    return str(value)[:limit] if value is not None else ""


def _str_key(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _uuid_or_none(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _DesiredProgram:
    """One Discovery program as the sync will store it: its row's fields and, by key, its courses in
    order, the runs it excludes, its authoring organizations, and the courses whose exclusions cannot be
    inferred (the course listing did not carry their runs: their stored exclusions are kept)."""

    fields: dict[str, Any]
    course_keys: list[str]
    excluded_keys: list[str]
    org_keys: list[str]
    uninferable: list[str]


@dataclass(frozen=True)
class _ProgramRows:
    """The program rows of a page after their write: those found before, what changed in each, every pk."""

    existing: dict[UUID, Program]
    changed_fields: dict[UUID, list[str]]
    pk_by_uuid: dict[UUID, int]


@dataclass
class _Relations:
    """What each program (by pk) should link to: course pk -> position, organization pks, excluded run pks."""

    courses: dict[int, dict[int, int]] = dataclasses.field(default_factory=dict)
    organizations: dict[int, set[int]] = dataclasses.field(default_factory=dict)
    excluded: dict[int, set[int]] = dataclasses.field(default_factory=dict)


class _ProgramSync:
    def __init__(
        self,
        *,
        client: CatalogSource,
        dry_run: bool,
        program_uuids: list[str],
        max_retire_fraction: float,
        progress: Progress | None,
    ) -> None:
        self.client = client
        self.dry_run = dry_run
        self.program_uuids = program_uuids
        self.max_retire_fraction = max_retire_fraction
        self.progress = progress
        self.counts = SyncCounts()
        # Change lines in order while there are fewer than MAX_RECORDED_CHANGES; exclusion lines are
        # also kept on their own (up to the same bound) so that a truncated list shows them first:
        # they are what the sync is for.
        self.changes: list[str] = []
        self.exclusion_changes: list[str] = []
        self.changes_truncated = False
        self.now = timezone.now()
        self.org_pk_by_key: dict[str, int] = {}
        # course key -> keys of ALL its runs in Discovery's course listing (the basis of inference)
        self.listed_runs: dict[str, list[str]] = {}
        self.seen_program_uuids: set[UUID] = set()
        self.retired_upstream = 0  # live Discovery programs this sync found retired/deleted upstream

    # --- orchestration -------------------------------------------------------------------------
    def run(self) -> SyncResult:
        log.info("program_sync_started", extra={"dry_run": self.dry_run, "program_uuids": self.program_uuids})
        with _one_sync_at_a_time():
            synced_before = _live_discovery_programs().count()
            self._each_page("organizations", self.client.organization_pages(), self._apply_organizations)
            self._each_page("courses", self.client.course_pages(), self._apply_courses)
            self._each_page(
                "programs", self.client.program_pages(uuids=self.program_uuids or None), self._apply_programs
            )
            if not self.program_uuids:
                self._retire_missing(synced_before)
            self._drop_stray_exclusions()
            if self.dry_run:
                transaction.set_rollback(True)
        log.info("program_sync_finished", extra={"dry_run": self.dry_run, **vars(self.counts)})
        return SyncResult(
            counts=self.counts,
            changes=self._recorded_changes(),
            changes_truncated=self.changes_truncated,
            dry_run=self.dry_run,
            discovery_requests=getattr(self.client, "request_count", 0),
        )

    def _each_page(
        self, stage: str, pages: Iterable[list[dict[str, Any]]], apply: Callable[[list[dict[str, Any]]], None]
    ) -> None:
        done = 0
        total = getattr(self.client, "totals", {}).get(stage)  # what the spooled catalog downloaded
        for number, page in enumerate(pages, start=1):
            items = [item for item in page if isinstance(item, dict)]
            self.counts.errors += len(page) - len(items)
            apply(items)
            done += len(items)
            if self.progress:
                self.progress(stage, number, done, total)

    def _datetime(self, value: Any, *, field: str, key: str) -> datetime | None:
        """An ISO-8601 value of the payload; None when absent. A value that is no date (``2024-02-30``,
        month 13, not a string) is None too, logged and counted as an error: one bad upstream value
        must not fail the whole sync. A value without an offset is UTC (Discovery's)."""
        if value is None or value == "":
            return None
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # the shape of a date, but not a real one
            parsed = None
        if parsed is None:
            log.warning("program_sync_bad_datetime", extra={"field": field, "key": key, "value": str(value)[:64]})
            self.counts.errors += 1
            return None
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)

    def _record(self, line: str, *, exclusion: bool = False) -> None:
        if exclusion and len(self.exclusion_changes) < MAX_RECORDED_CHANGES:
            self.exclusion_changes.append(line)
        if len(self.changes) < MAX_RECORDED_CHANGES:
            self.changes.append(line)
        else:
            self.changes_truncated = True

    def _recorded_changes(self) -> list[str]:
        """Every change in order; when there were too many, the exclusion lines first, then the rest."""
        if not self.changes_truncated:
            return self.changes
        exclusions = set(self.exclusion_changes)
        others = [line for line in self.changes if line not in exclusions]
        return [*self.exclusion_changes, *others][:MAX_RECORDED_CHANGES]

    # --- generic keyed upsert ------------------------------------------------------------------
    def _upsert(
        self, model: type[models.Model], rows: dict[str, dict[str, Any]], *, kind: str
    ) -> tuple[int, int, dict[str, int]]:
        """Create or update ``model`` rows by ``key``; returns (created, updated, pk by key).

        A uuid already held by a row with another key, or named by two rows of this batch, is not
        adopted (logged, counted as an error): the unique constraint would otherwise fail the whole
        sync. Within the batch the row already holding the uuid keeps it, else the first row naming it.
        """
        if not rows:
            return 0, 0, {}
        manager = model._default_manager  # type: ignore[attr-defined]
        keys = list(rows)
        fields = sorted({name for row in rows.values() for name in row})
        # Plain tuples, not model instances: most rows of a re-sync are unchanged.
        existing = {values[1]: values for values in manager.filter(key__in=keys).values_list("pk", "key", *fields)}
        uuids = [row["uuid"] for row in rows.values() if row.get("uuid")]
        taken = dict(manager.filter(uuid__in=uuids).exclude(key__in=keys).values_list("uuid", "key"))
        taken.update(self._batch_uuid_holders(rows, existing, fields, taken))
        to_create, to_update, changed_fields = [], [], set()
        for key, row in rows.items():
            uuid = row.get("uuid")
            if uuid is not None and uuid in taken and taken[uuid] != key:
                log.warning("program_sync_uuid_taken", extra={"kind": kind, "key": key, "holder": taken[uuid]})
                self.counts.errors += 1
                row = {name: value for name, value in row.items() if name not in ("uuid", "uuid_from_discovery")}
            values = existing.get(key)
            if values is None:
                to_create.append(model(key=key, **row))
                continue
            current = dict(zip(fields, values[2:], strict=True))
            diff = [name for name, value in row.items() if current[name] != value]
            if diff:
                changed_fields.update(diff)
                to_update.append(model(pk=values[0], key=key, **{**current, **row}))
        if to_create:
            manager.bulk_create(to_create, batch_size=1000, **_upsert_conflicts(fields))
        if to_update:
            update_fields = sorted(changed_fields)
            if hasattr(model, "modified"):
                for obj in to_update:
                    obj.modified = self.now  # type: ignore[attr-defined]
                update_fields.append("modified")
            manager.bulk_update(to_update, update_fields, batch_size=1000)
        pks = {key: values[0] for key, values in existing.items()}
        if to_create:
            new_keys = [obj.key for obj in to_create]  # type: ignore[attr-defined]
            pks.update(manager.filter(key__in=new_keys).values_list("key", "pk"))
        if has_history(model):
            history_record_pks(model, [pks[obj.key] for obj in to_create], history_type="+")  # type: ignore[attr-defined]
            history_record_pks(model, [obj.pk for obj in to_update], history_type="~")
        return len(to_create), len(to_update), pks

    @staticmethod
    def _batch_uuid_holders(
        rows: dict[str, dict[str, Any]], existing: dict[str, tuple], fields: list[str], taken: dict[Any, str]
    ) -> dict[Any, str]:
        """For each uuid that several rows of the batch name: the key that keeps it."""
        if "uuid" not in fields:
            return {}
        at = 2 + fields.index("uuid")
        claims: dict[Any, list[str]] = defaultdict(list)
        for key, row in rows.items():
            if row.get("uuid") is not None and row["uuid"] not in taken:
                claims[row["uuid"]].append(key)
        holders = {}
        for uuid, claimants in claims.items():
            if len(claimants) > 1:
                holding = [key for key in claimants if key in existing and existing[key][at] == uuid]
                holders[uuid] = (holding or claimants)[0]
        return holders

    # --- organizations -------------------------------------------------------------------------
    def _apply_organizations(self, items: list[dict[str, Any]]) -> None:
        rows = {}
        for item in items:
            key = _str_key(item.get("key"))
            if key is None:
                self.counts.errors += 1
                continue
            rows[key] = {**_discovery_uuid(item, flag=False), "name": _text(item.get("name") or key)}
        self._upsert_organizations(rows)

    def _upsert_organizations(self, rows: dict[str, dict[str, Any]]) -> None:
        created, updated, pks = self._upsert(Organization, rows, kind="organization")
        self.counts.organizations_created += created
        self.counts.organizations_updated += updated
        self.org_pk_by_key.update(pks)

    def _ensure_organizations(self, owners: Iterable[dict[str, Any]]) -> None:
        """Organizations named by courses or programs but missing from the organization listing."""
        rows = {}
        for owner in owners:
            key = _str_key(owner.get("key"))
            if key and key not in self.org_pk_by_key:
                rows[key] = {**_discovery_uuid(owner, flag=False), "name": _text(owner.get("name") or key)}
        if rows:
            self._upsert_organizations(rows)

    # --- courses and runs ----------------------------------------------------------------------
    def _apply_courses(self, items: list[dict[str, Any]], *, listing: bool = True) -> None:
        courses: dict[str, dict[str, Any]] = {}
        owner_key: dict[str, str] = {}
        for item in items:
            key = _str_key(item.get("key"))
            if key is None:
                self.counts.errors += 1
                continue
            owners = [o for o in item.get("owners") or [] if isinstance(o, dict)]
            owner_key[key] = (_str_key(owners[0].get("key")) if owners else None) or key.split("+")[0]
            self._ensure_organizations(owners or [{"key": owner_key[key]}])
            courses[key] = item
        rows = {}
        for key, item in courses.items():
            rows[key] = {
                **_discovery_uuid(item),
                "title": _text(item.get("title")),
                "organization_id": self.org_pk_by_key[owner_key[key]],
            }
        created, updated, course_pks = self._upsert(Course, rows, kind="course")
        self.counts.courses_created += created
        self.counts.courses_updated += updated

        runs: dict[str, dict[str, Any]] = {}
        for key, item in courses.items():
            run_keys = []
            for run in item.get("course_runs") or []:
                run_key = _str_key(run.get("key")) if isinstance(run, dict) else None
                if run_key is None:
                    self.counts.errors += 1
                    continue
                runs[run_key] = {
                    **_discovery_uuid(run),
                    "course_id": course_pks[key],
                    "title": _text(run.get("title")),
                    "start": self._datetime(run.get("start"), field="start", key=run_key),
                    "end": self._datetime(run.get("end"), field="end", key=run_key),
                    "status": _text(run.get("status"), 32),
                    "type": _text(run.get("type"), 64),
                    "restriction_type": _text(run.get("restriction_type"), 64),
                    "hidden": bool(run.get("hidden", False)),
                }
                run_keys.append(run_key)
            if listing:
                self.listed_runs[key] = run_keys
        created, updated, _ = self._upsert(CourseRun, runs, kind="course_run")
        self.counts.course_runs_created += created
        self.counts.course_runs_updated += updated

    # --- programs ------------------------------------------------------------------------------
    def _apply_programs(self, items: list[dict[str, Any]]) -> None:
        """One page of Discovery programs: the rows, then their courses, organizations and exclusions."""
        payloads = self._program_payloads(items)
        if not payloads:
            return
        self._apply_program_dependencies(payloads)
        desired = {uuid: self._desired_program(item) for uuid, item in payloads.items()}
        rows = self._programs_write(desired)
        relations = self._relations_wanted(desired, rows.pk_by_uuid)
        pks = list(rows.pk_by_uuid.values())
        for pk in pks:
            self.counts.excluded_runs_found += len(relations.excluded[pk])

        relation_changes: dict[int, list[str]] = defaultdict(list)
        self._sync_program_courses(pks, relations.courses, relation_changes)
        self._sync_m2m(
            Program.authoring_organizations.through,
            "organization_id",
            pks,
            relations.organizations,
            relation_changes,
            "organizations",
        )
        excluded_diff = self._sync_m2m(
            Program.excluded_course_runs.through,
            "courserun_id",
            pks,
            relations.excluded,
            relation_changes,
            "exclusions",
        )
        self._programs_report(desired, rows, relations, relation_changes)
        if excluded_diff:
            self._describe_exclusions(excluded_diff, {pk: uuid for uuid, pk in rows.pk_by_uuid.items()})

    def _program_payloads(self, items: list[dict[str, Any]]) -> dict[UUID, dict[str, Any]]:
        """The page's programs by uuid: those without a uuid or title are counted as errors, repeats skipped."""
        payloads: dict[UUID, dict[str, Any]] = {}
        for item in items:
            uuid = _uuid_or_none(item.get("uuid"))
            if uuid is None or not item.get("title"):
                log.warning("program_sync_bad_program", extra={"uuid": str(item.get("uuid"))})
                self.counts.errors += 1
                continue
            if uuid in self.seen_program_uuids:  # listed twice (pages shifted upstream): once is enough
                continue
            payloads[uuid] = item
            self.seen_program_uuids.add(uuid)
        return payloads

    def _apply_program_dependencies(self, payloads: dict[UUID, dict[str, Any]]) -> None:
        """The courses and organizations the programs name, before the programs link to them."""
        # Courses a program names that the course listing did not carry: take them from the program.
        unlisted = {}
        for item in payloads.values():
            for course in item.get("courses") or []:
                key = _str_key(course.get("key")) if isinstance(course, dict) else None
                if key and key not in self.listed_runs:
                    unlisted[key] = course
        if unlisted:
            log.warning("program_sync_unlisted_courses", extra={"course_keys": sorted(unlisted)[:20]})
            self._apply_courses(list(unlisted.values()), listing=False)
        self._ensure_organizations(
            org
            for item in payloads.values()
            for org in item.get("authoring_organizations") or []
            if isinstance(org, dict)
        )

    def _programs_write(self, desired: dict[UUID, _DesiredProgram]) -> _ProgramRows:
        """Create the new programs and update the changed ones (in bulk, with their history rows)."""
        existing = {p.uuid: p for p in Program.objects.filter(uuid__in=list(desired))}
        new_programs = [
            Program(uuid=uuid, **{"status": ProgramStatus.UNPUBLISHED, **want.fields})
            for uuid, want in desired.items()
            if uuid not in existing
        ]
        # Live Discovery programs that Discovery now reports retired or deleted: the retire guard counts them.
        self.retired_upstream += sum(
            1
            for uuid, program in existing.items()
            if program.source == ProgramSource.DISCOVERY
            and program.status not in _NOT_LIVE
            and desired[uuid].fields.get("status") in _NOT_LIVE
        )
        if new_programs:
            Program.objects.bulk_create(new_programs, batch_size=1000)
        changed_programs, changed_fields = [], set()
        diff_by_uuid: dict[UUID, list[str]] = {}
        for uuid, program in existing.items():
            wanted_fields = desired[uuid].fields
            diff = [name for name, value in wanted_fields.items() if getattr(program, name) != value]
            if diff:
                for name in diff:
                    setattr(program, name, wanted_fields[name])
                program.modified = self.now
                changed_fields.update(diff)
                changed_programs.append(program)
                diff_by_uuid[uuid] = diff
        if changed_programs:
            Program.objects.bulk_update(changed_programs, [*sorted(changed_fields), "modified"], batch_size=1000)
        pk_by_uuid = dict(Program.objects.filter(uuid__in=list(desired)).values_list("uuid", "pk"))
        for program in new_programs:
            program.pk = pk_by_uuid[program.uuid]  # MySQL/MariaDB return no ids from a bulk insert
        history_bulk_record(new_programs, Program, history_type="+")
        history_bulk_record(changed_programs, Program, history_type="~")
        return _ProgramRows(existing=existing, changed_fields=diff_by_uuid, pk_by_uuid=pk_by_uuid)

    def _relations_wanted(self, desired: dict[UUID, _DesiredProgram], pk_by_uuid: dict[UUID, int]) -> _Relations:
        """Each program's courses (in order), organizations and excluded runs as Discovery gives them, by pk."""
        course_pk = dict(
            Course.objects.filter(key__in={key for want in desired.values() for key in want.course_keys}).values_list(
                "key", "pk"
            )
        )
        run_info = {
            key: (pk, course_key)
            for key, pk, course_key in CourseRun.objects.filter(
                key__in={key for want in desired.values() for key in want.excluded_keys}
            ).values_list("key", "pk", "course__key")
        }
        relations = _Relations()
        for uuid, want in desired.items():
            pk = pk_by_uuid[uuid]
            courses = relations.courses[pk] = {}
            for position, key in enumerate(want.course_keys):
                if key in course_pk and course_pk[key] not in courses:
                    courses[course_pk[key]] = position
            relations.organizations[pk] = {
                self.org_pk_by_key[key] for key in want.org_keys if key in self.org_pk_by_key
            }
            excluded = relations.excluded[pk] = set()
            for key in want.excluded_keys:
                info = run_info.get(key)
                if info is None or info[1] not in want.course_keys:
                    # An exclusion may only name a run of one of the program's courses.
                    log.warning(
                        "program_sync_exclusion_ignored", extra={"program_uuid": str(uuid), "course_run_key": key}
                    )
                    self.counts.errors += 1
                    continue
                excluded.add(info[0])
        self._keep_uninferable_exclusions(desired, pk_by_uuid, relations.excluded)
        return relations

    def _programs_report(
        self,
        desired: dict[UUID, _DesiredProgram],
        rows: _ProgramRows,
        relations: _Relations,
        relation_changes: dict[int, list[str]],
    ) -> None:
        """Count each program created, updated or unchanged, and record a line for each change."""
        for uuid, want in desired.items():
            pk = rows.pk_by_uuid[uuid]
            title = want.fields["title"]
            if uuid not in rows.existing:
                self.counts.programs_created += 1
                courses, excluded = len(relations.courses[pk]), len(relations.excluded[pk])
                self._record(f"create program {uuid} {title!r} ({courses} courses, {excluded} excluded runs)")
            elif uuid in rows.changed_fields or relation_changes.get(pk):
                self.counts.programs_updated += 1
                what = [name for name in rows.changed_fields.get(uuid, []) if name != "missing_upstream_since"]
                detail = ", ".join([*what, *relation_changes.get(pk, [])]) or "back in Discovery"
                self._record(f"update program {uuid} {title!r}: {detail}")
            else:
                self.counts.programs_unchanged += 1

    def _keep_uninferable_exclusions(
        self, desired: dict[UUID, _DesiredProgram], program_pk: dict[UUID, int], want: dict[int, set[int]]
    ) -> None:
        keep = {program_pk[uuid]: set(d.uninferable) for uuid, d in desired.items() if d.uninferable}
        if not keep:
            return
        rows = ProgramExcludedCourseRun.objects.filter(
            program_id__in=list(keep), courserun__course__key__in={k for keys in keep.values() for k in keys}
        ).values_list("program_id", "courserun_id", "courserun__course__key")
        for program_id, run_id, course_key in rows:
            if course_key in keep[program_id]:
                want[program_id].add(run_id)

    def _desired_program(self, item: dict[str, Any]) -> _DesiredProgram:
        type_attrs: dict[str, Any] = item["type_attrs"] if isinstance(item.get("type_attrs"), dict) else {}
        fields: dict[str, Any] = {
            "title": _text(item.get("title")),
            "type": _text(item.get("type"), 64),
            "type_slug": _text(type_attrs.get("slug"), 64),
            "source": ProgramSource.DISCOVERY,
            "data_modified_timestamp": self._datetime(
                item.get("data_modified_timestamp"), field="data_modified_timestamp", key=str(item.get("uuid"))
            ),
            "missing_upstream_since": None,
        }
        if item.get("status") in ProgramStatus.values:
            fields["status"] = item["status"]
        else:
            # Not one of Discovery's four: keep the status we have (a new program: unpublished).
            unknown = {"program_uuid": str(item.get("uuid")), "status": str(item.get("status"))[:64]}
            log.warning("program_sync_unknown_status", extra=unknown)
            self.counts.errors += 1
        if isinstance(item.get("applicable_seat_types"), list):
            fields["applicable_seat_types"] = [str(s) for s in item["applicable_seat_types"]]
        course_keys: list[str] = []
        nested_runs: dict[str, set[str]] = {}
        for course in item.get("courses") or []:
            key = _str_key(course.get("key")) if isinstance(course, dict) else None
            if key is None:
                self.counts.errors += 1
                continue
            course_keys.append(key)
            nested_runs.setdefault(key, set()).update(
                _str_key(run.get("key")) or "" for run in course.get("course_runs") or [] if isinstance(run, dict)
            )
        explicit = item.get("excluded_course_runs")
        uninferable: list[str] = []
        if isinstance(explicit, list):
            # A patched Discovery that states the exclusions: believe it over inference.
            excluded_keys = [
                key for key in (_str_key(e.get("key")) if isinstance(e, dict) else _str_key(e) for e in explicit) if key
            ]
        else:
            excluded_keys = [
                run_key
                for key in course_keys
                for run_key in self.listed_runs.get(key, [])
                if run_key not in nested_runs[key]
            ]
            # A course the listing did not carry has no known run list: keep its exclusions as they are.
            uninferable = [key for key in course_keys if key not in self.listed_runs]
        org_keys = [
            key
            for org in item.get("authoring_organizations") or []
            if isinstance(org, dict) and (key := _str_key(org.get("key")))
        ]
        return _DesiredProgram(
            fields=fields,
            course_keys=course_keys,
            excluded_keys=excluded_keys,
            org_keys=org_keys,
            uninferable=uninferable,
        )

    def _sync_program_courses(
        self, pks: list[int], want: dict[int, dict[int, int]], changes: dict[int, list[str]]
    ) -> None:
        have: dict[int, dict[int, ProgramCourse]] = defaultdict(dict)
        for row in ProgramCourse.objects.filter(program_id__in=pks):
            have[row.program_id][row.course_id] = row
        to_delete, to_create, to_update = [], [], []
        for pk in pks:
            current, wanted = have.get(pk, {}), want[pk]
            gone = [row.pk for course_id, row in current.items() if course_id not in wanted]
            added = [
                ProgramCourse(program_id=pk, course_id=c, position=p) for c, p in wanted.items() if c not in current
            ]
            moved = [row for c, row in current.items() if c in wanted and row.position != wanted[c]]
            for row in moved:
                row.position = wanted[row.course_id]
            to_delete += gone
            to_create += added
            to_update += moved
            if gone or added:
                changes[pk].append(f"courses +{len(added)} -{len(gone)}")
            elif moved:
                changes[pk].append("course order")
        if to_delete:
            ProgramCourse.objects.filter(pk__in=to_delete).delete()
        if to_create:
            ProgramCourse.objects.bulk_create(to_create, batch_size=1000)
        if to_update:
            ProgramCourse.objects.bulk_update(to_update, ["position"], batch_size=1000)

    def _sync_m2m(
        self,
        through: type[models.Model],
        column: str,
        pks: list[int],
        want: dict[int, set[int]],
        changes: dict[int, list[str]],
        label: str,
    ) -> dict[int, tuple[set[int], set[int]]]:
        """Make each program's rows of an M2M table equal ``want``; returns {pk: (added, removed)}."""
        manager = through._default_manager  # type: ignore[attr-defined]
        have: dict[int, dict[int, int]] = defaultdict(dict)
        for row_pk, program_id, other in manager.filter(program_id__in=pks).values_list("pk", "program_id", column):
            have[program_id][other] = row_pk
        to_delete, to_create, diff = [], [], {}
        for pk in pks:
            current, wanted = have.get(pk, {}), want[pk]
            added, removed = wanted - current.keys(), current.keys() - wanted
            if added or removed:
                diff[pk] = (added, set(removed))
                changes[pk].append(f"{label} +{len(added)} -{len(removed)}")
            to_delete += [current[other] for other in removed]
            to_create += [through(program_id=pk, **{column: other}) for other in added]
        if has_history(through):
            # Exclusions carry their history (since when a run is excluded, and by which sync).
            if to_delete:
                history_bulk_delete(manager.filter(pk__in=to_delete))
            if to_create:
                manager.bulk_create(to_create, batch_size=1000)
                created = manager.filter(program_id__in=list(diff)).values_list("pk", "program_id", column)
                added_pairs = {(pk, other) for pk, (added, _) in diff.items() for other in added}
                # The through row is its three columns: no need to read it back whole.
                history_bulk_record(
                    [
                        through(pk=row_pk, program_id=pk, **{column: other})
                        for row_pk, pk, other in created
                        if (pk, other) in added_pairs
                    ],
                    through,
                )
            return diff
        if to_delete:
            manager.filter(pk__in=to_delete).delete()
        if to_create:
            manager.bulk_create(to_create, batch_size=1000)
        return diff

    def _describe_exclusions(self, diff: dict[int, tuple[set[int], set[int]]], uuid_by_pk: dict[int, UUID]) -> None:
        run_pks = {pk for added, removed in diff.values() for pk in added | removed}
        if len(self.exclusion_changes) >= MAX_RECORDED_CHANGES:
            self.changes_truncated = True
            return
        key_by_pk = dict(CourseRun.objects.filter(pk__in=run_pks).values_list("pk", "key"))
        for pk, (added, removed) in diff.items():
            for run_pk in sorted(added, key=key_by_pk.__getitem__):
                self._record(f"  program {uuid_by_pk[pk]} excludes {key_by_pk[run_pk]}", exclusion=True)
            for run_pk in sorted(removed, key=key_by_pk.__getitem__):
                self._record(f"  program {uuid_by_pk[pk]} no longer excludes {key_by_pk[run_pk]}", exclusion=True)

    def _drop_stray_exclusions(self) -> None:
        """A run that moved to another course leaves the exclusions naming it outside their program's
        courses: in local programs, and (with ``program_uuids``) in Discovery programs this sync did
        not read. One bulk delete, for every program, at the end of the apply."""
        from programs.services import program_exclusions_prune  # services import this module

        for uuid, key in program_exclusions_prune():
            self.counts.exclusions_dropped += 1
            self._record(f"  program {uuid} no longer excludes {key} (no longer a run of its courses)", exclusion=True)

    # --- retirement ----------------------------------------------------------------------------
    def _retire_missing(self, synced_before: int) -> None:
        live = _live_discovery_programs()
        missing = [
            (pk, uuid, title)
            for pk, uuid, title in live.values_list("pk", "uuid", "title")
            if uuid not in self.seen_program_uuids
        ]
        # Programs gone from the listing and programs Discovery itself flipped to retired/deleted
        # both leave the live catalog: an upstream fault can do either, so the guard counts both.
        would_retire = len(missing) + self.retired_upstream
        share = would_retire / max(synced_before, 1)
        if share > self.max_retire_fraction:
            message = (
                f"Stopped: this sync would retire {would_retire} of {synced_before} synced live programs "
                f"({len(missing)} no longer listed by Discovery, {self.retired_upstream} reported retired or "
                f"deleted there; {share:.0%} > the {self.max_retire_fraction:.0%} limit, "
                "PROGRAM_SYNC_MAX_RETIRE_FRACTION). "
                "Nothing was changed; check Discovery, or raise the limit if the removal is real."
            )
            log.error("program_sync_aborted", extra={"would_retire": would_retire, "total": synced_before})
            raise SyncAborted(message, would_retire=would_retire, total=synced_before)
        if not missing:
            return
        # A program added or removed upstream while we paged shifts the pages: one may have been
        # skipped, not deleted. Ask for the missing ones by uuid before retiring anything.
        missing_uuids = [str(uuid) for _, uuid, _ in missing]
        for start in range(0, len(missing_uuids), CONFIRM_CHUNK):
            for page in self.client.program_pages(uuids=missing_uuids[start : start + CONFIRM_CHUNK]):
                self._apply_programs([item for item in page if isinstance(item, dict)])
        missing = [row for row in missing if row[1] not in self.seen_program_uuids]
        if not missing:
            return
        Program.objects.filter(pk__in=[pk for pk, _, _ in missing]).update(
            status=ProgramStatus.RETIRED, missing_upstream_since=self.now, modified=self.now
        )
        history_record_pks(Program, [pk for pk, _, _ in missing], history_type="~")
        self.counts.programs_retired += len(missing)
        for _, uuid, title in missing:
            self._record(f"retire program {uuid} {title!r} (gone from Discovery)")


@contextmanager
def _one_sync_at_a_time() -> Iterator[None]:
    """The sync's transaction, one sync at a time: a second one (the schedule and an API call at
    once) waits for the first to commit, then sees what it wrote.

    PostgreSQL: a transaction-level advisory lock, released by the commit. MySQL/MariaDB: a named
    ``GET_LOCK`` (session-level, and server-wide, hence named after the database), taken before the
    transaction opens so the waiting sync's snapshot starts after the first one's commit, and
    released after the commit (or rollback). SQLite serializes writers by itself.
    """
    if connection.vendor == "mysql":
        name = f"program_sync:{connection.settings_dict['NAME']}"[:64]  # MySQL's limit on lock names
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [name, SYNC_LOCK_WAIT_SECONDS])
            (acquired,) = cursor.fetchone()
        if acquired != 1:
            raise RuntimeError(f"Another program sync held the sync lock for {SYNC_LOCK_WAIT_SECONDS} s.")
        try:
            with transaction.atomic():
                yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT RELEASE_LOCK(%s)", [name])
            except DatabaseError:  # a lost connection: the server released the lock with the session
                log.warning("program_sync_lock_release_failed", extra={"lock": name})
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SYNC_LOCK_ID])
        yield


_NOT_LIVE = (ProgramStatus.RETIRED, ProgramStatus.DELETED)


def _live_discovery_programs() -> "models.QuerySet[Program]":
    """Discovery programs not retired or deleted: the ones a sync may retire, and the guard's base."""
    return Program.objects.filter(source=ProgramSource.DISCOVERY).exclude(status__in=_NOT_LIVE)


def _discovery_uuid(item: dict[str, Any], *, flag: bool = True) -> dict[str, Any]:
    """The uuid fields to write: nothing when the payload carries no valid uuid (keep the local one)."""
    uuid = _uuid_or_none(item.get("uuid"))
    if uuid is None:
        return {}
    return {"uuid": uuid, "uuid_from_discovery": True} if flag else {"uuid": uuid}


def _upsert_conflicts(fields: list[str]) -> dict[str, Any]:
    """bulk_create options that make a concurrent insert of the same key (an LMS PUT) update instead."""
    if not connection.features.supports_update_conflicts:
        return {}
    # The uuid stays the row's own on a conflict (the next sync adopts Discovery's, with its flag).
    update_fields = [f for f in fields if f not in ("uuid", "uuid_from_discovery")] or ["key"]
    if connection.features.supports_update_conflicts_with_target:
        return {"update_conflicts": True, "unique_fields": ["key"], "update_fields": update_fields}
    return {"update_conflicts": True, "update_fields": update_fields}
