"""The ``lms`` backend: the Open edX LMS is the system of record; local rows mirror its answers.

Policy lives here, transport in ``enrollments.lms``:
- learners are found by email at the LMS (batch endpoint when it exists, else one GET per email);
  the accounts found are recorded locally in bulk (``core.api.learners_get_or_create_many``), which is
  also an arrival that realises pending rows;
- calls run on a bounded thread pool under the one upstream retry policy (``core.upstream``):
  timeouts, 5xx and 429 are retried with jittered exponential backoff (at least ``Retry-After``),
  other 4xx never; after ``LMS_CIRCUIT_BREAKER_FAILURES`` retryable failures in a row the breaker
  opens (one trial call after 10 s), and ``LMS_TIME_BUDGET_SECONDS`` into the request the calls not
  yet sent are not sent (``CallGuard``, a ``core.upstream.CircuitBreaker``);
- a pair is a success only when the LMS answered 200 with an active enrollment, pending only when it
  answered 201 (or 409: already allowed) to ``enrollment_allowed``; anything else is a failure.
Threads only call the LMS; every database read and write happens on the calling thread.
"""

import contextvars
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.api import LearnerAccount, LearnerIdentityConflict, User, learners_get_or_create_many
from core.db import chunked
from core.upstream import CircuitBreaker, RetryPolicy, call_with_retries
from enrollments.backends.base import BackendResult, PreparedPair, first_pair_per_learner
from enrollments.backends.writes import enrollment_rows_upsert, pending_rows_insert
from enrollments.data import (
    EnrollmentFailure,
    EnrollmentNotification,
    EnrollmentPending,
    EnrollmentSuccess,
    FailureCode,
)
from enrollments.exceptions import (
    UpstreamError,
    UpstreamGivenUp,
    UpstreamInvalidResponse,
    UpstreamNotFound,
    UpstreamUnauthorized,
)
from enrollments.lms import LmsAccount, LmsClient, LmsEnrollment
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.selectors import (
    LearnerRow,
    RunRow,
    enrollments_by_pair,
    learners_by_lms_user_id,
    pending_pairs,
)
from programs.api import course_run_ensure, course_runs_lock

log = logging.getLogger(__name__)
T = TypeVar("T")
SEARCH_EMAILS_CHUNK = 100
DEFAULT_MAX_WORKERS = 8
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5


# The per-request time budget and circuit breaker of LMS calls (core.upstream, docs/decisions/0014).
CallGuard = CircuitBreaker


def _answered(answer: object) -> bool:
    return not isinstance(answer, UpstreamError)


def _lms_failure(pair: PreparedPair, exc: UpstreamError, attempts: int) -> EnrollmentFailure:
    if isinstance(exc, UpstreamGivenUp):
        return EnrollmentFailure.of(pair.item, FailureCode.LMS_UNAVAILABLE, f"{exc}; not enrolled.")
    if isinstance(exc, UpstreamInvalidResponse):
        return EnrollmentFailure.of(
            pair.item,
            FailureCode.LMS_UNAVAILABLE,
            f"The LMS gave an answer this service cannot read ({exc}); not enrolled.",
        )
    if exc.retryable:
        return EnrollmentFailure.of(
            pair.item,
            FailureCode.LMS_UNAVAILABLE,
            f"The LMS did not enroll ({exc}) after {attempts} attempts; not enrolled.",
        )
    if isinstance(exc, UpstreamUnauthorized):
        return EnrollmentFailure.of(
            pair.item, FailureCode.LMS_UNAVAILABLE, f"The LMS refused this service's credentials: {exc}"
        )
    if exc.status_code == 406:
        return EnrollmentFailure.of(
            pair.item, FailureCode.LMS_UNKNOWN_USER, f"The LMS does not know this learner: {exc}"
        )
    if exc.status_code == 403:
        return EnrollmentFailure.of(
            pair.item,
            FailureCode.LMS_REFUSED,
            f"The LMS does not allow this enrollment (invite-only or closed run): {exc}",
        )
    return EnrollmentFailure.of(
        pair.item, FailureCode.LMS_REFUSED, f"The LMS refused the enrollment ({exc.status_code}): {exc}"
    )


def lms_call_with_retries(
    call: Callable[..., T],
    /,
    *,
    guard: CallGuard,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """``call(**kwargs)`` under the one upstream retry policy (``core.upstream.call_with_retries``):
    timeouts, 5xx and 429 again after a jittered exponential backoff (at least ``Retry-After``), at most
    ``attempts`` times; a permanent error at once; ``UpstreamGivenUp`` once ``guard`` refuses.
    """
    policy = RetryPolicy(attempts=attempts, backoff_seconds=backoff_seconds)
    return call_with_retries(call, policy=policy, breaker=guard, sleep=sleep, **kwargs)


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
        circuit_breaker_failures: int | None = None,
        time_budget_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.max_workers = max_workers or DEFAULT_MAX_WORKERS
        self.attempts = attempts or DEFAULT_ATTEMPTS
        self.backoff_seconds = DEFAULT_BACKOFF_SECONDS if backoff_seconds is None else backoff_seconds
        self.sleep = sleep
        self.circuit_breaker_failures = circuit_breaker_failures or settings.LMS_CIRCUIT_BREAKER_FAILURES
        self.time_budget_seconds = time_budget_seconds or settings.LMS_TIME_BUDGET_SECONDS
        self.clock = clock

    def _new_guard(self) -> CallGuard:
        """A fresh guard: each ``enroll()`` / ``unenroll()`` call makes its own and passes it down, so a
        backend instance keeps no per-request state (a tripped breaker or spent budget never carries over)."""
        return CallGuard(
            max_failures=self.circuit_breaker_failures, budget_seconds=self.time_budget_seconds, clock=self.clock
        )

    # --- calling the LMS ------------------------------------------------------------------------

    def _call(self, guard: CallGuard, call: Callable[..., T], /, **kwargs: Any) -> T:
        """``call(**kwargs)``, again after a backoff while it fails with a retryable error.

        Raises ``UpstreamGivenUp`` instead of calling once the request's ``guard`` has tripped.
        """
        return lms_call_with_retries(
            call, guard=guard, attempts=self.attempts, backoff_seconds=self.backoff_seconds, sleep=self.sleep, **kwargs
        )

    def _map(
        self, guard: CallGuard, call: Callable[..., T], kwargs_list: Iterable[dict[str, Any]]
    ) -> list[T | UpstreamError]:
        """``self._call(guard, call, **kwargs)`` for each, on the pool; a failure is returned, not raised."""
        return self._run_all(guard, [(call, kwargs) for kwargs in kwargs_list])

    def _run_all(self, guard: CallGuard, jobs: list[tuple[Callable[..., Any], dict[str, Any]]]) -> list[Any]:
        """Run ``(call, kwargs)`` jobs (with retries) on at most ``max_workers`` threads, answers in order.

        The worker threads share ``guard``: one request's failures and time budget count together.
        """

        def one(job: tuple[Callable[..., Any], dict[str, Any]]) -> Any:
            call, kwargs = job
            try:
                return self._call(guard, call, **kwargs)
            except UpstreamError as exc:
                return exc

        if len(jobs) <= 1:
            return [one(job) for job in jobs]
        # Each call runs in a copy of this context, so the request id reaches the pool's threads.
        context = contextvars.copy_context()
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(jobs))) as pool:
            return list(pool.map(lambda job: context.copy().run(one, job), jobs))

    def _accounts(self, guard: CallGuard, emails: list[str]) -> tuple[dict[str, LmsAccount], dict[str, UpstreamError]]:
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
                found = self._call(guard, self.client.accounts_search_emails, emails=batch)
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
        answers = self._map(guard, self.client.account_by_email, ({"email": email} for email in one_by_one))
        for email, answer in zip(one_by_one, answers, strict=True):
            if isinstance(answer, UpstreamError):
                errors[email] = answer
            elif answer is not None:
                accounts[email] = answer
        return accounts, errors

    # --- the backend ----------------------------------------------------------------------------

    def enroll(self, *, pairs: list[PreparedPair]) -> BackendResult:
        guard = self._new_guard()  # the failure count and the time budget are per request
        result = BackendResult()
        try:
            self._call(guard, self.client.ensure_token)
        except UpstreamError as exc:
            for pair in pairs:
                result.outcomes[pair.index] = _lms_failure(pair, exc, self.attempts)
            return result

        emails = sorted({pair.item.email for pair in pairs if pair.item.email})
        accounts, lookup_errors = self._accounts(guard, emails)
        learners = self._record(list(accounts.values()))
        # Read after recording: a learner the LMS renamed is already stored under the new name.
        local_by_id = learners_by_lms_user_id(
            lms_user_ids=[pair.item.user_id for pair in pairs if pair.item.user_id is not None]
        )

        known: list[tuple[PreparedPair, str]] = []  # (pair, LMS username)
        to_allow: list[PreparedPair] = []
        for pair in pairs:
            target = self._resolve(pair, accounts, lookup_errors, local_by_id, learners)
            if isinstance(target, EnrollmentFailure):
                result.outcomes[pair.index] = target
            elif target is None:
                to_allow.append(pair)
            else:
                known.append((pair, target))
        # One learner named by email and by user_id for a run: one LMS call, one outcome. The usernames
        # are current (read after recording), so one learner has one.
        to_enroll = first_pair_per_learner(result, known)

        # One pool for both kinds of call, so neither waits for the other's tail.
        answers = self._run_all(
            guard,
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
            ],
        )
        enroll_answers, allow_answers = answers[: len(to_enroll)], answers[len(to_enroll) :]
        self._mirror(result, to_enroll, enroll_answers, to_allow, allow_answers, learners, local_by_id)
        return result

    @staticmethod
    def _record(accounts: list[LmsAccount]) -> dict[str, User | LearnerIdentityConflict]:
        """The local rows of the accounts the LMS returned (``core.api.learners_get_or_create_many``), by LMS username.

        A learner created with an email, or whose email changed, is an arrival: core signals
        ``learners_identified`` once for the batch, and their pending enrollments are realised after commit.
        """
        recorded = learners_get_or_create_many(
            accounts=[LearnerAccount(username=a.username, lms_user_id=a.id, email=a.email) for a in accounts]
        )
        return {account.username: row for account, row in zip(accounts, recorded, strict=True)}

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
            return EnrollmentFailure.of(pair.item, FailureCode.LEARNER_MISMATCH, str(learners[account.username]))
        if item.user_id is not None:
            if account is not None and account.id != item.user_id:
                return EnrollmentFailure.of(
                    pair.item,
                    FailureCode.LEARNER_MISMATCH,
                    f"LMS user id {item.user_id} and email {item.email} belong to different learners.",
                )
            if account is not None:
                return account.username
            local = local_by_id.get(item.user_id)
            if local is None:
                return EnrollmentFailure.of(
                    pair.item, FailureCode.UNKNOWN_USER_ID, f"No learner has LMS user id {item.user_id}."
                )
            if not local.is_active:
                return EnrollmentFailure.of(
                    pair.item, FailureCode.INACTIVE_LEARNER, "The learner's account is deactivated."
                )
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
        """Record locally exactly what the LMS answered, and the outcome of every pair.

        ``created`` (and so who is emailed) is judged against the local record, read under the runs'
        row locks: new to this service, not "new at the LMS" (a retried call can see its own first
        attempt's write as a 409, and a replay against an LMS that lost its record answers 201).
        """
        learner_ids = {row.username: row.pk for row in local_by_id.values()}
        learner_ids.update({name: user.pk for name, user in learners.items() if isinstance(user, User)})
        learner_emails = {row.pk: row.email for row in local_by_id.values()}
        learner_emails.update({user.pk: user.email for user in learners.values() if isinstance(user, User)})
        learner_lms_ids = {row.pk: row.lms_user_id for row in local_by_id.values()}
        learner_lms_ids.update({user.pk: user.lms_user_id for user in learners.values() if isinstance(user, User)})

        # Runs the LMS accepted and this service does not know yet are added to the catalog.
        accepted = [pair for (pair, _), answer in zip(to_enroll, enroll_answers, strict=True) if _answered(answer)]
        accepted += [pair for pair, allowed in zip(to_allow, allow_answers, strict=True) if _answered(allowed)]
        runs: dict[str, RunRow] = {pair.item.course_run_key: pair.run for pair in accepted if pair.run is not None}
        for run_key in sorted({pair.item.course_run_key for pair in accepted} - set(runs)):
            made = course_run_ensure(key=run_key)
            runs[run_key] = RunRow(made.pk, made.key, made.title)

        with transaction.atomic():
            # Concurrent bulk enrollments of these runs take turns from here on (programs.services.course_runs_lock).
            course_runs_lock(run_ids=[run.pk for run in runs.values()])
            enrolled, enrollments_written = self._mirror_enrollments(
                result, to_enroll, enroll_answers, runs, learner_ids, learner_emails, learner_lms_ids
            )
            pended, pending_written = self._mirror_pending(result, to_allow, allow_answers, runs)

        result.notifications = [
            EnrollmentNotification(
                email=learner_emails[learner_id], course_runs=runs_, pending=False, learner_id=learner_id
            )
            for learner_id, runs_ in enrolled.items()
            if learner_emails.get(learner_id)
        ] + [EnrollmentNotification(email=email, course_runs=runs_, pending=True) for email, runs_ in pended.items()]
        log.info(
            "bulk_enrollment_lms_mirrored",
            extra={"enrollments_written": enrollments_written, "pending_written": pending_written},
        )

    def _mirror_enrollments(
        self,
        result: BackendResult,
        to_enroll: list[tuple[PreparedPair, str]],
        answers: list[LmsEnrollment | UpstreamError],
        runs: dict[str, RunRow],
        learner_ids: dict[str, int],
        learner_emails: dict[int, str],
        learner_lms_ids: dict[int, int | None],
    ) -> tuple[dict[int, list[tuple[str, str]]], int]:
        """Mirror the LMS's enrollment answers; the runs newly enrolled per learner, and the rows written."""
        existing = enrollments_by_pair(
            learner_ids=[learner_ids[username] for _, username in to_enroll],
            run_ids=[runs[pair.item.course_run_key].pk for pair, _ in to_enroll if pair.item.course_run_key in runs],
        )
        now = timezone.now()
        upserts: dict[tuple[int, int], Enrollment] = {}
        enrolled: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for (pair, username), answer in zip(to_enroll, answers, strict=True):
            if isinstance(answer, UpstreamError):
                result.outcomes[pair.index] = _lms_failure(pair, answer, self.attempts)
                continue
            if not answer.is_active:
                result.outcomes[pair.index] = EnrollmentFailure.of(
                    pair.item, FailureCode.LMS_REFUSED, "The LMS answered with an inactive enrollment; not enrolled."
                )
                continue
            run = runs[pair.item.course_run_key]
            learner_id = learner_ids[username]
            before = existing.get((learner_id, run.pk))
            created = before is None or not before.is_active
            upserts[(learner_id, run.pk)] = Enrollment(
                learner_id=learner_id,
                course_run_id=run.pk,
                mode=answer.mode,
                is_active=True,
                license_uuid=pair.item.license_uuid or (before.license_uuid if before else None),
                enterprise_customer_uuid=pair.item.enterprise_customer_uuid
                or (before.enterprise_customer_uuid if before else None),
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
        enrollment_rows_upsert(list(upserts.values()))
        return enrolled, len(upserts)

    def _mirror_pending(
        self,
        result: BackendResult,
        to_allow: list[PreparedPair],
        answers: list[bool | UpstreamError],
        runs: dict[str, RunRow],
    ) -> tuple[dict[str, list[tuple[str, str]]], int]:
        """Mirror the LMS's enrollment_allowed answers; the runs newly pending per email, and the rows written."""
        known_pending = pending_pairs(
            emails=[pair.item.email for pair in to_allow if pair.item.email],
            run_ids=[runs[pair.item.course_run_key].pk for pair in to_allow if pair.item.course_run_key in runs],
        )
        new_pending: dict[tuple[str, int], PendingEnrollment] = {}
        pended: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for pair, allowed in zip(to_allow, answers, strict=True):
            assert pair.item.email is not None
            if isinstance(allowed, UpstreamError):
                result.outcomes[pair.index] = _lms_failure(pair, allowed, self.attempts)
                continue
            run = runs[pair.item.course_run_key]
            key = (pair.item.email, run.pk)
            # The LMS's 201 or 409 only says whether *it* had the allowance; new means new here.
            created = key not in known_pending and key not in new_pending
            if created:
                new_pending[key] = PendingEnrollment(
                    email=pair.item.email,
                    course_run_id=run.pk,
                    mode=pair.mode,
                    license_uuid=pair.item.license_uuid,
                    enterprise_customer_uuid=pair.item.enterprise_customer_uuid,
                )
                pended[pair.item.email].append((run.key, run.title))
            result.outcomes[pair.index] = EnrollmentPending(
                email=pair.item.email, course_run_key=pair.item.course_run_key, created=created
            )
        pending_rows_insert(list(new_pending.values()))
        return pended, len(new_pending)

    def unenroll(self, *, learner: User, course_run_key: str) -> bool:
        """Unenroll at the LMS (``is_active: false``), then mirror its answer. Raises ``UpstreamError``."""
        enrollment = Enrollment.objects.filter(learner=learner, course_run__key=course_run_key).first()
        answer = self._call(
            self._new_guard(),
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
