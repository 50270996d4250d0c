"""Signatures shared with credit providers (interoperable with Open edX's credit feature).

``signature = hex(HMAC-SHA256(key=secret, msg="".join(f"{k}:{v}" for k in sorted(params) if k != "signature")))``
with ``str()`` values and utf-8 encoding. Secrets come from ``CREDIT_PROVIDER_SECRET_KEYS``
(``{"provider_id": "secret" | ["newest", "older", ...]}``): outgoing requests are signed with the first
usable secret, incoming callbacks are accepted when any usable secret matches. A secret that is not
ASCII is unusable (treated as not configured), as in Open edX.
"""

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)


def signature(params: Mapping[str, Any], shared_secret: str) -> str:
    """The hex HMAC-SHA256 of the parameters (``signature`` itself excluded) under ``shared_secret``."""
    message = "".join(f"{key}:{params[key]}" for key in sorted(params) if key != "signature")
    return hmac.new(shared_secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def _usable(secret: object, provider_id: str) -> str | None:
    if not isinstance(secret, str) or not secret:
        return None
    if not secret.isascii():
        # Never log the secret itself.
        log.error("credit_provider_secret_not_ascii", extra={"provider_id": provider_id})
        return None
    return secret


def get_shared_secret_key(provider_id: str) -> str | list[str | None] | None:
    """The configured secret(s) for a provider, as Open edX returns them: a string, a list, or ``None``.

    Unusable (non-ASCII, empty, non-string) secrets come back as ``None`` (in a list, in their place).
    """
    configured = settings.CREDIT_PROVIDER_SECRET_KEYS.get(provider_id)
    if isinstance(configured, (list, tuple)):
        return [_usable(secret, provider_id) for secret in configured]
    return _usable(configured, provider_id)


def shared_secret_keys(provider_id: str) -> list[str]:
    """The usable secrets for a provider, newest first; empty when none is configured."""
    configured = get_shared_secret_key(provider_id)
    if isinstance(configured, list):
        return [secret for secret in configured if secret]
    return [configured] if configured else []


def signing_key(provider_id: str) -> str | None:
    """The secret outgoing requests are signed with: the first usable one."""
    keys = shared_secret_keys(provider_id)
    return keys[0] if keys else None


def signature_is_valid(params: Mapping[str, Any], provider_id: str) -> bool:
    """True when ``params["signature"]`` matches under any usable secret (constant-time comparison)."""
    given = params.get("signature")
    if not isinstance(given, str):
        return False
    matched = False
    for secret in shared_secret_keys(provider_id):
        # Check every key, so the time taken does not reveal which one matched.
        matched |= hmac.compare_digest(signature(params, secret).encode("ascii"), given.encode("utf-8"))
    return matched
