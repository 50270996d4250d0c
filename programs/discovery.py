"""Client for the Discovery (course catalog) API: transport only, no database writes.

A thin subclass of ``core.upstream.UpstreamClient`` (edx-rest-api-client's ``OAuthAPIClient``,
timeouts, logging, and the one typed error hierarchy shared with the LMS client: a 403 is
``UpstreamForbidden`` here as there). The names below are those classes, re-exported for this app's
callers; ``DiscoveryError`` is ``UpstreamError``.

Lists are read page by page: the first request sends ``page=1&page_size=N`` (Discovery ignores
``page_size`` without ``page``), then ``next`` is followed until it is null.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
from django.conf import settings
from edx_rest_api_client.auth import SuppliedJwtAuth
from edx_rest_api_client.client import get_oauth_access_token

from core.upstream import (
    RETRYABLE_ERRORS,
    UpstreamClient,
    UpstreamError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnauthorized,
    UpstreamUnavailable,
    parse_retry_after,
)

__all__ = [
    "RETRYABLE_ERRORS",
    "DiscoveryClient",
    "DiscoveryConfig",
    "DiscoveryError",
    "DiscoveryNotConfigured",
    "UpstreamForbidden",
    "UpstreamNotFound",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnauthorized",
    "UpstreamUnavailable",
    "discovery_config_from_settings",
    "parse_retry_after",
]

log = logging.getLogger(__name__)

DiscoveryError = UpstreamError


class DiscoveryNotConfigured(UpstreamError):
    """DISCOVERY_API_URL (or the OAuth2 settings) is unset: the sync is disabled."""


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


class DiscoveryClient(UpstreamClient):
    """Reads organizations, courses and programs from Discovery, one page at a time."""

    name = "Discovery"
    log_name = "discovery"

    def __init__(self, config: DiscoveryConfig) -> None:
        super().__init__(
            oauth2_provider_url=config.oauth2_provider_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        )
        self.config = config
        self.api_url = config.api_url.rstrip("/") + "/"
        # The ``count`` of the listing ``pages`` is reading (Discovery's pages carry it), for progress.
        self.listing_count: int | None = None
        # Set after Discovery refused the cached token: a fresh one, sent instead of the cached one.
        self._fresh_auth: SuppliedJwtAuth | None = None

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
            count = body.get("count")
            self.listing_count = count if isinstance(count, int) and not isinstance(count, bool) else None
            yield body["results"]
            next_url = body.get("next")
            if next_url in seen or next_url == url:
                raise UpstreamUnavailable(f"Discovery's pagination of {path} loops at {next_url}.", url=url)
            if next_url:
                seen.add(next_url)
            url, query = next_url, None  # ``next`` carries page, page_size and the filters

    def _request(self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        """One call: JSON body on 2xx, a typed ``UpstreamError`` otherwise.

        A 401 is retried once with a fresh token (the cached one may have been revoked early). The
        fresh token comes from edx-rest-api-client's public ``get_oauth_access_token`` and is sent
        for the rest of this client's calls; the library's cache keeps its entry until it expires.
        """
        try:
            return super()._request(method, url, params=params, json=json)
        except UpstreamUnauthorized as exc:
            if exc.status_code != requests.codes.unauthorized or self._fresh_auth is not None:
                raise
        log.info("discovery_token_refresh", extra={"url": url})
        try:
            token, _ = get_oauth_access_token(
                self.config.oauth2_provider_url,
                self.config.client_id,
                self.config.client_secret,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, "POST", self.config.oauth2_provider_url) from exc
        self._fresh_auth = SuppliedJwtAuth(token)
        return super()._request(method, url, params=params, json=json)

    def _send_kwargs(self) -> dict[str, Any]:
        return {"auth": self._fresh_auth} if self._fresh_auth is not None else {}

    def _error_message(
        self,
        error_class: type[UpstreamError],
        code: int,
        url: str,
        body: Any,
        response: requests.Response,
        retry_after: float | None,
    ) -> str:
        if error_class is UpstreamRateLimited:
            return f"Discovery throttled us (retry after {retry_after} s)."
        if error_class is UpstreamUnavailable:
            return f"Discovery failed with {code}: {url}"
        if error_class is UpstreamUnauthorized:
            return f"Discovery refused our token ({code})."
        if error_class is UpstreamForbidden:
            return f"Discovery does not allow this service to read {url} ({code})."
        if error_class is UpstreamNotFound:
            return f"Discovery has nothing at {url}"
        return f"Discovery rejected the request ({code}): {url}"
