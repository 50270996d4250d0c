"""core.upstream: Discovery and the LMS clients answer every failure with the same typed error."""

from collections.abc import Iterator

import pytest
import responses
from django.core.cache import cache
from edx_django_utils.cache import RequestCache

from core.upstream import UpstreamError, UpstreamForbidden, UpstreamRateLimited, UpstreamUnavailable
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
