"""API throttles count per client address, behind exactly the proxies the operator trusts."""

import socket

import pytest
import redis
from django.core.cache import cache
from rest_framework import status
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from core.client_address import client_address
from core.throttling import AnonRateThrottle

pytestmark = pytest.mark.django_db

# Anonymous, throttled per address (credit_callback): a provider's callback, the address-throttled door.
CALLBACK = "/api/credit/v1/providers/hogwarts/callback/"


@pytest.fixture(autouse=True)
def _two_per_minute(monkeypatch):
    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"credit_callback": "2/minute"})
    yield
    cache.clear()


def call(remote_addr: str, forwarded_for: str | None = None) -> int:
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return APIClient().post(CALLBACK, {}, format="json", **headers).status_code


def test_without_a_trusted_proxy_a_forged_x_forwarded_for_does_not_reset_the_budget():
    # Fails on the old settings: DRF used the whole X-Forwarded-For as the client's identity.
    assert call("203.0.113.7", "10.0.0.1") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call("203.0.113.7", "10.0.0.2") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call("203.0.113.7", "10.0.0.3") == status.HTTP_429_TOO_MANY_REQUESTS
    assert call("203.0.113.7") == status.HTTP_429_TOO_MANY_REQUESTS
    assert call("198.51.100.2", "203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS


def test_behind_one_proxy_the_address_the_proxy_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    # What the client puts to the left of the proxy's entry is its own invention, and changes nothing.
    assert call(proxy, "1.1.1.1, 203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call(proxy, "2.2.2.2, 203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call(proxy, "3.3.3.3,203.0.113.7") == status.HTTP_429_TOO_MANY_REQUESTS
    # Another client behind the same proxy has its own budget (REMOTE_ADDR is the proxy for both).
    assert call(proxy, "198.51.100.2") != status.HTTP_429_TOO_MANY_REQUESTS


def test_a_window_costs_one_small_counter_whatever_the_rate(monkeypatch):
    # DRF's throttle cached the time of every request of the window in one list, moved whole to and from
    # the cache at each call: at a busy subscriber's rate, tens of thousands of floats per request.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"credit_callback": "1000/minute"})
    clock = iter([6000.0 + i / 100 for i in range(300)])
    monkeypatch.setattr(ScopedRateThrottle, "timer", lambda self: next(clock))
    for _ in range(200):
        assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    # One integer for the client's minute from 6000 s; nothing under DRF's key of the request times.
    assert cache.get("throttle_credit_callback_203.0.113.7:100") == 200
    assert cache.get("throttle_credit_callback_203.0.113.7") is None


def test_the_budget_is_per_fixed_window_and_retry_after_says_when_it_reopens(monkeypatch):
    now = {"t": 6030.0}  # half-way through the minute that began at 6000 s
    monkeypatch.setattr(ScopedRateThrottle, "timer", lambda self: now["t"])
    assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    refused = APIClient().post(CALLBACK, {}, format="json", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "30"
    now["t"] = 6059.5
    assert call("203.0.113.7") == status.HTTP_429_TOO_MANY_REQUESTS
    now["t"] = 6060.0  # the next window: the whole budget again
    assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call("203.0.113.7") == status.HTTP_429_TOO_MANY_REQUESTS


@pytest.mark.parametrize(
    ("trusted", "remote_addr", "forwarded_for", "expected"),
    [
        (0, "203.0.113.7", "1.1.1.1", "203.0.113.7"),
        (1, "10.0.0.1", None, "10.0.0.1"),
        (1, "10.0.0.1", "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        (2, "10.0.0.2", "1.1.1.1, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        # Fewer entries than trusted proxies, or garbage where the proxy's entry should be: not via the proxies.
        (2, "10.0.0.2", "203.0.113.7", "10.0.0.2"),
        (1, "10.0.0.1", "1.1.1.1, not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(rf, settings, trusted, remote_addr, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = rf.get("/", **headers)
    assert client_address(request) == expected
    assert AnonRateThrottle().get_ident(request) == expected


@pytest.fixture
def redis_cache(settings):
    """The default cache on a live Redis (database 6, emptied before and after), as production runs it."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("SKIPPED: the Redis throttle test needs Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/6"}
    }
    cache.clear()
    yield cache
    cache.clear()


def test_on_redis_each_request_counts_in_one_round_trip_and_the_counter_expires(redis_cache, monkeypatch):
    # Fails on Django's add() then incr(): three round trips (SET NX, EXISTS, INCRBY) per request.
    sent = []
    original = redis.connection.Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    now = {"t": 6030.0}
    monkeypatch.setattr(ScopedRateThrottle, "timer", lambda self: now["t"])
    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert len(sent) == 1
    assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert call("203.0.113.7") == status.HTTP_429_TOO_MANY_REQUESTS
    assert len(sent) == 3
    counter = "throttle_credit_callback_203.0.113.7:100"
    assert redis_cache.get(counter) == 3
    client = redis.Redis.from_url("redis://127.0.0.1:6379/6")
    assert 0 < client.ttl(redis_cache.make_and_validate_key(counter)) <= 61
    now["t"] = 6060.0  # the next window: a new counter, the whole budget again
    assert call("203.0.113.7") != status.HTTP_429_TOO_MANY_REQUESTS
    assert redis_cache.get("throttle_credit_callback_203.0.113.7:101") == 1
