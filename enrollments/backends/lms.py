"""The ``lms`` backend: the Open edX LMS is the system of record; local rows mirror its answers.

Policy lives here, transport in ``enrollments.lms``:
- learners are found by email at the LMS (batch endpoint when it exists, else one GET per email);
  every account found is recorded locally, which is also an arrival that realises pending rows;
- calls run on a bounded thread pool; timeouts, 5xx and 429 are retried with exponential backoff
  and jitter, other 4xx never;
- a pair is a success only when the LMS answered 200 with an active enrollment, pending only when it
  answered 201 (or 409: already allowed) to ``enrollment_allowed``; anything else is a failure.
Threads only call the LMS; every database read and write happens on the calling thread.
"""

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from core.exceptions import LearnerIdentityConflict
from core.models import User
from core.services import learner_get_or_create
from enrollments.backends.base import BackendResult, PreparedPair
from enrollments.backends.writes import enrollment_rows_upsert, pending_rows_insert
from enrollments.data import (
    EnrollmentFailure,
    EnrollmentNotification,
    EnrollmentPending,
    EnrollmentSuccess,
    FailureCode,
)
from enrollments.exceptions import UpstreamError, UpstreamNotFound, UpstreamUnauthorized
from enrollments.lms import LmsAccount, LmsClient, LmsEnrollment
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.selectors import LearnerRow, chunked, enrollments_by_pair, learners_by_lms_user_id, pending_pairs
from programs.services import course_run_ensure

log = logging.getLogger(__name__)
T = TypeVar("T")
SEARCH_EMAILS_CHUNK = 100
DEFAULT_MAX_WORKERS = 8
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5


def _failure(pair: PreparedPair, code: FailureCode, reason: str) -> EnrollmentFailure:
    return EnrollmentFailure(
        email=pair.item.email,
        user_id=pair.item.user_id,
        course_run_key=pair.item.course_run_key,
        code=code,
        reason=reason,
    )


def _lms_failure(pair: PreparedPair, exc: UpstreamError, attempts: int) -> EnrollmentFailure:
    if exc.retryable:
        return _failure(
            pair,
            FailureCode.LMS_UNAVAILABLE,
            f"The LMS did not enroll ({exc}) after {attempts} attempts; not enrolled.",
        )
    if isinstance(exc, UpstreamUnauthorized):
        return _failure(pair, FailureCode.LMS_UNAVAILABLE, f"The LMS refused this service's credentials: {exc}")
    if exc.status_code == 406:
        return _failure(pair, FailureCode.LMS_UNKNOWN_USER, f"The LMS does not know this learner: {exc}")
    if exc.status_code == 403:
        return _failure(
            pair, FailureCode.LMS_REFUSED, f"The LMS does not allow this enrollment (invite-only or closed run): {exc}"
        )
    return _failure(pair, FailureCode.LMS_REFUSED, f"The LMS refused the enrollment ({exc.status_code}): {exc}")


class LmsEnrollmentBackend:
    name = "lms"
    requires_known_runs = False  # the LMS decides whether a run exists

    def __init__(
        self,
        *,
        client: LmsClient,
        max_workers: int | None = None,
        attempts: int | None = None,
        backoff_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.max_workers = max_workers or DEFAULT_MAX_WORKERS
        self.attempts = attempts or DEFAULT_ATTEMPTS
        self.backoff_seconds = DEFAULT_BACKOFF_SECONDS if backoff_seconds is None else backoff_seconds
        self.sleep = sleep

    # --- calling the LMS ------------------------------------------------------------------------

    def _call(self, call: Callable[..., T], /, **kwargs: Any) -> T:
        """``call(**kwargs)``, again after a backoff while it fails with a retryable error."""
        for attempt in range(1, self.attempts + 1):
            try:
                return call(**kwargs)
            except UpstreamError as exc:
                if not exc.retryable or attempt == self.attempts:
                    raise
                delay = self.backoff_seconds * 2 ** (attempt - 1) * (0.5 + random.random() / 2)  # noqa: S311
                log.info("lms_retry", extra={"attempt": attempt, "status": exc.status_code, "delay_s": round(delay, 3)})
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _map(self, call: Callable[..., T], kwargs_list: Iterable[dict[str, Any]]) -> list[T | UpstreamError]:
        """``self._call(call, **kwargs)`` for each, on the pool; a failure is returned, not raised."""
        return self._run_all([(call, kwargs) for kwargs in kwargs_list])

    def _run_all(self, jobs: list[tuple[Callable[..., Any], dict[str, Any]]]) -> list[Any]:
        """Run ``(call, kwargs)`` jobs (with retries) on at most ``max_workers`` threads, answers in order."""

        def one(job: tuple[Callable[..., Any], dict[str, Any]]) -> Any:
            call, kwargs = job
            try:
                return self._call(call, **kwargs)
            except UpstreamError as exc:
                return exc

        if len(jobs) <= 1:
            return [one(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(jobs))) as pool:
            return list(pool.map(one, jobs))

    def _accounts(self, emails: list[str]) -> tuple[dict[str, LmsAccount], dict[str, UpstreamError]]:
        """LMS accounts by email, and the emails the LMS could not be asked about."""
        accounts: dict[str, LmsAccount] = {}
        errors: dict[str, UpstreamError] = {}
        one_by_one: list[str] = []
        batch_available = True
        for batch in chunked(emails, SEARCH_EMAILS_CHUNK):
            if not batch_available:
                one_by_one.extend(batch)
                continue
            try:
                found = self._call(self.client.accounts_search_emails, emails=batch)
            except UpstreamError as exc:
                if isinstance(exc, UpstreamNotFound) or exc.status_code == 405:
                    # An LMS without the batch endpoint: ask per email from here on.
                    log.info("lms_search_emails_unavailable", extra={"status": exc.status_code})
                    batch_available = False
                    one_by_one.extend(batch)
                else:
                    errors.update(dict.fromkeys(batch, exc))
                continue
            accounts.update({account.email: account for account in found})
        answers = self._map(self.client.account_by_email, ({"email": email} for email in one_by_one))
        for email, answer in zip(one_by_one, answers, strict=True):
            if isinstance(answer, UpstreamError):
                errors[email] = answer
            elif answer is not None:
                accounts[email] = answer
        return accounts, errors

    # --- the backend ----------------------------------------------------------------------------

    def enroll(self, *, pairs: list[PreparedPair]) -> BackendResult:
        result = BackendResult()
        try:
            self._call(self.client.ensure_token)
        except UpstreamError as exc:
            for pair in pairs:
                result.outcomes[pair.index] = _lms_failure(pair, exc, self.attempts)
            return result

        emails = sorted({pair.item.email for pair in pairs if pair.item.email})
        accounts, lookup_errors = self._accounts(emails)
        local_by_id = learners_by_lms_user_id(
            lms_user_ids=[pair.item.user_id for pair in pairs if pair.item.user_id is not None]
        )
        learners = self._record_learners(accounts.values())

        to_enroll: list[tuple[PreparedPair, str]] = []  # (pair, LMS username)
        to_allow: list[PreparedPair] = []
        for pair in pairs:
            target = self._resolve(pair, accounts, lookup_errors, local_by_id, learners)
            if isinstance(target, EnrollmentFailure):
                result.outcomes[pair.index] = target
            elif target is None:
                to_allow.append(pair)
            else:
                to_enroll.append((pair, target))

        # One pool for both kinds of call, so neither waits for the other's tail.
        answers = self._run_all(
            [
                (
                    self.client.enrollment_set,
                    {"username": username, "course_run_key": pair.item.course_run_key, "mode": pair.mode},
                )
                for pair, username in to_enroll
            ]
            + [
                (
                    self.client.enrollment_allowed_create,
                    {"email": pair.item.email, "course_run_key": pair.item.course_run_key},
                )
                for pair in to_allow
            ]
        )
        enroll_answers, allow_answers = answers[: len(to_enroll)], answers[len(to_enroll) :]
        self._mirror(result, to_enroll, enroll_answers, to_allow, allow_answers, learners, local_by_id)
        return result

    def _record_learners(self, accounts: Iterable[LmsAccount]) -> dict[str, User | LearnerIdentityConflict]:
        """Local rows for the LMS accounts found, by LMS username (an arrival: pending rows get realised)."""
        recorded: dict[str, User | LearnerIdentityConflict] = {}
        for account in accounts:
            try:
                recorded[account.username] = learner_get_or_create(
                    username=account.username, lms_user_id=account.id, email=account.email
                )
            except LearnerIdentityConflict as exc:
                recorded[account.username] = exc
        return recorded

    def _resolve(
        self,
        pair: PreparedPair,
        accounts: dict[str, LmsAccount],
        lookup_errors: dict[str, UpstreamError],
        local_by_id: dict[int, LearnerRow],
        learners: dict[str, User | LearnerIdentityConflict],
    ) -> str | EnrollmentFailure | None:
        """The LMS username to enroll, a failure, or ``None`` for an email the LMS does not know."""
        item = pair.item
        if item.email and item.email in lookup_errors:
            return _lms_failure(pair, lookup_errors[item.email], self.attempts)
        account = accounts.get(item.email) if item.email else None
        if account is not None and isinstance(learners.get(account.username), LearnerIdentityConflict):
            return _failure(pair, FailureCode.LEARNER_MISMATCH, str(learners[account.username]))
        if item.user_id is not None:
            if account is not None and account.id != item.user_id:
                return _failure(
                    pair,
                    FailureCode.LEARNER_MISMATCH,
                    f"LMS user id {item.user_id} and email {item.email} belong to different learners.",
                )
            if account is not None:
                return account.username
            local = local_by_id.get(item.user_id)
            if local is None:
                return _failure(pair, FailureCode.UNKNOWN_USER_ID, f"No learner has LMS user id {item.user_id}.")
            if not local.is_active:
                return _failure(pair, FailureCode.INACTIVE_LEARNER, "The learner's account is deactivated.")
            return local.username
        return account.username if account is not None else None

    def _mirror(
        self,
        result: BackendResult,
        to_enroll: list[tuple[PreparedPair, str]],
        enroll_answers: list[LmsEnrollment | UpstreamError],
        to_allow: list[PreparedPair],
        allow_answers: list[bool | UpstreamError],
        learners: dict[str, User | LearnerIdentityConflict],
        local_by_id: dict[int, LearnerRow],
    ) -> None:
        """Record locally exactly what the LMS answered, and the outcome of every pair."""
        learner_ids = {row.username: row.pk for row in local_by_id.values()}
        learner_ids.update({name: user.pk for name, user in learners.items() if isinstance(user, User)})
        learner_emails = {row.pk: row.email for row in local_by_id.values()}
        learner_emails.update({user.pk: user.email for user in learners.values() if isinstance(user, User)})
        learner_lms_ids = {row.pk: row.lms_user_id for row in local_by_id.values()}
        learner_lms_ids.update({user.pk: user.lms_user_id for user in learners.values() if isinstance(user, User)})

        # Runs the LMS accepted and this service does not know yet are added to the catalog.
        accepted_keys = {
            pair.item.course_run_key
            for (pair, _), answer in zip(to_enroll, enroll_answers, strict=True)
            if not isinstance(answer, UpstreamError)
        }
        accepted_keys |= {
            pair.item.course_run_key
            for pair, allowed in zip(to_allow, allow_answers, strict=True)
            if not isinstance(allowed, UpstreamError)
        }
        runs = {key: course_run_ensure(key=key) for key in sorted(accepted_keys)}

        existing = enrollments_by_pair(learner_ids=learner_ids.values(), run_ids=[run.pk for run in runs.values()])
        now = timezone.now()
        upserts: dict[tuple[int, int], Enrollment] = {}
        enrolled: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for (pair, username), answer in zip(to_enroll, enroll_answers, strict=True):
            if isinstance(answer, UpstreamError):
                result.outcomes[pair.index] = _lms_failure(pair, answer, self.attempts)
                continue
            run = runs[pair.item.course_run_key]
            learner_id = learner_ids[username]
            key = (learner_id, run.pk)
            if not answer.is_active:
                result.outcomes[pair.index] = _failure(
                    pair, FailureCode.LMS_REFUSED, "The LMS answered with an inactive enrollment; not enrolled."
                )
                continue
            before = existing.get(key)
            created = key not in upserts and (before is None or not before.is_active)
            upserts[key] = Enrollment(
                learner_id=learner_id,
                course_run_id=run.pk,
                mode=answer.mode,
                is_active=True,
                license_uuid=pair.item.license_uuid or (before.license_uuid if before else None),
                modified=now,
            )
            if created:
                enrolled[learner_id].append((run.key, run.title))
            result.outcomes[pair.index] = EnrollmentSuccess(
                email=pair.item.email or learner_emails.get(learner_id) or None,
                user_id=learner_lms_ids.get(learner_id),
                course_run_key=pair.item.course_run_key,
                created=created,
            )

        known_pending = pending_pairs(
            emails=[pair.item.email for pair in to_allow if pair.item.email],
            run_ids=[runs[pair.item.course_run_key].pk for pair in to_allow],
        )
        new_pending: dict[tuple[str, int], PendingEnrollment] = {}
        pended: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for pair, allowed in zip(to_allow, allow_answers, strict=True):
            assert pair.item.email is not None
            if isinstance(allowed, UpstreamError):
                result.outcomes[pair.index] = _lms_failure(pair, allowed, self.attempts)
                continue
            run = runs[pair.item.course_run_key]
            key_p = (pair.item.email, run.pk)
            if key_p not in known_pending and key_p not in new_pending:
                new_pending[key_p] = PendingEnrollment(
                    email=pair.item.email, course_run_id=run.pk, mode=pair.mode, license_uuid=pair.item.license_uuid
                )
            # 201 is new at the LMS; 409 means it already allowed this email (a replay): not new.
            if allowed:
                pended[pair.item.email].append((run.key, run.title))
            result.outcomes[pair.index] = EnrollmentPending(
                email=pair.item.email, course_run_key=pair.item.course_run_key, created=allowed
            )

        with transaction.atomic():
            enrollment_rows_upsert(list(upserts.values()))
            pending_rows_insert(list(new_pending.values()))

        result.notifications = [
            EnrollmentNotification(email=learner_emails[learner_id], course_runs=runs_, pending=False)
            for learner_id, runs_ in enrolled.items()
            if learner_emails.get(learner_id)
        ] + [EnrollmentNotification(email=email, course_runs=runs_, pending=True) for email, runs_ in pended.items()]
        log.info(
            "bulk_enrollment_lms_mirrored",
            extra={"enrollments_written": len(upserts), "pending_written": len(new_pending)},
        )

    def unenroll(self, *, learner: User, course_run_key: str) -> bool:
        """Unenroll at the LMS (``is_active: false``), then mirror its answer. Raises ``UpstreamError``."""
        enrollment = Enrollment.objects.filter(learner=learner, course_run__key=course_run_key).first()
        answer = self._call(
            self.client.enrollment_set,
            username=learner.username,
            course_run_key=course_run_key,
            mode=enrollment.mode if enrollment is not None else "audit",
            is_active=False,
        )
        if enrollment is None:
            return False
        was_active = enrollment.is_active
        enrollment.is_active = answer.is_active
        enrollment.mode = answer.mode
        enrollment.save(update_fields=["is_active", "mode", "modified"])
        return was_active and not answer.is_active
