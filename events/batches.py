"""A batch of events written at once: a few statements per batch, not a dozen per event.

Inside ``events.services.event_batch``, certificate, enrollment and grade events, and catalog
events of runs already stored, are not applied when their signal arrives: they are kept
(``EventBatch.defer``), read by ``deferred_read`` and written together by ``planned_write``, in
their order of arrival, with the rules of the one-event path:

- every event's data is read and checked first (``events.facts``); one that names nothing
  recordable is skipped alone, with its reason;
- the runs they name are read in one query (by the caller); the learners they name are found or
  created with one ``learners_get_or_create_many`` (ADR 0003's rules, in arrival order);
- credentials, grades and enrollments are written by their apps' batch writers
  (``core.records.record_changes_apply``), catalog changes by ``course_runs_catalog_apply``: each
  change sees the record as the earlier changes left it, an older change than the record's is
  stale, each applied change leaves a history row naming its event;
- pending enrollments of the enrolled learners are realised, and passing grades satisfy credit
  ``grade`` requirements, as one event at a time does.

What differs from applying the events one at a time: a revocation changes no learner identity (the
one-event path also renames the learner, or updates the email, from its ``UserData``); a grade
finds a learner created by any event of the batch, not only by an earlier one; and a passing grade
is checked against the learner's enrollment as the whole batch leaves it (credit ignores a grade
of a learner whose enrollment cannot earn credit), not as the events before it left it.
"""

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rest_framework.exceptions import APIException

from core.api import LearnerIdentityConflict, RecordChange, User, learners_find_many, learners_get_or_create_many
from core.history import history_source
from core.models import RecordSource
from credentials_status.api import CredentialStatus, course_run_credentials_apply, grades_apply
from credit import api as credit_api
from enrollments.api import enrollments_apply, pending_emails, pending_enrollments_realize
from events.facts import (
    CatalogFacts,
    CertificateFacts,
    EnrollmentFacts,
    EventRef,
    GradeFacts,
    SkipEvent,
    catalog_facts,
    certificate_facts,
    enrollment_facts,
    grade_facts,
)
from events.models import EventOutcome
from programs.api import CatalogChange, course_runs_catalog_apply

log = logging.getLogger(__name__)

Facts = CertificateFacts | EnrollmentFacts | GradeFacts | CatalogFacts
_READERS: dict[str, Callable[[EventRef, Any], Facts]] = {
    "catalog": lambda event, data: catalog_facts(data),
    "certificate": certificate_facts,
    "enrollment": lambda event, data: enrollment_facts(data),
    "grade": lambda event, data: grade_facts(data),
}


@dataclass(frozen=True)
class Deferred:
    """An event kept for its batch's write: its family (``certificate``, ``enrollment``, ``grade``, ``catalog``), data.

    ``apply`` is the one-event path, used when the batch's write fails for another reason than the
    database (``events.services``).
    """

    event: EventRef
    family: str
    data: Any
    apply: Callable[[], EventOutcome]


@dataclass
class Planned:
    """One deferred event on its way through ``deferred_read`` and ``planned_write``."""

    item: Deferred
    facts: Facts | None = None
    learner: User | None = None
    outcome: EventOutcome | None = None
    reason: str = ""

    def skip(self, reason: str) -> None:
        self.outcome, self.reason = EventOutcome.SKIPPED, reason


def deferred_read(deferred: Sequence[Deferred]) -> list[Planned]:
    """Each event's data read and checked (``events.facts``): one that names nothing recordable is skipped."""
    planned = [Planned(item) for item in deferred]
    for plan in planned:
        try:
            plan.facts = _READERS[plan.item.family](plan.item.event, plan.item.data)
        except (SkipEvent, APIException) as exc:
            plan.skip(_reason(exc))
    return planned


def planned_write(planned: Sequence[Planned], runs: Mapping[str, Any]) -> list[tuple[EventOutcome, str]]:
    """Write the read events' changes, given the stored runs by key; one ``(outcome, reason of a skip)``
    per event, in order. Must run inside a transaction; a database error propagates (the caller rolls
    the writes back)."""
    for plan in planned:
        if plan.facts is not None and plan.facts.run_key not in runs:
            plan.skip(f"Unknown course run {plan.facts.run_key!r}.")
    _learners_find(planned)
    _credentials_write(runs, [plan for plan in planned if isinstance(plan.facts, CertificateFacts)])
    # Enrollments before grades: credit reads the learner's enrollment when a passing grade satisfies
    # a requirement, and sees the batch's last one (as the grades_recorded receiver does after commit).
    _enrollments_write(runs, [plan for plan in planned if isinstance(plan.facts, EnrollmentFacts)])
    _grades_write(runs, [plan for plan in planned if isinstance(plan.facts, GradeFacts)])
    _catalog_write([plan for plan in planned if isinstance(plan.facts, CatalogFacts)])
    return [(plan.outcome or EventOutcome.SKIPPED, plan.reason) for plan in planned]


def _live(plans: Iterable[Planned]) -> list[Planned]:
    return [plan for plan in plans if plan.outcome is None and plan.facts is not None]


def _learners_find(planned: Sequence[Planned]) -> None:
    """Each live event's learner: created or updated from an awarded certificate's or an enrollment's
    account, else (revocations, grades) found by LMS user id (a revocation: else by username)."""
    writing = [
        plan
        for plan in _live(planned)
        if isinstance(plan.facts, EnrollmentFacts) or (isinstance(plan.facts, CertificateFacts) and plan.facts.awarded)
    ]
    accounts = [plan.facts.account for plan in writing]  # type: ignore[union-attr]
    for plan, learner in zip(writing, learners_get_or_create_many(accounts=accounts), strict=True):
        if isinstance(learner, LearnerIdentityConflict):
            plan.skip(_reason(learner))
        else:
            plan.learner = learner
    finding = [
        plan
        for plan in _live(planned)
        if plan.learner is None and isinstance(plan.facts, (GradeFacts, CertificateFacts))
    ]
    ids = {
        plan.facts.lms_user_id if isinstance(plan.facts, GradeFacts) else plan.facts.account.lms_user_id  # type: ignore[union-attr]
        for plan in finding
    }
    names = {plan.facts.account.username for plan in finding if isinstance(plan.facts, CertificateFacts)}
    by_id, by_name = learners_find_many(lms_user_ids=[pk for pk in ids if pk is not None], usernames=names)
    for plan in finding:
        if isinstance(plan.facts, GradeFacts):
            plan.learner = by_id.get(plan.facts.lms_user_id)
            if plan.learner is None:
                plan.skip(f"Unknown learner (LMS user id {plan.facts.lms_user_id!r}).")
        elif isinstance(plan.facts, CertificateFacts):
            account = plan.facts.account
            found = by_id.get(account.lms_user_id) if account.lms_user_id is not None else None
            plan.learner = found or by_name.get(account.username)
            if plan.learner is None:
                plan.skip("No credential held here to revoke.")


def _outcomes_set(plans: Sequence[Planned], results: Sequence[bool | None], not_found: str = "") -> None:
    for plan, applied in zip(plans, results, strict=True):
        if applied is None:
            plan.skip(not_found)
        else:
            plan.outcome = EventOutcome.APPLIED if applied else EventOutcome.STALE


def _change(
    plan: Planned, runs: Mapping[str, Any], values: dict[str, Any], *, needs_existing: bool = False
) -> RecordChange:
    """The record change an event makes: as the event's source, at its time, naming it in the history."""
    event = plan.item.event
    return RecordChange(
        learner=plan.learner,
        course_run=runs[plan.facts.run_key],  # type: ignore[union-attr]
        changed_at=event.time,
        values={**values, "source": RecordSource.EVENT, "changed_by": ""},
        history_source=event.history_source,
        needs_existing=needs_existing,
    )


def _credentials_write(runs: Mapping[str, Any], plans: Sequence[Planned]) -> None:
    plans = _live(plans)
    changes = []
    for plan in plans:
        facts: CertificateFacts = plan.facts  # type: ignore[assignment]
        status = CredentialStatus.AWARDED if facts.awarded else CredentialStatus.REVOKED
        values = {"status": status, "type": facts.mode, "certificate_available_date": None}
        changes.append(_change(plan, runs, values, needs_existing=not facts.awarded))
    _outcomes_set(plans, course_run_credentials_apply(changes), not_found="No credential held here to revoke.")


def _enrollments_write(runs: Mapping[str, Any], plans: Sequence[Planned]) -> None:
    plans = _live(plans)
    changes = []
    for plan in plans:
        facts: EnrollmentFacts = plan.facts  # type: ignore[assignment]
        changes.append(_change(plan, runs, {"mode": facts.mode, "is_active": facts.is_active}))
    _outcomes_set(plans, enrollments_apply(changes))
    _pending_realize(plans)


def _grades_write(runs: Mapping[str, Any], plans: Sequence[Planned]) -> None:
    plans = _live(plans)
    changes = []
    for plan in plans:
        facts: GradeFacts = plan.facts  # type: ignore[assignment]
        values = {"percent_grade": facts.percent, "letter_grade": facts.letter, "verified": False}
        changes.append(_change(plan, runs, values))
    _outcomes_set(plans, grades_apply(changes))
    passed = [plan for plan in plans if plan.outcome == EventOutcome.APPLIED and plan.facts.passed]  # type: ignore[union-attr]
    credit_courses = credit_api.credit_course_keys(plan.facts.run_key for plan in passed) if passed else set()  # type: ignore[union-attr]
    for plan in passed:
        facts = plan.facts  # type: ignore[assignment]
        if facts.run_key in credit_courses:
            grade_requirements_satisfy(learner=plan.learner, course_run_key=facts.run_key, percent=facts.percent)  # type: ignore[arg-type]


def _catalog_write(plans: Sequence[Planned]) -> None:
    plans = _live(plans)
    changes = []
    for plan in plans:
        facts: CatalogFacts = plan.facts  # type: ignore[assignment]
        event = plan.item.event
        values = facts.run_values()
        changes.append(
            CatalogChange(key=facts.run_key, event_time=event.time, history_source=event.history_source, **values)
        )
    for plan, result in zip(plans, course_runs_catalog_apply(changes), strict=True):
        if isinstance(result, bool):
            plan.outcome = EventOutcome.APPLIED if result else EventOutcome.STALE
        else:
            plan.skip(result or f"Unknown course run {plan.facts.run_key!r}.")  # type: ignore[union-attr]


def _pending_realize(plans: Sequence[Planned]) -> None:
    """The enrolled learners' pending enrollments realised, under the learner's first enrollment event
    of the batch (which realises them when events are applied one at a time); one query when none wait."""
    first: dict[int, Planned] = {}
    for plan in plans:
        first.setdefault(plan.learner.pk, plan)  # type: ignore[union-attr]
    emails = {plan.learner.email.strip().lower() for plan in first.values() if plan.learner.email}  # type: ignore[union-attr]
    waiting = pending_emails(emails=emails) if emails else set()
    for pk in sorted(first):  # an email held by several learners goes to the lowest primary key
        learner: User = first[pk].learner  # type: ignore[assignment]
        email = learner.email.strip().lower()
        if email in waiting:
            waiting.discard(email)
            with history_source(first[pk].item.event.history_source):
                pending_enrollments_realize(learner=learner)


def passing_grade_credit_apply(*, learner: User, course_run_key: str, percent: Decimal) -> None:
    """A grade the LMS says passes satisfies the credit course's ``grade`` requirements with the final grade."""
    if credit_api.is_credit_course(course_run_key):
        grade_requirements_satisfy(learner=learner, course_run_key=course_run_key, percent=percent)


def grade_requirements_satisfy(*, learner: User, course_run_key: str, percent: Decimal) -> None:
    """The ``grade`` requirements of a credit course satisfied with ``{"final_grade": percent}``, as the LMS does."""
    for requirement in credit_api.get_credit_requirements(course_run_key, namespace="grade"):
        credit_api.set_credit_requirement_status(
            learner, course_run_key, "grade", requirement["name"], "satisfied", {"final_grade": float(percent)}
        )


def _reason(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    return str(detail if detail is not None else exc)[:500]
