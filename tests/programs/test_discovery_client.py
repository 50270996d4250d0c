"""The Discovery client maps every transport failure to one typed error, retryable or not."""

import pytest
import requests
import responses

from programs.discovery import (
    DiscoveryNotConfigured,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnauthorized,
    UpstreamUnavailable,
    discovery_config_from_settings,
    parse_retry_after,
)
from tests.programs.fake_discovery import API, TOKEN_URL

TOKEN = {"access_token": "abc", "token_type": "JWT", "expires_in": 3600, "scope": ""}


@pytest.fixture
def rsps():  # type: ignore[no-untyped-def]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TOKEN_URL, json=TOKEN)
        yield mock


def first_page(client):  # type: ignore[no-untyped-def]
    return next(iter(client.organization_pages()))


@pytest.mark.parametrize(
    ("answer", "error", "retryable"),
    [
        ({"body": requests.ConnectTimeout()}, UpstreamTimeout, True),
        ({"body": requests.ReadTimeout()}, UpstreamTimeout, True),
        ({"body": requests.ConnectionError()}, UpstreamUnavailable, True),
        ({"status": 502}, UpstreamUnavailable, True),
        ({"status": 200, "body": "<html>maintenance</html>"}, UpstreamUnavailable, True),
        ({"status": 403}, UpstreamForbidden, False),
        ({"status": 404}, UpstreamNotFound, False),
        ({"status": 400}, UpstreamRejected, False),
    ],
)
def test_failures_become_typed_errors(rsps, make_client, answer, error, retryable):
    rsps.add(responses.GET, f"{API}organizations/", **answer)
    with pytest.raises(error) as caught:
        first_page(make_client())
    assert caught.value.retryable is retryable


def test_a_refused_or_failing_token_endpoint(make_client):
    for status_code, error in ((401, UpstreamUnauthorized), (400, UpstreamUnauthorized), (503, UpstreamUnavailable)):
        with responses.RequestsMock() as mock:
            mock.add(responses.POST, TOKEN_URL, status=status_code, json={"error": "x"})
            with pytest.raises(error):
                first_page(make_client())


def test_a_persistent_401_is_unauthorized_after_one_fresh_token(rsps, make_client):
    rsps.add(responses.GET, f"{API}organizations/", status=401)
    with pytest.raises(UpstreamUnauthorized):
        first_page(make_client())
    assert len([c for c in rsps.calls if c.request.url == TOKEN_URL]) == 2


def test_the_first_page_sends_page_with_page_size_and_the_token(rsps, make_client):
    rsps.add(responses.GET, f"{API}organizations/", json={"count": 0, "next": None, "previous": None, "results": []})
    first_page(make_client(page_size=500))
    request = rsps.calls[-1].request
    assert "page=1" in request.url and "page_size=500" in request.url
    assert request.headers["Authorization"] == "JWT abc"


def test_a_next_link_that_loops_is_an_error_not_a_hang(rsps, make_client):
    url = f"{API}organizations/?page=1&page_size=2"
    rsps.add(responses.GET, f"{API}organizations/", json={"count": 9, "next": url, "previous": None, "results": []})
    with pytest.raises(UpstreamUnavailable, match="loops"):
        list(make_client().organization_pages())


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


def test_missing_settings_are_named(settings):
    settings.DISCOVERY_API_URL = None
    settings.OAUTH2_CLIENT_SECRET = None
    with pytest.raises(DiscoveryNotConfigured, match=r"DISCOVERY_API_URL, .*OAUTH2_CLIENT_SECRET"):
        discovery_config_from_settings()
