"""A fake LMS OAuth2 provider at the HTTP boundary (``responses``): its token endpoint answers an
authorization code with a JWT access token naming the learner, as the Open edX LMS does."""

from typing import Any
from urllib.parse import parse_qs, urlparse

import responses

from core.jwt import encode_jwt

LMS = "http://lms.fake"
CLIENT_ID = "credentials-status-sso-key"
CLIENT_SECRET = "credentials-status-sso-secret"
TOKEN_URL = f"{LMS}/oauth2/access_token"


def lms_settings(settings: Any) -> None:
    """Configure the LMS sign-in as an operator would (pytest-django ``settings`` fixture)."""
    from social_core.backends import utils

    settings.SOCIAL_AUTH_EDX_OAUTH2_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_EDX_OAUTH2_SECRET = CLIENT_SECRET
    settings.SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT = LMS
    settings.SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT = LMS
    settings.AUTHENTICATION_BACKENDS = ["auth_backends.backends.EdXOAuth2", "core.backends.ThrottledModelBackend"]
    utils.BACKENDSCACHE.clear()


def token_answer(rsps: responses.RequestsMock, *, username: str, lms_user_id: int, **claims: Any) -> None:
    """The LMS's token endpoint: the access token is a JWT with the learner's claims."""
    token = encode_jwt(username=username, lms_user_id=lms_user_id, **claims)
    rsps.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": token, "token_type": "JWT", "expires_in": 3600, "scope": "user_id profile email"},
    )


def state_of(authorize_url: str) -> str:
    """The ``state`` this service put in its redirect to the LMS's authorize page."""
    query = parse_qs(urlparse(authorize_url).query)
    return query["state"][0]
