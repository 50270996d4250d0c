"""The one base of this service's upstream clients (Discovery, the LMS): transport only, no database writes.

Built on edx-rest-api-client's ``OAuthAPIClient`` (OAuth2 client credentials, a JWT cached until it
expires). Every call goes through ``UpstreamClient._request()``, which applies the timeouts, logs one
``<upstream>_response`` line, and turns every failure into one class of the hierarchy below, the same
class whichever upstream answered (docs/decisions/0014-one-upstream-client.rst):

- retryable (``UpstreamError.retryable``): ``UpstreamTimeout``, ``UpstreamUnavailable`` (connection
  error, 5xx, unreadable body), ``UpstreamRateLimited`` (429, with ``retry_after`` seconds);
- permanent: ``UpstreamUnauthorized`` (401, or the token endpoint refusing our credentials),
  ``UpstreamForbidden`` (403), ``UpstreamNotFound`` (404), ``UpstreamRejected`` (any other 4xx),
  ``UpstreamInvalidResponse`` (a 2xx without the documented shape), ``UpstreamGivenUp`` (not sent:
  the caller's time budget or circuit breaker stopped it).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

import requests
import tenacity
from celery.utils.time import get_exponential_backoff_interval
from django.utils import timezone
from edx_rest_api_client.client import OAuthAPIClient
from requests.adapters import HTTPAdapter

from core.request_id import outbound_headers

log = logging.getLogger(__name__)
T = TypeVar("T")


class UpstreamError(Exception):
    """An upstream call did not succeed. ``status_code`` is the HTTP status when the upstream answered."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status_code: int | None = None,
        body: object = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code
        self.body = body
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    retryable = True


class UpstreamUnavailable(UpstreamError):
    """Connection refused or reset, a 5xx answer, or a body that is not JSON."""

    retryable = True


class UpstreamRateLimited(UpstreamError):
    """429; ``retry_after`` is the delay the upstream asked for (seconds), None when it named none."""

    retryable = True


class UpstreamUnauthorized(UpstreamError):
    """401, or the OAuth2 token could not be obtained with our client credentials."""


class UpstreamForbidden(UpstreamError):
    """403: the upstream knows us and does not allow this call (the same class from every upstream)."""


class UpstreamNotFound(UpstreamError):
    """404."""


class UpstreamRejected(UpstreamError):
    """Any other 4xx (400 bad input, 406 unknown user, 409 duplicate ...)."""


class UpstreamInvalidResponse(UpstreamError):
    """A 2xx answer whose body does not have the documented shape (not retried: it would say the same)."""


class UpstreamGivenUp(UpstreamError):
    """Not sent: the caller stopped calling this upstream (its circuit breaker is open, or its time budget spent)."""


RETRYABLE_ERRORS: tuple[type[UpstreamError], ...] = (UpstreamTimeout, UpstreamUnavailable, UpstreamRateLimited)


@dataclass(frozen=True)
class TaskRetryPolicy:
    """The one retry policy of Celery tasks that call an upstream, in Celery's own options.

    ``task_options()`` goes into ``@shared_task(...)``: Celery retries the retryable upstream errors
    (never a 4xx) with full-jitter exponential backoff (``retry_backoff`` x 2^retries seconds, at
    most ``retry_backoff_max``), ``max_retries`` times. The only custom piece is ``countdown()``,
    for a 429 that named a ``Retry-After``: Celery's backoff, never less than what was asked.
    """

    autoretry_for: tuple[type[Exception], ...] = RETRYABLE_ERRORS
    max_retries: int = 5
    retry_backoff: int = 30
    retry_backoff_max: int = 30 * 60
    retry_jitter: bool = True

    def task_options(self) -> dict[str, Any]:
        return {
            "autoretry_for": self.autoretry_for,
            "max_retries": self.max_retries,
            "retry_backoff": self.retry_backoff,
            "retry_backoff_max": self.retry_backoff_max,
            "retry_jitter": self.retry_jitter,
        }

    def countdown(self, retries: int, exc: BaseException | None = None) -> float:
        """Seconds before retry number ``retries + 1``: Celery's backoff, at least ``exc.retry_after``."""
        backoff = get_exponential_backoff_interval(
            factor=self.retry_backoff, retries=retries, maximum=self.retry_backoff_max, full_jitter=self.retry_jitter
        )
        return max(float(backoff), float(getattr(exc, "retry_after", None) or 0.0))


TASK_RETRY = TaskRetryPolicy()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def error_for_status(status_code: int) -> type[UpstreamError]:
    """The error class of a non-2xx status, the same for every upstream."""
    if status_code == requests.codes.too_many_requests:
        return UpstreamRateLimited
    if status_code >= 500:
        return UpstreamUnavailable
    return {
        requests.codes.unauthorized: UpstreamUnauthorized,
        requests.codes.forbidden: UpstreamForbidden,
        requests.codes.not_found: UpstreamNotFound,
    }.get(status_code, UpstreamRejected)


class UpstreamClient:
    """One pooled ``OAuthAPIClient`` session, the timeouts, and the mapping of failures to typed errors.

    Subclasses name the upstream (``name`` for messages, ``log_name`` for log events) and may word the
    message of an error answer (``_error_message``). Safe to share between threads.
    """

    name: ClassVar[str] = "The upstream"
    log_name: ClassVar[str] = "upstream"

    def __init__(
        self,
        *,
        oauth2_provider_url: str,
        client_id: str,
        client_secret: str,
        connect_timeout: float,
        read_timeout: float,
        pool_size: int | None = None,
    ) -> None:
        self.timeout = (connect_timeout, read_timeout)
        self.session = OAuthAPIClient(oauth2_provider_url, client_id, client_secret, timeout=self.timeout)
        if pool_size:
            adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        self.request_count = 0

    def ensure_token(self) -> None:
        """Fetch (or reuse the cached) OAuth2 JWT now, so concurrent calls do not all fetch one."""
        try:
            self.session.get_jwt_access_token()
        except requests.RequestException as exc:
            raise self._transport_error(exc, "POST", "/oauth2/access_token") from exc

    def _request(self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        """One call: the parsed JSON body of a 2xx answer (``None`` when empty), a typed error otherwise."""
        self.request_count += 1
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                timeout=self.timeout,
                headers=outbound_headers(),
                **self._send_kwargs(),
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, method, url) from exc
        code = response.status_code
        log.info(
            f"{self.log_name}_response",
            extra={
                "method": method,
                "url": url,
                "status_code": code,
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        if code < 300:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise UpstreamUnavailable(
                    f"{self.name} answered {url} with a body that is not JSON.", url=url, status_code=code
                ) from exc
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        error_class = error_for_status(code)
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if error_class.retryable else None
        if error_class is UpstreamRateLimited:
            log.warning(f"{self.log_name}_rate_limited", extra={"url": url, "retry_after": retry_after})
        message = self._error_message(error_class, code, url, body, response, retry_after)
        raise error_class(message, url=url, status_code=code, body=body, retry_after=retry_after)

    def _send_kwargs(self) -> dict[str, Any]:
        """Extra ``requests`` arguments of every call (a subclass may send its own ``auth``)."""
        return {}

    def _error_message(
        self,
        error_class: type[UpstreamError],
        code: int,
        url: str,
        body: Any,
        response: requests.Response,
        retry_after: float | None,
    ) -> str:
        """The message of an error answer: the upstream's own when it gave one, else what happened."""
        if isinstance(body, dict):
            for key in ("message", "error_msg", "detail", "developer_message", "user_message"):
                if body.get(key):
                    return str(body[key])
        return response.reason or f"HTTP {code}"

    def _transport_error(self, exc: requests.RequestException, method: str, url: str) -> UpstreamError:
        """Map a ``requests`` failure (no answer, or a failed token fetch) to a typed error."""
        if isinstance(exc, requests.Timeout):
            log.warning(f"{self.log_name}_timeout", extra={"method": method, "url": url})
            return UpstreamTimeout(f"{self.name} did not answer {method} {url} in time.", url=url)
        if isinstance(exc, requests.HTTPError):
            # Raised by the token fetch: OAuthAPIClient calls raise_for_status on the token endpoint.
            response = exc.response
            code = response.status_code if response is not None else None
            log.warning(f"{self.log_name}_token_failed", extra={"status_code": code})
            if code == requests.codes.too_many_requests:
                retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
                return UpstreamRateLimited(
                    "The OAuth2 provider throttled us.", url=url, status_code=code, retry_after=retry_after
                )
            if code is None or code >= 500:
                return UpstreamUnavailable(f"The OAuth2 provider failed ({code}).", url=url, status_code=code)
            return UpstreamUnauthorized(
                f"The OAuth2 provider refused our credentials ({code}).", url=url, status_code=code
            )
        if isinstance(exc, requests.ConnectionError):
            log.warning(f"{self.log_name}_unreachable", extra={"method": method, "url": url})
            return UpstreamUnavailable(f"{self.name} could not be reached for {method} {url}.", url=url)
        # The token endpoint answered without a token, or requests refused the call itself.
        log.warning(f"{self.log_name}_token_failed", extra={"error": type(exc).__name__})
        return UpstreamUnauthorized("The OAuth2 provider gave no access token.", url=url)


# --- the one retry policy of upstream calls --------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How a caller retries one upstream call (docs/decisions/0014-one-upstream-client.rst).

    Retried: the retryable errors only (timeout, connection error, 5xx, 429), at most ``attempts``
    times in all, waiting a jittered exponential backoff (between half and all of ``backoff_seconds``
    x 2^(attempt-1), at most ``backoff_max_seconds``) and never less than the ``Retry-After`` the
    upstream asked for. The caller's ``CircuitBreaker`` bounds the whole: no retry waits past its time
    budget, and an open breaker sends nothing.
    """

    attempts: int = 3
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 30.0


class CircuitBreaker:
    """When a caller stops calling an upstream: a time budget, and a breaker over consecutive failures.

    - The budget: ``budget_seconds`` after the breaker is made, no further call is sent (for good).
    - Open: after ``max_failures`` retryable failures in a row, calls raise ``UpstreamGivenUp`` at once
      instead of waiting out timeouts against an upstream that is down.
    - Half-open: ``reset_seconds`` after it opened, one trial call is let through; its answer closes
      the breaker, its retryable failure opens it again for another ``reset_seconds``.

    Shared by the worker threads of one request or job; calls already in flight finish, and what they
    answered counts. Messages name ``upstream`` (``"LMS"``).
    """

    def __init__(
        self,
        *,
        max_failures: int,
        budget_seconds: float,
        reset_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        upstream: str = "LMS",
    ) -> None:
        self.max_failures = max_failures
        self.budget_seconds = budget_seconds
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.upstream = upstream
        self.deadline = clock() + budget_seconds
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self._why = ""
        self._budget_spent = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def check(self) -> None:
        """Raise ``UpstreamGivenUp`` when no call may be sent now."""
        with self._lock:
            now = self.clock()
            if not self._budget_spent and now >= self.deadline:
                self._budget_spent = True
                self._give_up(f"this request's {self.budget_seconds:g} s budget for {self.upstream} calls was spent")
            if self._budget_spent:
                raise UpstreamGivenUp(self._message())
            if self._opened_at is None:
                return
            if now >= self._opened_at + self.reset_seconds and not self._trial_in_flight:
                self._trial_in_flight = True  # half-open: this call is the trial
                log.info("upstream_breaker_half_open", extra={"upstream": self.upstream})
                return
            raise UpstreamGivenUp(self._message())

    def remaining(self) -> float:
        """Seconds left of the time budget."""
        return max(0.0, self.deadline - self.clock())

    def record(self, error: UpstreamError | None) -> None:
        """Count a call's result: a retryable failure extends the run of failures, any answer ends it."""
        with self._lock:
            trial, self._trial_in_flight = self._trial_in_flight, False
            if error is None or not error.retryable:
                if self._opened_at is not None:
                    log.info("upstream_breaker_closed", extra={"upstream": self.upstream})
                self._consecutive_failures, self._opened_at = 0, None
                return
            self._consecutive_failures += 1
            if trial or (self._opened_at is None and self._consecutive_failures >= self.max_failures):
                self._opened_at = self.clock()
                self._give_up(f"{self._consecutive_failures} {self.upstream} calls in a row failed ({error})")

    def _give_up(self, why: str) -> None:
        self._why = why
        log.warning("upstream_calls_given_up", extra={"upstream": self.upstream, "why": why})

    def _message(self) -> str:
        return f"{self.upstream} unavailable: {self._why}; the remaining calls were not sent"


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, UpstreamError) and exc.retryable


def call_with_retries(
    call: Callable[..., T],
    /,
    *,
    policy: RetryPolicy,
    breaker: CircuitBreaker,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """``call(**kwargs)`` under ``policy`` (tenacity), each attempt admitted and counted by ``breaker``.

    Raises the last error, a permanent one at once, the 429 whose ``Retry-After`` lies beyond the time
    budget, or ``UpstreamGivenUp`` once ``breaker`` refuses to send.
    """
    # Equal jitter: half of the exponential delay for sure, the other half at random, so the delays
    # grow from one attempt to the next and concurrent callers do not retry in step.
    half, half_max = policy.backoff_seconds / 2, policy.backoff_max_seconds / 2
    backoff = tenacity.wait_exponential(multiplier=half, max=half_max) + tenacity.wait_random_exponential(
        multiplier=half, max=half_max
    )

    def attempt() -> T:
        breaker.check()
        try:
            value = call(**kwargs)
        except UpstreamError as exc:
            breaker.record(exc)
            raise
        breaker.record(None)
        return value

    def wait(state: tenacity.RetryCallState) -> float:
        return min(max(backoff(state), _retry_after(state)), breaker.remaining())

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_is_retryable),
        stop=tenacity.stop_after_attempt(policy.attempts) | _RetryAfterPastBudget(breaker),
        wait=wait,
        sleep=sleep,
        before_sleep=partial(_retry_log, breaker.upstream),
        reraise=True,
    )
    return retrying(attempt)


def _retry_after(state: tenacity.RetryCallState) -> float:
    """The seconds the last error's ``Retry-After`` asked for (0 without one)."""
    exc = state.outcome.exception() if state.outcome else None
    return float(getattr(exc, "retry_after", None) or 0.0)


class _RetryAfterPastBudget(tenacity.stop.stop_base):
    """Stop when the upstream asked us to come back only after the time budget ends."""

    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        return _retry_after(state) > self.breaker.remaining()


def _retry_log(upstream: str, state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    log.info(
        "upstream_retry",
        extra={
            "upstream": upstream,
            "attempt": state.attempt_number,
            "status": getattr(exc, "status_code", None),
            "delay_s": round(delay, 3),
        },
    )
