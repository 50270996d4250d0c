"""Client for the Discovery (course catalog) API: transport only, no database writes.

Built on edx-rest-api-client's ``OAuthAPIClient`` (OAuth2 client credentials against
``OAUTH2_PROVIDER_URL``, a JWT sent to Discovery, the token cached until it expires). Every call goes
through ``_request()``, which applies the timeouts from settings, logs, and turns each failure into
one typed error, so callers can tell retryable failures from permanent ones:

- retryable (``DiscoveryError.retryable``): ``UpstreamTimeout``, ``UpstreamUnavailable`` (connection
  error, 5xx, unreadable body), ``UpstreamRateLimited`` (429, with ``retry_after`` seconds);
- permanent: ``UpstreamUnauthorized`` (401/403, or the token endpoint refusing the credentials),
  ``UpstreamNotFound`` (404), ``UpstreamBadRequest`` (any other 4xx).

Lists are read page by page: the first request sends ``page=1&page_size=N`` (Discovery ignores
``page_size`` without ``page``), then ``next`` is followed until it is null.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.utils import timezone
from edx_django_utils.cache import TieredCache
from edx_rest_api_client.client import OAuthAPIClient

from core.request_id import outbound_headers

log = logging.getLogger(__name__)


class DiscoveryError(Exception):
    """Base of every Discovery failure; ``retryable`` says whether trying again later may succeed."""

    retryable = False

    def __init__(self, message: str, *, url: str = "", status_code: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code


class DiscoveryNotConfigured(DiscoveryError):
    """DISCOVERY_API_URL (or the OAuth2 settings) is unset: the sync is disabled."""


class UpstreamTimeout(DiscoveryError):
    retryable = True


class UpstreamUnavailable(DiscoveryError):
    retryable = True


class UpstreamRateLimited(DiscoveryError):
    retryable = True

    def __init__(self, message: str, *, url: str = "", status_code: int | None = None, retry_after: float | None):
        super().__init__(message, url=url, status_code=status_code)
        self.retry_after = retry_after


class UpstreamUnauthorized(DiscoveryError):
    pass


class UpstreamNotFound(DiscoveryError):
    pass


class UpstreamBadRequest(DiscoveryError):
    pass


RETRYABLE_ERRORS = (UpstreamTimeout, UpstreamUnavailable, UpstreamRateLimited)


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


@dataclass(frozen=True)
class DiscoveryConfig:
    api_url: str
    oauth2_provider_url: str
    client_id: str
    client_secret: str
    connect_timeout: float
    read_timeout: float
    page_size: int
    include_restricted: tuple[str, ...] = ()


def discovery_config_from_settings() -> DiscoveryConfig:
    """The configuration from settings; raises ``DiscoveryNotConfigured`` naming what is missing."""
    missing = [
        name
        for name in ("DISCOVERY_API_URL", "OAUTH2_PROVIDER_URL", "OAUTH2_CLIENT_ID", "OAUTH2_CLIENT_SECRET")
        if not getattr(settings, name, None)
    ]
    if missing:
        raise DiscoveryNotConfigured(f"The Discovery sync is disabled: set {', '.join(missing)}.")
    return DiscoveryConfig(
        api_url=settings.DISCOVERY_API_URL,
        oauth2_provider_url=settings.OAUTH2_PROVIDER_URL,
        client_id=settings.OAUTH2_CLIENT_ID,
        client_secret=settings.OAUTH2_CLIENT_SECRET,
        connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT_SECONDS,
        read_timeout=settings.UPSTREAM_READ_TIMEOUT_SECONDS,
        page_size=settings.PROGRAM_SYNC_PAGE_SIZE,
        include_restricted=tuple(settings.PROGRAM_SYNC_INCLUDE_RESTRICTED),
    )


class DiscoveryClient:
    """Reads organizations, courses and programs from Discovery, one page at a time."""

    def __init__(self, config: DiscoveryConfig) -> None:
        self.config = config
        self.api_url = config.api_url.rstrip("/") + "/"
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.session = OAuthAPIClient(
            config.oauth2_provider_url, config.client_id, config.client_secret, timeout=self.timeout
        )
        self.request_count = 0

    @classmethod
    def from_settings(cls) -> "DiscoveryClient":
        return cls(discovery_config_from_settings())

    # --- endpoints ---------------------------------------------------------------------------
    def organization_pages(self) -> Iterator[list[dict[str, Any]]]:
        """Every organization, page by page."""
        return self.pages("organizations/", {})

    def course_pages(self, *, keys: list[str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every course (or only the course ``keys``) with ALL its runs (hidden ones included), page by page."""
        params: dict[str, Any] = {"include_hidden_course_runs": 1, **self._restriction_params()}
        if keys:
            params["keys"] = ",".join(keys)
        return self.pages("courses/", params)

    def program_pages(self, *, uuids: list[str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every program of every status (or only ``uuids``), page by page.

        Sent with the same restriction parameters as ``course_pages``, so a restricted run omitted
        from both is not mistaken for an excluded one.
        """
        params: dict[str, Any] = {"exclude_utm": 1, **self._restriction_params()}
        if uuids:
            params["uuids"] = ",".join(uuids)
        return self.pages("programs/", params)

    def _restriction_params(self) -> dict[str, str]:
        if not self.config.include_restricted:
            return {}
        return {"include_restricted": ",".join(self.config.include_restricted)}

    # --- transport ---------------------------------------------------------------------------
    def pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Yield the ``results`` of each page, following ``next`` until it is null."""
        url: str | None = urljoin(self.api_url, path)
        query: dict[str, Any] | None = {**params, "page": 1, "page_size": self.config.page_size}
        seen: set[str] = set()
        while url:
            body = self._request("GET", url, params=query)
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise UpstreamUnavailable(f"Discovery answered {path} without a results list.", url=url)
            yield body["results"]
            next_url = body.get("next")
            if next_url in seen or next_url == url:
                raise UpstreamUnavailable(f"Discovery's pagination of {path} loops at {next_url}.", url=url)
            if next_url:
                seen.add(next_url)
            url, query = next_url, None  # ``next`` carries page, page_size and the filters

    def _request(self, method: str, url: str, *, params: dict[str, Any] | None = None) -> Any:
        """One call: JSON body on 2xx, a typed ``DiscoveryError`` otherwise.

        A 401 is retried once with a fresh token (the cached one may have been revoked early).
        """
        for attempt in (1, 2):
            response = self._send(method, url, params=params)
            if response.status_code == requests.codes.unauthorized and attempt == 1:
                log.info("discovery_token_refresh", extra={"url": url})
                self._forget_token()
                continue
            return self._decode(response, url)
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, *, params: dict[str, Any] | None) -> requests.Response:
        self.request_count += 1
        try:
            response = self.session.request(
                method, url, params=params, timeout=self.timeout, headers=outbound_headers()
            )
        except requests.Timeout as exc:
            log.warning("discovery_timeout", extra={"url": url})
            raise UpstreamTimeout(f"Discovery did not answer in time: {url}", url=url) from exc
        except requests.ConnectionError as exc:
            log.warning("discovery_unreachable", extra={"url": url})
            raise UpstreamUnavailable(f"Discovery is unreachable: {url}", url=url) from exc
        except requests.HTTPError as exc:  # raised by the token request inside OAuthAPIClient
            raise self._token_error(exc) from exc
        except requests.RequestException as exc:  # token endpoint answered without a token
            raise UpstreamUnauthorized("The OAuth2 provider gave no access token.", url=url) from exc
        log.info("discovery_response", extra={"url": response.url, "status_code": response.status_code})
        return response

    def _token_error(self, exc: requests.HTTPError) -> DiscoveryError:
        code = exc.response.status_code if exc.response is not None else None
        url = exc.response.url if exc.response is not None else ""
        log.warning("discovery_token_failed", extra={"status_code": code})
        if code == requests.codes.too_many_requests:
            retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))  # type: ignore[union-attr]
            return UpstreamRateLimited(
                "The OAuth2 provider throttled us.", url=url, status_code=code, retry_after=retry_after
            )
        if code is None or code >= 500:
            return UpstreamUnavailable(f"The OAuth2 provider failed ({code}).", url=url, status_code=code)
        return UpstreamUnauthorized(f"The OAuth2 provider refused our credentials ({code}).", url=url, status_code=code)

    def _decode(self, response: requests.Response, url: str) -> Any:
        code = response.status_code
        if code == requests.codes.too_many_requests:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            log.warning("discovery_rate_limited", extra={"url": url, "retry_after": retry_after})
            raise UpstreamRateLimited(
                f"Discovery throttled us (retry after {retry_after} s).",
                url=url,
                status_code=code,
                retry_after=retry_after,
            )
        if code >= 500:
            raise UpstreamUnavailable(f"Discovery failed with {code}: {url}", url=url, status_code=code)
        if code in (requests.codes.unauthorized, requests.codes.forbidden):
            raise UpstreamUnauthorized(f"Discovery refused our token ({code}).", url=url, status_code=code)
        if code == requests.codes.not_found:
            raise UpstreamNotFound(f"Discovery has nothing at {url}", url=url, status_code=code)
        if code >= 400:
            raise UpstreamBadRequest(f"Discovery rejected the request ({code}): {url}", url=url, status_code=code)
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamUnavailable(f"Discovery answered {url} with a body that is not JSON.", url=url) from exc

    def _forget_token(self) -> None:
        """Drop the cached token so the next call fetches a new one.

        The key mirrors edx-rest-api-client's ``get_and_cache_oauth_access_token``; were it to change,
        the retry would reuse the old token and the 401 would surface as ``UpstreamUnauthorized``.
        """
        base = self.config.oauth2_provider_url.rstrip("/")
        if base.endswith("/access_token"):
            oauth_url = self.config.oauth2_provider_url
        elif base.endswith("/oauth2"):
            oauth_url = base + "/access_token"
        else:
            oauth_url = base + "/oauth2/access_token"
        TieredCache.delete_all_tiers(
            f"edx_rest_api_client.access_token.jwt.client_credentials.{self.config.client_id}.{oauth_url}"
        )
