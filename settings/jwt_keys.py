"""Which JWT issuers and HS256 secrets the service trusts, read from the environment.

No HS256 secret is trusted unless an operator configured one: ``settings.base`` has none, only
``settings.local`` and ``settings.test`` fall back to the published development secret, and
``settings.production`` refuses to start with a secret that is published or too short
(docs/decisions/0008-jwt-key-trust-and-rotation.rst).

``JWT_AUTH["JWT_ISSUERS"]`` has the Open edX shape: a list of ``{"ISSUER", "AUDIENCE", "SECRET_KEY"}``.
A token is accepted when one entry's issuer, audience and key (its secret, or any key of
``JWT_PUBLIC_SIGNING_JWK_SET``) verify it, so two entries with the same issuer and audience and two
secrets are a key rotation.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from jwt import PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from settings.env import env_json, env_str

# Published in this repository's README and docs: trusted by settings.local and settings.test only.
DEV_JWT_SECRET_KEY = "credentials-status-dev-jwt-secret"
DEFAULT_JWT_ISSUER = "http://127.0.0.1:8000/oauth2"
DEFAULT_JWT_AUDIENCE = "credentials-status"

# HS256 secrets printed in public code and docs: this service's development and build-time values,
# and the defaults of edx-platform, devstack, edx-drf-extensions and other Open edX IDAs.
PUBLISHED_JWT_SECRETS = frozenset(
    {
        DEV_JWT_SECRET_KEY,
        "insecure-dev-secret-key-do-not-use-in-production",
        "collectstatic-only",
        "lms-secret",
        "SET-ME-PLEASE",
        "the-jwt-secret-key",
        "secret",
        "test-secret-key",
        "test-key",
        "jwt-secret",
        "changeme",
    }
)
# RFC 7518 section 3.2: an HS256 key is at least as long as the hash output.
MIN_JWT_SECRET_BYTES = 32


def jwt_issuers(*, default_secret: str | None = None) -> list[dict[str, Any]]:
    """The ``JWT_AUTH["JWT_ISSUERS"]`` list from the environment; the first entry signs dev tokens.

    ``JWT_ISSUERS`` (a JSON list of ``{"ISSUER", "AUDIENCE", "SECRET_KEY"?}``) when set; otherwise one
    entry from ``JWT_ISSUER``, ``JWT_AUDIENCE`` and ``JWT_SECRET_KEY``, whose secret is ``default_secret``
    when ``JWT_SECRET_KEY`` is unset (``None``: no secret, asymmetric keys only). Setting both
    ``JWT_ISSUERS`` and ``JWT_SECRET_KEY`` is an ``ImproperlyConfigured``: one of them would be ignored.
    """
    configured = env_json("JWT_ISSUERS", None)
    if configured is None:
        secret = env_str("JWT_SECRET_KEY", None)
        return [
            {
                "ISSUER": env_str("JWT_ISSUER", DEFAULT_JWT_ISSUER),
                "AUDIENCE": env_str("JWT_AUDIENCE", DEFAULT_JWT_AUDIENCE),
                "SECRET_KEY": secret if secret is not None else default_secret,
            }
        ]
    if env_str("JWT_SECRET_KEY", None) is not None:
        raise ImproperlyConfigured("Set JWT_ISSUERS or JWT_SECRET_KEY, not both: put every secret in JWT_ISSUERS.")
    if not isinstance(configured, list) or not configured:
        raise ImproperlyConfigured("JWT_ISSUERS must be a non-empty JSON list of issuers.")
    issuers = []
    for index, entry in enumerate(configured):
        if not (
            isinstance(entry, dict)
            and set(entry) <= {"ISSUER", "AUDIENCE", "SECRET_KEY"}
            and all(isinstance(entry.get(name), str) and entry[name] for name in ("ISSUER", "AUDIENCE"))
            and isinstance(entry.get("SECRET_KEY"), str | None)
        ):
            raise ImproperlyConfigured(
                f"JWT_ISSUERS[{index}] must be an object with string ISSUER and AUDIENCE and an optional "
                "string SECRET_KEY, and nothing else."
            )
        issuers.append(
            {"ISSUER": entry["ISSUER"], "AUDIENCE": entry["AUDIENCE"], "SECRET_KEY": entry.get("SECRET_KEY")}
        )
    return issuers


def weak_jwt_secret_reason(secret: str) -> str | None:
    """Why ``secret`` must not verify production tokens (published, or too short), or ``None``."""
    if secret.strip().casefold() in {published.casefold() for published in PUBLISHED_JWT_SECRETS}:
        return "it is a published default that anyone can sign tokens with"
    if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        return f"it is shorter than {MIN_JWT_SECRET_BYTES} bytes"
    return None


def refuse_untrusted_jwt_keys(issuers: list[dict[str, Any]], *, jwk_set: str | None) -> None:
    """Production's rule: some key is configured, and no configured secret is published or short.

    Raises ``ImproperlyConfigured`` (the service does not start) naming the issuer and what to do.
    """
    secrets = [(index, issuer["SECRET_KEY"]) for index, issuer in enumerate(issuers) if issuer.get("SECRET_KEY")]
    if jwk_set:
        try:
            PyJWKSet.from_json(jwk_set)
        except (PyJWKSetError, PyJWKError, ValueError) as exc:
            raise ImproperlyConfigured(f"JWT_PUBLIC_SIGNING_JWK_SET is not a usable JWK set: {exc}") from exc
    if not jwk_set and not secrets:
        raise ImproperlyConfigured(
            "No JWT verification key is configured: set JWT_PUBLIC_SIGNING_JWK_SET (the LMS's public keys) "
            "or JWT_SECRET_KEY (the secret shared with the LMS)."
        )
    for index, secret in secrets:
        reason = weak_jwt_secret_reason(secret)
        if reason:
            raise ImproperlyConfigured(
                f"The JWT secret of issuer {index} ({issuers[index]['ISSUER']}) is refused: {reason}. "
                f"Use the secret your LMS signs with, at least {MIN_JWT_SECRET_BYTES} random bytes "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'), or drop it and use "
                "JWT_PUBLIC_SIGNING_JWK_SET."
            )
