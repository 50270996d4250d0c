"""Which JWT keys are trusted: no published secret in production, several issuers, key rotation.

The production cases run ``settings.production`` in a subprocess with the README's environment, as
the image does: the settings are built exactly as they are at start.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import freezegun
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from core.jwt import encode_jwt
from settings.jwt_keys import DEV_JWT_SECRET_KEY, jwt_issuers

ROOT = Path(__file__).resolve().parents[2]
STATUS_URL = "/api/credentials/v1/learner_cert_status/"
STRONG_SECRET = "0123456789abcdef0123456789abcdef-rotation-new"
OLD_SECRET = "fedcba9876543210fedcba9876543210-rotation-old"


def production_env(**overrides: str) -> dict[str, str]:
    """The README's production recipe: SECRET_KEY, ALLOWED_HOSTS, CACHE_URL, DATABASE_URL, JWT_ISSUER,
    JWT_AUDIENCE and the LMS's JWK set, no JWT secret."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("JWT_", "SECURE_", "DJANGO_SETTINGS_MODULE"))
    }
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    env.update(
        DJANGO_SETTINGS_MODULE="settings.production",
        PYTHONPATH=str(ROOT),
        SECRET_KEY="a-production-django-secret-key-of-reasonable-length",
        ALLOWED_HOSTS="credentials.example.com",
        CACHE_URL="redis://127.0.0.1:6379/1",  # required by settings.production; not connected at start
        DATABASE_URL="postgres://status@db.example.com:5432/status",  # required (not SQLite); not connected
        JWT_ISSUER="https://lms.example.com/oauth2",
        JWT_AUDIENCE="credentials-status",
        JWT_PUBLIC_SIGNING_JWK_SET=json.dumps({"keys": [jwk]}),
        TEST_LMS_PRIVATE_KEY=pem.decode(),
    )
    env.update(overrides)
    return env


FORGE_SCRIPT = """
import os, time
import django
import jwt
django.setup()
from django.conf import settings
from edx_rest_framework_extensions.auth.jwt.decoder import configured_jwt_decode_handler

now = int(time.time())
claims = {"preferred_username": "intruder", "administrator": True, "iss": settings.JWT_ISSUER,
          "aud": settings.JWT_AUDIENCE, "iat": now, "exp": now + 300}
for name, key, alg in (("forged", os.environ["FORGE_WITH"], "HS256"),
                       ("lms", os.environ["TEST_LMS_PRIVATE_KEY"], "RS256")):
    try:
        configured_jwt_decode_handler(jwt.encode(claims, key, algorithm=alg))
        print(name, "accepted")
    except jwt.InvalidTokenError:
        print(name, "refused")
"""


@pytest.mark.parametrize("secret", [DEV_JWT_SECRET_KEY, "lms-secret", "SET-ME-PLEASE"])
def test_production_with_the_readme_recipe_refuses_tokens_signed_with_published_secrets(secret):
    env = production_env(FORGE_WITH=secret)
    result = subprocess.run(  # noqa: S603 (this interpreter, the script above)
        [sys.executable, "-c", FORGE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["forged refused", "lms accepted"]


def run_deploy_check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "secret",
    [DEV_JWT_SECRET_KEY, "lms-secret", "SET-ME-PLEASE", "set-me-please", "x" * 31],
    ids=["dev-default", "devstack", "edx-default", "edx-default-lowercase", "31-bytes"],
)
def test_production_refuses_to_start_with_a_published_or_short_jwt_secret(secret):
    result = run_deploy_check(JWT_SECRET_KEY=secret)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "The JWT secret of issuer 0" in result.stderr
    assert "32 random bytes" in result.stderr  # the hint: what to use instead
    assert secret not in result.stderr  # the refused secret is not echoed into logs


def test_production_refuses_to_start_with_a_published_secret_among_rotated_issuers():
    issuers = [
        {"ISSUER": "https://lms.example/oauth2", "AUDIENCE": "credentials-status", "SECRET_KEY": STRONG_SECRET},
        {"ISSUER": "https://lms.example/oauth2", "AUDIENCE": "credentials-status", "SECRET_KEY": "lms-secret"},
    ]
    result = run_deploy_check(JWT_ISSUERS=json.dumps(issuers))
    assert result.returncode != 0
    assert "The JWT secret of issuer 1" in result.stderr


def test_production_refuses_to_start_without_any_key_or_with_a_broken_jwk_set():
    result = run_deploy_check(JWT_PUBLIC_SIGNING_JWK_SET="")
    assert result.returncode != 0
    assert "No JWT verification key is configured" in result.stderr
    result = run_deploy_check(JWT_PUBLIC_SIGNING_JWK_SET='{"keys": [{"kty": "RSA"}]}')
    assert result.returncode != 0
    assert "JWT_PUBLIC_SIGNING_JWK_SET: must be a JSON JWK set" in result.stderr


def test_production_starts_with_a_strong_secret():
    result = run_deploy_check(JWT_SECRET_KEY=STRONG_SECRET)
    assert result.returncode == 0, result.stderr


# --- Settings built from the environment ---------------------------------------------------------
def test_no_secret_is_trusted_unless_configured(monkeypatch):
    for name in ("JWT_SECRET_KEY", "JWT_ISSUERS", "JWT_ISSUER", "JWT_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    assert jwt_issuers()[0]["SECRET_KEY"] is None
    assert jwt_issuers(default_secret=DEV_JWT_SECRET_KEY)[0]["SECRET_KEY"] == DEV_JWT_SECRET_KEY
    monkeypatch.setenv("JWT_SECRET_KEY", STRONG_SECRET)
    assert jwt_issuers(default_secret=DEV_JWT_SECRET_KEY)[0]["SECRET_KEY"] == STRONG_SECRET


def test_jwt_issuers_env_is_the_open_edx_list(monkeypatch):
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    entries = [
        {"ISSUER": "https://lms.example/oauth2", "AUDIENCE": "credentials-status", "SECRET_KEY": STRONG_SECRET},
        {"ISSUER": "https://lms.example/oauth2", "AUDIENCE": "credentials-status", "SECRET_KEY": OLD_SECRET},
        {"ISSUER": "https://other.example/oauth2", "AUDIENCE": "other"},
    ]
    monkeypatch.setenv("JWT_ISSUERS", json.dumps(entries))
    assert jwt_issuers(default_secret=DEV_JWT_SECRET_KEY) == [*entries[:2], {**entries[2], "SECRET_KEY": None}]
    monkeypatch.setenv("JWT_SECRET_KEY", STRONG_SECRET)
    with pytest.raises(ImproperlyConfigured, match="not both"):
        jwt_issuers()
    monkeypatch.delenv("JWT_SECRET_KEY")
    for bad in ("[]", '{"ISSUER": "x"}', '[{"ISSUER": "x"}]', '[{"ISSUER": "x", "AUDIENCE": "y", "SECRET": "z"}]'):
        monkeypatch.setenv("JWT_ISSUERS", bad)
        with pytest.raises(ImproperlyConfigured, match="JWT_ISSUERS"):
            jwt_issuers()


# --- Verification --------------------------------------------------------------------------------
def status_with(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    return client.post(STATUS_URL, {"username": "ana", "course_runs": ["course-v1:a+b+c"]}, format="json").status_code


def issuer(secret: str | None, iss: str = "https://lms.example/oauth2", aud: str = "credentials-status") -> dict:
    return {"ISSUER": iss, "AUDIENCE": aud, "SECRET_KEY": secret}


@pytest.mark.django_db
def test_an_issuer_without_a_secret_trusts_no_symmetric_key(settings):
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_ISSUERS": [issuer(None)]}
    forged = encode_jwt(
        username="ana", administrator=True, secret=DEV_JWT_SECRET_KEY, issuer="https://lms.example/oauth2"
    )
    assert status_with(forged) == 401


@pytest.mark.django_db
def test_rotation_accepts_the_old_and_the_new_secret_and_nothing_else(settings):
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_ISSUERS": [issuer(STRONG_SECRET), issuer(OLD_SECRET)]}

    def token(secret: str) -> str:
        return encode_jwt(username="ana", secret=secret, issuer="https://lms.example/oauth2")

    assert status_with(token(STRONG_SECRET)) == 200
    assert status_with(token(OLD_SECRET)) == 200
    assert status_with(token(DEV_JWT_SECRET_KEY)) == 401
    # Once the old entry is removed, its tokens are refused.
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_ISSUERS": [issuer(STRONG_SECRET)]}
    assert status_with(token(OLD_SECRET)) == 401


@pytest.mark.django_db
def test_each_issuer_is_checked_with_its_own_audience_and_key(settings):
    settings.JWT_AUTH = {
        **settings.JWT_AUTH,
        "JWT_ISSUERS": [issuer(STRONG_SECRET), issuer(OLD_SECRET, iss="https://other.example/oauth2", aud="other")],
    }
    assert (
        status_with(
            encode_jwt(username="ana", secret=OLD_SECRET, issuer="https://other.example/oauth2", audience="other")
        )
        == 200
    )
    # The second issuer's key does not vouch for the first issuer's name or audience, nor the reverse.
    assert status_with(encode_jwt(username="ana", secret=OLD_SECRET, issuer="https://lms.example/oauth2")) == 401
    assert status_with(encode_jwt(username="ana", secret=OLD_SECRET, issuer="https://other.example/oauth2")) == 401
    assert (
        status_with(
            encode_jwt(username="ana", secret=STRONG_SECRET, issuer="https://other.example/oauth2", audience="other")
        )
        == 401
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "claims",
    [{"exp": "9999999999"}, {"exp": 9999999999.5}, {"exp": True}, {"iat": "1"}, {"nbf": "0"}, {"nbf": [0]}],
    ids=["exp-string", "exp-float", "exp-bool", "iat-string", "nbf-string", "nbf-list"],
)
def test_non_integer_time_claims_are_401(settings, claims):
    now = int(time.time())
    payload = {
        "preferred_username": "ana",
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "iat": now,
        "exp": now + 300,
        **claims,
    }
    response_code = status_with(pyjwt.encode(payload, settings.JWT_SECRET_KEY, algorithm="HS256"))
    assert response_code == 401


# Verified tokens are remembered by their exact text (core.authentication._VerifiedTokens): what a
# remembered token must still be refused for.


@pytest.mark.django_db
def test_a_token_accepted_before_is_refused_once_it_expires():
    with freezegun.freeze_time("2027-01-04 10:00:00") as clock:
        token = encode_jwt(username="ana", expires_in=60)
        assert status_with(token) == 200
        clock.tick(30)
        assert status_with(token) == 200
        clock.tick(31)  # past exp: refused, remembered or not
        assert status_with(token) == 401


@pytest.mark.django_db
def test_a_token_accepted_before_is_refused_once_its_key_is_no_longer_trusted(settings):
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_ISSUERS": [issuer(STRONG_SECRET), issuer(OLD_SECRET)]}
    token = encode_jwt(username="ana", secret=OLD_SECRET, issuer="https://lms.example/oauth2")
    assert status_with(token) == 200
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_ISSUERS": [issuer(STRONG_SECRET)]}
    assert status_with(token) == 401


@pytest.mark.django_db
def test_a_token_accepted_before_with_another_signature_or_claims_is_refused():
    token = encode_jwt(username="ana")
    assert status_with(token) == 200
    head, claims, signature = token.split(".")
    assert status_with(f"{head}.{claims}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BA'}") == 401
    forged_claims = pyjwt.utils.base64url_encode(
        json.dumps({**pyjwt.decode(token, options={"verify_signature": False}), "administrator": True}).encode()
    ).decode()
    assert status_with(f"{head}.{forged_claims}.{signature}") == 401
