"""The service's DRF throttles: per client address as ``core.client_address`` resolves it, open when the cache fails.

Counters live in the default cache, which production requires to be shared (``CACHE_URL``): with a
per-process cache every worker would grant the full rate. When the cache does not answer, a request
is let through and the failure logged (``throttle_cache_unavailable``): a throttle protects the
service, it must not turn a cache outage into an outage of every API call.
"""

import logging
from typing import TYPE_CHECKING

from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework import throttling

from core.client_address import client_address

if TYPE_CHECKING:  # DRF imports its throttle classes while defining APIView
    from rest_framework.request import Request
    from rest_framework.views import APIView

log = logging.getLogger(__name__)

# What the cache backends raise when their server is unreachable or slow: redis-py's errors
# (connection refused, timeout) and the socket errors of other networked backends.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)


class _ClientAddressFailOpen(throttling.SimpleRateThrottle):
    def get_ident(self, request: HttpRequest) -> str:
        return client_address(request)

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            log.error(
                "throttle_cache_unavailable",
                extra={"scope": getattr(self, "scope", None), "error": f"{type(exc).__name__}: {exc}"},
            )
            return True


class AnonRateThrottle(_ClientAddressFailOpen, throttling.AnonRateThrottle):
    """Anonymous requests, per client address (``THROTTLE_RATE_ANON``)."""


class UserRateThrottle(_ClientAddressFailOpen, throttling.UserRateThrottle):
    """Authenticated requests per user, anonymous ones per client address (``THROTTLE_RATE_USER``)."""


class ScopedRateThrottle(_ClientAddressFailOpen, throttling.ScopedRateThrottle):
    """Views naming a ``throttle_scope`` (e.g. ``credit_callback``)."""
