"""Password guessing against the browser sign-in forms is cut off after a few failures."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/support/login/", "/admin/login/", "/login/"]


@pytest.fixture(autouse=True)
def _low_limit(settings):
    cache.clear()
    settings.LOGIN_FAILURE_LIMIT = 3
    yield
    cache.clear()


@pytest.fixture
def agent():
    user = UserFactory(username="agent", is_staff=True)
    user.set_password("correct horse")
    user.save()
    return user


def sign_in(client, page, password, username="agent"):
    return client.post(page, {"username": username, "password": password})


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_message(agent, page):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert sign_in(client, page, "guess").status_code == 200
    response = sign_in(client, page, "correct horse")
    assert response.status_code == 200
    assert not signed_in(client)
    assert "Too many failed sign-ins for this account from your address" in response.content.decode()


def test_the_limit_is_per_address_and_username(agent):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        sign_in(attacker, "/support/login/", "guess")
    elsewhere = Client(REMOTE_ADDR="198.51.100.2")
    assert sign_in(elsewhere, "/support/login/", "correct horse").status_code == 302
    assert signed_in(elsewhere)
    UserFactory(username="colleague").set_password("pw")
    other_user = sign_in(attacker, "/support/login/", "guess", username="colleague")
    assert "Too many failed" not in other_user.content.decode()


def test_a_successful_sign_in_forgets_earlier_failures(agent):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(2):
        sign_in(client, "/support/login/", "guess")
    assert sign_in(client, "/support/login/", "correct horse").status_code == 302
    client.logout()
    for _ in range(2):
        sign_in(client, "/support/login/", "guess")
    assert sign_in(client, "/support/login/", "correct horse").status_code == 302
