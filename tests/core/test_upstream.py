"""core.upstream: one typed error from every upstream, one retry policy, one circuit breaker (HTTP faked)."""

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from django.core.cache import cache
from edx_django_utils.cache import RequestCache

from core.upstream import (
    CircuitBreaker,
    RetryPolicy,
    UpstreamError,
    UpstreamForbidden,
    UpstreamGivenUp,
    UpstreamRateLimited,
    UpstreamUnavailable,
    call_with_retries,
)
from enrollments.lms import LmsClient
from programs.discovery import DiscoveryClient, DiscoveryConfig

OAUTH = "http://oauth.test"
TOKEN_URL = f"{OAUTH}/oauth2/access_token"
DISCOVERY = "http://discovery.test/api/v1/"
LMS = "http://lms.test"


@pytest.fixture
def upstreams() -> Iterator[responses.RequestsMock]:
    cache.clear()
    RequestCache.clear_all_namespaces()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TOKEN_URL, json={"access_token": "jwt", "expires_in": 3600, "token_type": "JWT"})
        yield mock
    cache.clear()


def discovery_call() -> object:
    config = DiscoveryConfig(
        api_url=DISCOVERY,
        oauth2_provider_url=OAUTH,
        client_id="id",
        client_secret="secret",
        connect_timeout=1,
        read_timeout=1,
        page_size=10,
    )
    return next(iter(DiscoveryClient(config).organization_pages()))


def lms_call() -> object:
    client = LmsClient(lms_url=LMS, oauth2_provider_url=OAUTH, client_id="id", client_secret="secret")
    return client.account_profile("ada")


CALLS = [
    pytest.param(discovery_call, f"{DISCOVERY}organizations/", id="discovery"),
    pytest.param(lms_call, f"{LMS}/api/user/v1/accounts/ada", id="lms"),
]


@pytest.mark.parametrize(("call", "url"), CALLS)
def test_a_403_is_upstream_forbidden_from_every_upstream(upstreams, call, url) -> None:
    upstreams.add(responses.GET, url, status=403, json={"detail": "You do not have permission."})
    with pytest.raises(UpstreamForbidden) as caught:
        call()
    assert caught.value.status_code == 403
    assert caught.value.retryable is False


@pytest.mark.parametrize(("call", "url"), CALLS)
def test_a_429_carries_the_retry_after_it_asked_for(upstreams, call, url) -> None:
    upstreams.add(responses.GET, url, status=429, headers={"Retry-After": "120"})
    with pytest.raises(UpstreamRateLimited) as caught:
        call()
    assert caught.value.retry_after == 120
    assert caught.value.retryable is True


@pytest.mark.parametrize(("call", "url"), CALLS)
def test_a_5xx_is_the_same_retryable_class_from_every_upstream(upstreams, call, url) -> None:
    upstreams.add(responses.GET, url, status=503)
    with pytest.raises(UpstreamUnavailable) as caught:
        call()
    assert isinstance(caught.value, UpstreamError)
    assert caught.value.retryable is True


# --- the retry policy and the circuit breaker, against the fake LMS ----------------------------------

PROFILE_URL = f"{LMS}/api/user/v1/accounts/ada"
PROFILE = {"name": "Ada", "country": "GB", "mailing_address": ""}


class Clock:
    """A monotonic clock the test moves; sleeping moves it too, so budgets count the waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def profile_with_retries(clock: Clock, breaker: CircuitBreaker, attempts: int = 3) -> Any:
    client = LmsClient(lms_url=LMS, oauth2_provider_url=OAUTH, client_id="id", client_secret="secret")
    policy = RetryPolicy(attempts=attempts, backoff_seconds=1.0)
    return call_with_retries(client.account_profile, policy=policy, breaker=breaker, sleep=clock.sleep, username="ada")


def profile_calls(upstreams: responses.RequestsMock) -> int:
    return len([call for call in upstreams.calls if call.request.url == PROFILE_URL])


def test_retry_after_is_the_floor_of_the_wait(upstreams) -> None:
    upstreams.add(responses.GET, PROFILE_URL, status=429, headers={"Retry-After": "7"})
    upstreams.add(responses.GET, PROFILE_URL, json=PROFILE)
    clock = Clock()
    breaker = CircuitBreaker(max_failures=5, budget_seconds=60, clock=clock)
    assert profile_with_retries(clock, breaker).name == "Ada"
    assert clock.sleeps == [7.0], "the backoff alone would have waited 0.5 to 1 s"


def test_the_time_budget_stops_the_retries(upstreams) -> None:
    # Asked to come back after the budget ends: the 429 is raised at once, nothing is sent again.
    upstreams.add(responses.GET, PROFILE_URL, status=429, headers={"Retry-After": "120"})
    clock = Clock()
    breaker = CircuitBreaker(max_failures=5, budget_seconds=30, clock=clock)
    with pytest.raises(UpstreamRateLimited):
        profile_with_retries(clock, breaker)
    assert clock.sleeps == [] and profile_calls(upstreams) == 1
    # Once the budget is spent, nothing more is sent at all.
    clock.now = 31
    with pytest.raises(UpstreamGivenUp, match="30 s budget"):
        profile_with_retries(clock, breaker)
    assert profile_calls(upstreams) == 1


def test_a_permanent_error_is_not_retried(upstreams) -> None:
    upstreams.add(responses.GET, PROFILE_URL, status=403)
    clock = Clock()
    with pytest.raises(UpstreamForbidden):
        profile_with_retries(clock, CircuitBreaker(max_failures=5, budget_seconds=60, clock=clock))
    assert profile_calls(upstreams) == 1 and clock.sleeps == []


def test_the_breaker_opens_after_failures_in_a_row_and_closes_after_a_good_trial(upstreams) -> None:
    down = upstreams.add(responses.GET, PROFILE_URL, status=503)
    clock = Clock()
    breaker = CircuitBreaker(max_failures=2, budget_seconds=600, reset_seconds=10, clock=clock)
    with pytest.raises(UpstreamGivenUp, match="2 LMS calls in a row failed"):
        profile_with_retries(clock, breaker)  # two 503s open it; the third attempt is not sent
    assert breaker.is_open and profile_calls(upstreams) == 2

    clock.now += 5  # still open: refused without a call
    with pytest.raises(UpstreamGivenUp):
        profile_with_retries(clock, breaker, attempts=1)
    assert profile_calls(upstreams) == 2

    clock.now += 10  # half-open: one trial; it fails, so the breaker opens again
    with pytest.raises(UpstreamUnavailable):
        profile_with_retries(clock, breaker, attempts=1)
    assert breaker.is_open and profile_calls(upstreams) == 3

    upstreams.remove(down)
    upstreams.add(responses.GET, PROFILE_URL, json=PROFILE)
    clock.now += 10  # the LMS is back: the trial answers, the breaker closes and calls flow again
    assert profile_with_retries(clock, breaker).name == "Ada"
    assert not breaker.is_open
    assert profile_with_retries(clock, breaker).name == "Ada"
    assert profile_calls(upstreams) == 5
