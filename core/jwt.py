"""Issue HS256 JWTs shaped like the LMS's, for local development and tests.

Production tokens come from the LMS's OAuth2 provider; these carry the same claims and are signed
with ``JWT_SECRET_KEY`` for ``JWT_ISSUER`` / ``JWT_AUDIENCE`` unless told otherwise.
"""

import time
from typing import Any

import jwt
from django.conf import settings


def encode_jwt(
    *,
    username: str,
    lms_user_id: int | None = None,
    email: str | None = None,
    administrator: bool = False,
    expires_in: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
    secret: str | None = None,
    **extra_claims: Any,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "preferred_username": username,
        "email": email or f"{username}@example.com",
        "administrator": administrator,
        "email_verified": True,  # the LMS sends the account's is_active: true once the email is confirmed
        "iss": issuer or settings.JWT_ISSUER,
        "aud": audience or settings.JWT_AUDIENCE,
        "iat": now,
        "exp": now + expires_in,
        "version": "1.2.0",
        "scopes": ["read", "write", "email", "profile"],
        **extra_claims,
    }
    if lms_user_id is not None:
        payload["user_id"] = lms_user_id
    return jwt.encode(payload, secret or settings.JWT_SECRET_KEY, algorithm="HS256")
