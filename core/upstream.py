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
import time
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import requests
from django.utils import timezone
from edx_rest_api_client.client import OAuthAPIClient
from requests.adapters import HTTPAdapter

from core.request_id import outbound_headers

log = logging.getLogger(__name__)


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
