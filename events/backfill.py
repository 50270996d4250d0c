"""Backfill and drift check from the LMS (``manage.py backfill_from_lms``, the support console's check).

The LMS's own APIs are read through the one LMS client (``enrollments.api.LmsClient``) with the one
retry policy (``lms_call_with_retries``): a learner's certificates and enrollments, a run's grades and
enrollments. What the LMS says is compared with what this service holds (``records_drift``, a pure
function) and, unless it is a dry run, applied through the same writers as events and ingest, as
``source=backfill`` at the moment it was read: the newer-wins rule keeps any later change.
Paths and response shapes: docs/lms-apis.rst.
"""

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import APIException

from core.api import User, learner_get_or_create
from core.history import history_source
from core.models import RecordSource
from credentials_status.api import (
    CertificateType,
    CredentialStatus,
    awarded_credentials_of,
    course_run_credential_upsert,
    credential_type_held,
    grade_upsert,
    grades_in_runs,
)
from enrollments.api import (
    CallGuard,
    LmsClient,
    UpstreamError,
    enrollment_upsert,
    enrollments_of,
    lms_call_with_retries,
)
from events.batches import passing_grade_credit_apply
from events.facts import CERTIFICATE_AWARDED_STATUS
from programs.api import course_run_ensure

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 4
_PERCENT_STEP = Decimal("0.0001")
# A backfill of thousands of learners runs far longer than one web request's LMS budget.
_BUDGET_SECONDS = 6 * 3600


class RecordKind(StrEnum):
    CERTIFICATE = "certificate"
    ENROLLMENT = "enrollment"
    GRADE = "grade"


class DriftKind(StrEnum):
    ONLY_HERE = "only_here"
    ONLY_IN_LMS = "only_in_lms"
    DIFFERS = "differs"


RecordKey = tuple[RecordKind, str, str]  # (kind, username, course run key)


@dataclass(frozen=True)
class Drift:
    """One record on which this service and the LMS disagree; values rendered for people."""

    kind: RecordKind
    username: str
    course_run_key: str
    here: str | None
    lms: str | None

    @property
    def drift(self) -> DriftKind:
        if self.here is None:
            return DriftKind.ONLY_IN_LMS
        return DriftKind.ONLY_HERE if self.lms is None else DriftKind.DIFFERS


@dataclass
class BackfillReport:
    drifts: list[Drift] = field(default_factory=list)
    applied: int = 0
    learners: int = 0
    course_runs: int = 0
    #: Learners or runs the LMS could not answer for (nothing was applied for them), with the reason.
    failures: list[str] = field(default_factory=list)


def records_drift(*, here: Mapping[RecordKey, str], lms: Mapping[RecordKey, str]) -> list[Drift]:
    """Every record key whose value differs between the two sides (absent on one side included), sorted."""
    return [
        Drift(kind=key[0], username=key[1], course_run_key=key[2], here=here.get(key), lms=lms.get(key))
        for key in sorted(set(here) | set(lms))
        if here.get(key) != lms.get(key)
    ]


def _certificate_value(status: str, type: str) -> str:
    return f"{status} {type}"


def _enrollment_value(mode: str, is_active: bool) -> str:
    return f"{mode} {'active' if is_active else 'inactive'}"


def _grade_value(percent: Decimal, letter: str) -> str:
    return f"{percent.quantize(_PERCENT_STEP)} {letter}".rstrip()


@dataclass
class _LmsFacts:
    values: dict[RecordKey, str] = field(default_factory=dict)
    passed: set[RecordKey] = field(default_factory=set)
    certificate_types: dict[RecordKey, str] = field(default_factory=dict)
    enrollments: dict[RecordKey, tuple[str, bool]] = field(default_factory=dict)
    grades: dict[RecordKey, tuple[Decimal, str]] = field(default_factory=dict)


def _learner_fetch(client: LmsClient, guard: CallGuard, username: str) -> list[tuple[str, Any]]:
    certificates = lms_call_with_retries(lambda: client.certificates_for_user(username), guard=guard)
    enrollments = lms_call_with_retries(lambda: list(client.enrollments_list(username=username)), guard=guard)
    return [("certificate", row) for row in certificates] + [("enrollment", row) for row in enrollments]


def _run_fetch(client: LmsClient, guard: CallGuard, course_run_key: str) -> list[tuple[str, Any]]:
    grades = lms_call_with_retries(lambda: list(client.grades_for_course_run(course_run_key)), guard=guard)
    enrollments = lms_call_with_retries(
        lambda: list(client.enrollments_list(course_run_key=course_run_key)), guard=guard
    )
    return [("grade", row) for row in grades] + [("enrollment", row) for row in enrollments]


def _lms_facts(rows: Iterable[tuple[str, Any]]) -> _LmsFacts:
    facts = _LmsFacts()
    for kind, row in rows:
        if kind == "certificate":
            if row.status != CERTIFICATE_AWARDED_STATUS:
                continue  # the LMS holds no credential: only a credential held here is drift
            key = (RecordKind.CERTIFICATE, row.username, row.course_run_key)
            facts.values[key] = _certificate_value(CredentialStatus.AWARDED, row.certificate_type)
            facts.certificate_types[key] = row.certificate_type
        elif kind == "enrollment":
            key = (RecordKind.ENROLLMENT, row.username, row.course_run_key)
            facts.values[key] = _enrollment_value(row.mode, row.is_active)
            facts.enrollments[key] = (row.mode, row.is_active)
        else:
            key = (RecordKind.GRADE, row.username, row.course_run_key)
            percent = Decimal(str(row.percent)).quantize(_PERCENT_STEP)
            facts.values[key] = _grade_value(percent, row.letter_grade)
            facts.grades[key] = (percent, row.letter_grade)
            if row.passed:
                facts.passed.add(key)
    return facts


def _here_values(*, usernames: Sequence[str], course_run_keys: Sequence[str]) -> dict[RecordKey, str]:
    """What this service holds in the scope checked: the learners' certificates and enrollments, the runs'
    grades and enrollments. A revoked credential counts as none (the LMS lists no passing certificate)."""
    values: dict[RecordKey, str] = {}
    for username, run_key, status, type_ in awarded_credentials_of(usernames=usernames):
        values[(RecordKind.CERTIFICATE, username, run_key)] = _certificate_value(status, type_)
    for username, run_key, mode, is_active in enrollments_of(usernames=usernames, course_run_keys=course_run_keys):
        values[(RecordKind.ENROLLMENT, username, run_key)] = _enrollment_value(mode, is_active)
    for username, run_key, percent, letter in grades_in_runs(course_run_keys=course_run_keys):
        values[(RecordKind.GRADE, username, run_key)] = _grade_value(percent, letter)
    return values


def learners_changed_since(since: datetime) -> list[str]:
    """Usernames of the learners whose records here changed since ``since`` (``--since``)."""
    changed = Q(credentials__modified__gte=since) | Q(enrollments__modified__gte=since) | Q(grades__modified__gte=since)
    return sorted(set(User.objects.filter(changed).values_list("username", flat=True)))


def _lms_fetch(
    client: LmsClient,
    jobs: list[tuple[str, str]],
    report: BackfillReport,
    *,
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[tuple[str, Any]], list[str], list[str]]:
    """The LMS's rows for these ``("learner", username)`` and ``("run", key)`` jobs, at most ``workers``
    calls at once; and the learners and runs it answered for. A failed job goes to ``report.failures``."""
    guard = CallGuard(
        max_failures=settings.LMS_CIRCUIT_BREAKER_FAILURES, budget_seconds=_BUDGET_SECONDS, clock=time.monotonic
    )
    rows: list[tuple[str, Any]] = []
    answered: dict[str, list[str]] = {"learner": [], "run": []}

    def fetch(job: tuple[str, str]) -> list[tuple[str, Any]]:
        scope, name = job
        return _learner_fetch(client, guard, name) if scope == "learner" else _run_fetch(client, guard, name)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [(job, pool.submit(fetch, job)) for job in jobs]
        for done, (job, future) in enumerate(futures, start=1):
            try:
                rows.extend(future.result())
                answered[job[0]].append(job[1])
            except UpstreamError as exc:
                report.failures.append(f"{job[0]} {job[1]}: {exc}")
                log.warning("backfill_lms_failed", extra={"scope": job[0], "target": job[1], "error": str(exc)})
            if progress is not None:
                progress(done, len(jobs))
    return rows, answered["learner"], answered["run"]


def backfill_from_lms(
    *,
    client: LmsClient,
    usernames: Sequence[str] = (),
    course_run_keys: Sequence[str] = (),
    dry_run: bool = False,
    changed_by: str = "",
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillReport:
    """Compare the LMS's records of these learners and runs with this service's, and apply the LMS's unless dry.

    At most ``workers`` LMS calls run at once; each is retried as every LMS call is. A learner or run
    the LMS cannot answer for is reported in ``failures`` and nothing of it is applied. Applied:
    certificates (awarded; a credential held here that the LMS does not list as passing is revoked),
    enrollments (mode, active) and grades (a passing one also satisfies credit ``grade`` requirements).
    Records only here besides credentials are reported, never deleted.
    """
    usernames = sorted(set(usernames))
    course_run_keys = sorted(set(course_run_keys))
    report = BackfillReport(learners=len(usernames), course_runs=len(course_run_keys))
    read_at = timezone.now()
    jobs: list[tuple[str, str]] = [("learner", name) for name in usernames] + [("run", key) for key in course_run_keys]
    rows, answered_learners, answered_runs = _lms_fetch(client, jobs, report, workers=workers, progress=progress)
    facts = _lms_facts(rows)
    here = _here_values(usernames=answered_learners, course_run_keys=answered_runs)
    in_scope = {
        key: value for key, value in facts.values.items() if key[1] in answered_learners or key[2] in answered_runs
    }
    report.drifts = records_drift(here=here, lms=in_scope)
    if not dry_run:
        with history_source(f"backfill by {changed_by}"):  # the source of the history rows it writes
            for drift in report.drifts:
                if _drift_apply(drift, facts, read_at=read_at, changed_by=changed_by):
                    report.applied += 1
    log.info(
        "backfill_done",
        extra={
            "dry_run": dry_run,
            "drifts": len(report.drifts),
            "applied": report.applied,
            "failures": len(report.failures),
        },
    )
    return report


def _drift_apply(drift: Drift, facts: _LmsFacts, *, read_at: datetime, changed_by: str) -> bool:
    """Apply the LMS's side of one drift; False when there is nothing this service would record."""
    key: RecordKey = (drift.kind, drift.username, drift.course_run_key)
    common: dict[str, Any] = {"source": RecordSource.BACKFILL, "changed_at": read_at, "changed_by": changed_by}
    try:
        if drift.kind == RecordKind.CERTIFICATE:
            if drift.lms is None:
                held_type = credential_type_held(username=drift.username, course_run_key=drift.course_run_key)
                if held_type is None:
                    return False  # revoked or removed here since the check
                course_run_credential_upsert(
                    username=drift.username,
                    course_run_key=drift.course_run_key,
                    status=CredentialStatus.REVOKED,
                    type=held_type,
                    **common,
                )
                return True
            certificate_type = facts.certificate_types[key]
            if certificate_type not in CertificateType.values:
                log.warning("backfill_certificate_type_unknown", extra={"type": certificate_type[:50]})
                return False
            course_run_credential_upsert(
                username=drift.username,
                course_run_key=drift.course_run_key,
                status=CredentialStatus.AWARDED,
                type=certificate_type,
                **common,
            )
            return True
        if drift.lms is None:
            return False  # an enrollment or grade only here: reported, never deleted
        if drift.kind == RecordKind.ENROLLMENT:
            mode, is_active = facts.enrollments[key]
            learner = learner_get_or_create(username=drift.username)
            run = course_run_ensure(key=drift.course_run_key)
            enrollment_upsert(learner=learner, course_run=run, mode=mode, is_active=is_active, **common)
            return True
        percent, letter = facts.grades[key]
        grade, _ = grade_upsert(
            username=drift.username,
            course_run_key=drift.course_run_key,
            percent_grade=percent,
            letter_grade=letter,
            **common,
        )
        if key in facts.passed and grade.source_time == read_at:
            passing_grade_credit_apply(learner=grade.learner, course_run_key=drift.course_run_key, percent=percent)
        return True
    except APIException as exc:  # an identity conflict, a key or value the writers refuse
        log.warning(
            "backfill_record_skipped", extra={"kind": drift.kind, "username": drift.username, "error": str(exc)}
        )
        return False
