"""Password guessing against the browser sign-in forms is cut off after a few failures."""

import unicodedata

import pytest
from django.contrib.auth.models import UserManager
from django.core.cache import cache
from django.test import Client

from core.models import User
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


def locked_out(response) -> bool:
    return "Too many failed sign-ins" in response.content.decode()


def test_behind_the_tls_proxy_an_attacker_cannot_lock_staff_out_from_another_address(agent, settings):
    # Fails on the old backend: it keyed on REMOTE_ADDR, the proxy's address for everyone.
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2, 203.0.113.66")
    for _ in range(5):
        sign_in(attacker, "/support/login/", "guess")
    assert locked_out(sign_in(attacker, "/support/login/", "correct horse"))
    staff = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert sign_in(staff, "/support/login/", "correct horse").status_code == 302
    assert signed_in(staff)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold().strip()


@pytest.fixture
def insensitive_collation(monkeypatch):
    """Username lookups as MariaDB's default collations compare: case, accents and trailing spaces ignored."""

    def get_by_natural_key(manager, username):  # type: ignore[no-untyped-def]
        for user in manager.all():
            if _fold(user.username) == _fold(username):
                return user
        raise manager.model.DoesNotExist

    monkeypatch.setattr(UserManager, "get_by_natural_key", get_by_natural_key)


def test_every_spelling_that_reaches_an_account_spends_its_one_budget(agent, insensitive_collation):
    # Fails on the old backend: it keyed on username.lower(), a fresh budget for each accent variant.
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for spelling in ("Agént", "agënt ", "ÁGENT"):
        assert not locked_out(sign_in(attacker, "/support/login/", "guess", username=spelling))
    for spelling in ("agent", "AGÉNT"):
        response = sign_in(attacker, "/support/login/", "correct horse", username=spelling)
        assert locked_out(response)
        assert not signed_in(attacker)


@pytest.mark.parametrize(
    "spellings",
    [("AGENT", "Agent", "aGENT"), ("Agént", "agënt", "ÁGENT")],
    ids=["case", "accents"],
)
def test_on_this_database_spellings_share_the_budget_exactly_when_they_reach_the_account(agent, spellings):
    """Collation-independent: on PostgreSQL and SQLite these spellings are other (unknown) usernames and
    must not lock the agent out; where the database matches them to the agent (MariaDB's default
    collations), they spend the agent's budget. The old backend failed the first case on PostgreSQL and
    SQLite (one key for every case) and the second on MariaDB (a key per accent variant)."""
    reaching = [spelling for spelling in spellings if User.objects.filter(username=spelling).first() == agent]
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for spelling in spellings:
        sign_in(attacker, "/support/login/", "guess", username=spelling)
    response = sign_in(attacker, "/support/login/", "correct horse")
    if len(reaching) == len(spellings):
        assert locked_out(response)
    else:
        assert reaching == []
        assert response.status_code == 302 and signed_in(attacker)


def test_an_unknown_username_is_refused_like_a_real_one_and_locks_out_no_one(agent):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        sign_in(attacker, "/support/login/", "guess", username="nobody-here")
    # The same answer as for an existing account: the lockout does not tell which usernames exist.
    assert locked_out(sign_in(attacker, "/support/login/", "guess", username="nobody-here"))
    assert locked_out(sign_in(attacker, "/support/login/", "guess", username="Nobódy-Here"))
    assert sign_in(attacker, "/support/login/", "correct horse").status_code == 302


def _refusals(caplog) -> list:
    return [record for record in caplog.records if record.getMessage() == "login_throttled"]


def test_a_refused_sign_in_with_an_email_as_username_logs_no_email(agent, caplog):
    """People type their email into the username field: the refusal log carries a digest, not the address."""
    client = Client(REMOTE_ADDR="203.0.113.7")
    with caplog.at_level("INFO"):
        for _ in range(4):
            sign_in(client, "/support/login/", "guess", username="Mallory.Learner@example.com")
    assert _refusals(caplog)
    for record in caplog.records:
        logged = (record.getMessage() + repr(vars(record))).lower()
        assert "mallory" not in logged
        assert "example.com" not in logged
    assert _refusals(caplog)[0].account.startswith("unknown:")


def test_a_refused_sign_in_to_an_account_logs_its_id(agent, caplog):
    client = Client(REMOTE_ADDR="203.0.113.7")
    with caplog.at_level("INFO"):
        for _ in range(4):
            sign_in(client, "/support/login/", "guess")
    assert [record.account for record in _refusals(caplog)] == [f"account:{agent.pk}"]
    assert not hasattr(_refusals(caplog)[0], "username")
