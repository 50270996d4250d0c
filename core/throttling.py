"""The service's DRF throttles: per client address as ``core.client_address`` resolves it, open when the cache fails.

Counters live in the default cache, which production requires to be shared (``CACHE_URL``): with a
per-process cache every worker would grant the full rate. When the cache does not answer, a request
is let through and the failure logged (``throttle_cache_unavailable``): a throttle protects the
service, it must not turn a cache outage into an outage of every API call.
"""

import logging
import weakref
from typing import TYPE_CHECKING

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from redis import Redis
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


class _FixedWindows(throttling.SimpleRateThrottle):
    """Counts in fixed windows: one integer per client and window, incremented in the cache.

    DRF's own throttle keeps the time of every request of the last window in one cached list, read and
    written back whole at each request: a subscriber allowed 10,000,000 requests a minute (as the HTTP
    benchmark configures, as an operator would for a busy one) moved a list of about 20,000 floats to
    and from Redis at every call (issue 17). A window's counter costs the same at any rate. The
    difference a client can see: a window opens at a fixed time (a multiple of its length), so a client
    may spend one window's budget at its end and the next one's at once after it.
    """

    num_requests: int
    duration: int

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        count = _counted(self.cache, f"{key}:{window}", self.duration + 1)
        return count <= self.num_requests or self.throttle_failure()

    def wait(self) -> float:
        """Seconds until the window ends and the budget is whole again (the ``Retry-After`` header)."""
        return max(self.window_end - self.now, 0.0)


def _counted(cache: BaseCache, counter: str, timeout: int) -> int:
    """``counter`` incremented in ``cache`` (created for ``timeout`` seconds by the first request of its window).

    On Redis, one round trip: ``SET counter 0 NX EX timeout`` then ``INCR counter`` in one ``MULTI``, so
    the counter cannot expire between the two. Django's ``add()`` then ``incr()`` took three (``incr``
    asks ``EXISTS`` first), each through a new client object: a seventh of a status request's CPU over
    HTTP (issue 17). The counter is the plain integer Django's Redis serializer writes for ``int``, under
    the key Django's cache gives it, so ``cache.get(counter)`` reads it. Other caches: ``add()`` then
    ``incr()``.
    """
    if cache is default_cache:  # the proxy: the backend behind it
        cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        key = cache.make_and_validate_key(counter)
        with _writer(cache).pipeline(transaction=True) as pipeline:
            pipeline.set(key, 0, ex=timeout, nx=True)
            pipeline.incr(key)
            return int(pipeline.execute()[1])
    cache.add(counter, 0, timeout)
    try:
        return int(cache.incr(counter))
    except ValueError:  # the counter expired between the two calls: this request opens it again
        cache.add(counter, 1, timeout)
        return 1


def _writer(cache: RedisCache) -> Redis:
    """A client of the cache's own write connection pool, made once per pool: Django builds a new ``Redis``
    object (and its table of response callbacks) at every call, a third of the counting's CPU."""
    backend = cache._cache
    client = _writers.get(backend)
    if client is None:
        client = _writers[backend] = backend.get_client(None, write=True)
    return client


_writers: "weakref.WeakKeyDictionary[object, Redis]" = weakref.WeakKeyDictionary()


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


# Each: the client address and fail-open behaviour, DRF's rate and key for its kind, then the counting.
class AnonRateThrottle(_ClientAddressFailOpen, throttling.AnonRateThrottle, _FixedWindows):
    """Anonymous requests, per client address (``THROTTLE_RATE_ANON``)."""


class UserRateThrottle(_ClientAddressFailOpen, throttling.UserRateThrottle, _FixedWindows):
    """Authenticated requests per user, anonymous ones per client address (``THROTTLE_RATE_USER``)."""


class ScopedRateThrottle(_ClientAddressFailOpen, throttling.ScopedRateThrottle, _FixedWindows):
    """Views naming a ``throttle_scope`` (e.g. ``credit_callback``)."""
