"""Configuration fails when settings load, naming every bad variable in one message (settings/env.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from settings import env

ROOT = Path(__file__).resolve().parents[2]
# Everything production requires, valid; a test removes or spoils what it is about.
PRODUCTION = {
    "SECRET_KEY": "a-production-secret",
    "ALLOWED_HOSTS": "status.example.com",
    "DATABASE_URL": "postgres://app:pw@db.example.com:5432/status",
    "JWT_ISSUER": "https://lms.example.com/oauth2",
    "JWT_AUDIENCE": "status",
    "JWT_SECRET_KEY": "an-operator-configured-jwt-secret-0123456789abcdef",
    "CACHE_URL": "redis://cache.example.com:6379/1",
}


def load_settings(module: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Load ``settings.<module>`` with Django in a fresh interpreter whose environment holds only ``variables``."""
    environment = {key: value for key, value in os.environ.items() if not key.isupper() or key in {"PATH", "HOME"}}
    environment.update({"DJANGO_SETTINGS_MODULE": f"settings.{module}", "PYTHONPATH": str(ROOT), **variables})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('loaded')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def configuration_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    prefix = "django.core.exceptions.ImproperlyConfigured"
    lines = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, result.stderr
    start = result.stderr.index(lines[0])
    return result.stderr[start:]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("THROTTLE_RATE_USER", "lots", "throttle rate such as 60/minute"),
        ("JWT_PUBLIC_SIGNING_JWK_SET", "not json", "JSON JWK set"),
        ("UPSTREAM_CONNECT_TIMEOUT_SECONDS", "5s", "must be a number, not '5s'"),
        ("PROGRAM_SYNC_MAX_RETIRE_FRACTION", "5", "at most 1"),
        ("CREDIT_PROVIDER_SECRET_KEYS", '["abc"]', "an object mapping each id to a secret"),
        ("CREDIT_PROVIDER_SECRET_KEYS", '{"provider": ', "valid JSON"),
        ("DATABASE_URL", "postgress://user:hunter2@db/x", "postgres://user:password@host"),
        ("DEBUG", "maybe", "boolean"),
        ("LMS_TIME_BUDGET_SECONDS", "0", "greater than 0"),
    ],
)
def test_a_bad_variable_stops_settings_loading_naming_it(variable, value, expected):
    message = configuration_error(load_settings("local", **{variable: value}))
    assert f"{variable}: " in message
    assert expected in message
    assert "hunter2" not in message and "abc" not in message, "secrets are not repeated"


def test_every_bad_variable_is_reported_in_one_message():
    bad = {
        "THROTTLE_RATE_USER": "lots",
        "JWT_PUBLIC_SIGNING_JWK_SET": "not json",
        "UPSTREAM_CONNECT_TIMEOUT_SECONDS": "5s",
        "PROGRAM_SYNC_MAX_RETIRE_FRACTION": "5",
        "CREDIT_PROVIDER_SECRET_KEYS": '["abc"]',
    }
    message = configuration_error(load_settings("local", **bad))
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: 5 environment variable(s)")
    for variable in bad:
        assert f"  {variable}: " in message


def test_production_names_every_missing_variable_at_once():
    message = configuration_error(load_settings("production", JWT_SECRET_KEY="x"))
    for variable in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "JWT_ISSUER", "JWT_AUDIENCE", "CACHE_URL"):
        assert f"  {variable}: required" in message


def test_production_refuses_sqlite():
    message = configuration_error(load_settings("production", **{**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/x.db"}))
    assert "DATABASE_URL: must name PostgreSQL or MySQL/MariaDB in production, not SQLite" in message


def test_production_without_a_jwk_set_requires_the_jwt_secret():
    variables = {key: value for key, value in PRODUCTION.items() if key not in {"JWT_SECRET_KEY", "SECRET_KEY"}}
    message = configuration_error(load_settings("production", **variables))
    assert "JWT_SECRET_KEY: No JWT verification key is configured" in message
    assert "SECRET_KEY: required" in message, "reported together with the other problems"


def test_valid_production_configuration_loads():
    result = load_settings("production", **PRODUCTION, THROTTLE_RATE_USER="100/s", CREDIT_PROVIDER_SECRET_KEYS="{}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"


# --- the readers, in-process -----------------------------------------------------------------


@pytest.fixture
def readers(monkeypatch):
    """The readers with an empty problem list; the environment is ``monkeypatch.setenv``'s."""
    monkeypatch.setattr(env, "_problems", {})
    return env


def test_readers_return_parsed_values_and_record_nothing_for_good_input(readers, monkeypatch):
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    jwk_set = json.dumps({"keys": [{**json.loads(RSAAlgorithm.to_jwk(key)), "kid": "k1"}]})
    for name, value in {
        "R": "1000/day",
        "F": "0.25",
        "S": "0.5",
        "I": " 7 ",
        "B": "Yes",
        "J": '{"p": ["new", "old"], "q": "s"}',
        "K": jwk_set,
        "L": " a, ,b ",
        "D": "mysql://root@127.0.0.1:3306/x",
    }.items():
        monkeypatch.setenv(name, value)
    assert readers.env_rate("R", "1/s") == "1000/day"
    assert readers.env_fraction("F", 0.1) == 0.25
    assert readers.env_positive_seconds("S", 5) == 0.5
    assert readers.env_int("I", 1, min_value=1) == 7
    assert readers.env_bool("B", False) is True
    assert readers.env_json("J", {}, shape=env.SECRETS_BY_ID) == {"p": ["new", "old"], "q": "s"}
    assert readers.env_jwk_set("K") == jwk_set
    assert readers.env_list("L") == ["a", "b"]
    assert readers.env_database_url("D", "sqlite:///x")["ENGINE"] == "django.db.backends.mysql"
    assert readers.env_str("UNSET_VARIABLE_FOR_TEST", "fallback") == "fallback"
    assert readers.problems() == {}
    readers.raise_problems()


def test_a_secret_key_starting_with_a_dollar_is_read_as_it_is(readers, monkeypatch):
    monkeypatch.setenv("SECRET_FOR_TEST", "$HOME-not-a-reference")
    assert readers.env_str("SECRET_FOR_TEST") == "$HOME-not-a-reference"


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (lambda r: r.env_int("V", 1, min_value=1), "0"),
        (lambda r: r.env_int("V", 1), "1.5"),
        (lambda r: r.env_float("V", 1.0), "nan"),
        (lambda r: r.env_fraction("V", 0.1), "-0.1"),
        (lambda r: r.env_rate("V", "1/s"), "10/fortnight"),
        (lambda r: r.env_rate("V", "1/s"), "ten/minute"),
        (lambda r: r.env_json("V", {}, shape=env.SECRETS_BY_ID), '{"p": []}'),
        (lambda r: r.env_json("V", {}, shape=env.SECRETS_BY_ID), '{"p": 3}'),
        (lambda r: r.env_jwk_set("V"), '{"keys": []}'),
        (lambda r: r.env_list("V", required=True), " , "),
        (lambda r: r.env_str("V"), "  "),
    ],
)
def test_readers_collect_problems_instead_of_raising(readers, monkeypatch, reader, value):
    monkeypatch.setenv("V", value)
    reader(readers)
    assert list(readers.problems()) == ["V"]
    with pytest.raises(ImproperlyConfigured, match="1 environment variable"):
        readers.raise_problems()
