"""Fixtures for the programs tests: a fake Discovery behind `responses` and a client pointed at it."""

from collections.abc import Callable, Iterator

import pytest
import responses
from django.core.cache import cache
from edx_django_utils.cache import RequestCache

from programs.discovery import DiscoveryClient, DiscoveryConfig
from tests.programs.fake_discovery import API, OAUTH, FakeDiscovery


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    """edx-rest-api-client caches the OAuth token in the Django cache and the request cache."""
    cache.clear()
    RequestCache.clear_all_namespaces()
    yield
    cache.clear()
    RequestCache.clear_all_namespaces()


@pytest.fixture
def fake() -> FakeDiscovery:
    return FakeDiscovery()


@pytest.fixture
def discovery(fake: FakeDiscovery, settings) -> Iterator[FakeDiscovery]:  # type: ignore[no-untyped-def]
    """The fake Discovery answering every request of this test; the settings point at it."""
    settings.DISCOVERY_API_URL = API
    settings.OAUTH2_PROVIDER_URL = OAUTH
    settings.OAUTH2_CLIENT_ID = "credentials-status"
    settings.OAUTH2_CLIENT_SECRET = "secret"
    settings.PROGRAM_SYNC_PAGE_SIZE = 2
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        yield fake


@pytest.fixture
def make_client() -> Callable[..., DiscoveryClient]:
    def make(page_size: int = 2, include_restricted: tuple[str, ...] = ()) -> DiscoveryClient:
        return DiscoveryClient(
            DiscoveryConfig(
                api_url=API,
                oauth2_provider_url=OAUTH,
                client_id="credentials-status",
                client_secret="secret",
                connect_timeout=1,
                read_timeout=2,
                page_size=page_size,
                include_restricted=include_restricted,
            )
        )

    return make
