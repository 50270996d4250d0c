"""JWT authentication that follows learners across LMS renames.

edx-drf-extensions finds the user by ``preferred_username``. When the token's ``user_id`` is
already stored under an older username, that row is renamed first, so the learner keeps their
records instead of getting a second account (docs/decisions/0003-learner-identity.rst).
"""

import copy
import time
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.auth.jwt.decoder import get_verification_jwk_key_set, unsafe_jwt_decode_handler
from edx_rest_framework_extensions.settings import get_jwt_issuers
from rest_framework import exceptions
from rest_framework.request import Request

from core.exceptions import DATABASE_ERRORS, LearnerIdentityConflict
from core.identifiers import is_lms_user_id, is_storable_email, username_invalid_reason
from core.memo import Remembered
from core.models import FULL_NAME_MAX_LENGTH, User
from core.parsers import unstorable_reason
from core.roles import JWT_ADMINISTRATOR_ATTRIBUTE
from core.selectors import learner_find
from core.services import learner_get_or_create
from core.signals import learner_identified


def _storable(text: str) -> bool:
    """No NUL and no unpaired surrogate: a claim that the database and the error renderer can take."""
    return unstorable_reason(text) is None


class LearnerJwtAuthentication(JwtAuthentication):
    _database_error: Exception | None = None

    def authenticate(self, request: Request) -> tuple[User, Any] | None:
        """A database outage while reading the user is raised (a 503), never a failed authentication.

        edx-drf-extensions turns it into "User retrieval failed" (a 401 that makes clients drop a good
        token) and, for the JWT cookie, forgives it and lets the request go on anonymous.
        """
        self._database_error = None
        scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.count(".") == 2:
            # A JWT sent as an OAuth2 bearer token: say what the service expects instead of the
            # generic "credentials were not provided".
            raise exceptions.AuthenticationFailed(
                "This service takes JWTs with the JWT prefix: send 'Authorization: JWT <token>', not 'Bearer <token>'."
            )
        result = super().authenticate(request)
        if result is None and self._database_error is not None:
            raise self._database_error
        return result

    def authenticate_credentials(self, payload: dict[str, Any]) -> User:
        try:
            return self._learner_from_claims(payload)
        except DATABASE_ERRORS as exc:
            self._database_error = exc
            raise
        except exceptions.AuthenticationFailed as exc:
            if isinstance(exc.__cause__, DATABASE_ERRORS):
                self._database_error = exc.__cause__
                raise exc.__cause__ from None
            raise

    def _learner_unchanged(self, username: str | None, payload: dict[str, Any]) -> User | None:
        """The stored learner when the token's claims already match it, in one read; else ``None``.

        A learner's every request carries the same claims: reading the row is then the whole work,
        without the identity lock (``learner_get_or_create``) or edx-drf-extensions' second read. Any
        difference (a new learner, a rename, an adopted LMS id, a new email or name) takes the full
        path. The exact comparison is a guard: the username column is binary-collated on every database
        (``core.collation``), so the read already matches exactly.
        """
        if not username:
            return None
        user = _learner_read(username)
        if user is None or user.username != username:
            return None
        mergeable = self.get_jwt_claim_mergeable_attributes() or ()
        for claim, attribute in self.get_jwt_claim_attribute_map().items():
            value = payload.get(claim)
            if value is not None and (attribute in mergeable or getattr(user, attribute, None) != value):
                return None
        return user

    def _learner_from_claims(self, payload: dict[str, Any]) -> User:
        username = payload.get("preferred_username") or payload.get("username")
        lms_user_id = payload.get("user_id")
        # The LMS never issues a username its own rule refuses; one that breaks it (a "/", say) is refused
        # here as everywhere else a learner is created (core.identifiers.username_invalid_reason).
        if username is not None and username_invalid_reason(username):
            raise exceptions.AuthenticationFailed("The token's preferred_username is not a valid username.")
        if lms_user_id is not None and not is_lms_user_id(lms_user_id):
            raise exceptions.AuthenticationFailed("The token's user_id is not a valid LMS user id.")
        email_verified = payload.get("email_verified", True)
        if not isinstance(email_verified, bool):
            raise exceptions.AuthenticationFailed("The token's email_verified claim is not a boolean.")
        if not email_verified:
            # The LMS sets email_verified from the account's activation: an address nobody has proven
            # to own is not stored, so it can neither capture pending enrollments now nor later.
            payload = {key: value for key, value in payload.items() if key != "email"}
        email = payload.get("email")
        if email is not None:
            if not is_storable_email(email):
                raise exceptions.AuthenticationFailed("The token's email is not a valid email address.")
            # Stored lower-cased, as every other write path stores it (ADR 0003); a claim in another
            # case must not flip the row back and forth.
            payload = {**payload, "email": email.strip().lower()}
        name = payload.get("name")
        if name is not None and not (isinstance(name, str) and len(name) <= FULL_NAME_MAX_LENGTH and _storable(name)):
            raise exceptions.AuthenticationFailed("The token's name is not a valid full name.")
        if not isinstance(payload.get("administrator", False), bool):
            raise exceptions.AuthenticationFailed("The token's administrator claim is not a boolean.")
        user = self._learner_unchanged(username, payload)
        if user is None:
            if username and lms_user_id is not None:
                try:
                    learner_get_or_create(username=username, lms_user_id=lms_user_id)
                except LearnerIdentityConflict as exc:
                    raise exceptions.AuthenticationFailed(str(exc.detail)) from exc
            user = super().authenticate_credentials(payload)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        # Staff for this request only, never stored (core.roles.acts_as_staff).
        setattr(user, JWT_ADMINISTRATOR_ATTRIBUTE, payload.get("administrator", False) is True)
        # Every arrival with an email, with or without user_id: pending enrollments of that email are
        # realised (enrollments checks with one EXISTS and queues a task only when some exist), so
        # a realisation lost with the broker is queued again at the learner's next request.
        if email_verified and user.email:
            learner_identified.send(sender=User, learner=user)
        return user


# Learners just read by authentication, by username, for ``AUTHENTICATED_LEARNER_SECONDS``: a subscription
# service's account sends hundreds of requests a second, each reading the same row (a database round trip
# and a tenth of a status request's CPU over HTTP, issue 17). Every request still compares the token's
# claims with the remembered row (``_learner_unchanged``) and gets its own copy of the user. A change made
# in this process (``save()``, deletion: deactivation, retirement, a rename) forgets them all at once
# (``_learners_changed``); one made in another process, or by a bulk statement, shows within those seconds:
# a deactivated account may be served for at most that long by the other workers.
AUTHENTICATED_LEARNER_SECONDS = 5
_learners_read: Remembered[str, User] = Remembered(size=4096)


def _learner_read(username: str) -> User | None:
    """``learner_find(username=...)``, remembered briefly (``_learners_read``); always a copy of its own."""
    user = _learners_read.get(username)
    if user is None:
        user = learner_find(username=username)
        if user is None:
            return None
        _learners_read.put(username, user, until=time.time() + AUTHENTICATED_LEARNER_SECONDS)
    return copy.copy(user)


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _learners_changed(**kwargs: Any) -> None:
    _learners_read.clear()


# Algorithms each kind of key may verify: a token's ``alg`` header never picks the kind of key.
_ALGORITHMS_BY_KEY_TYPE = {
    "oct": ["HS256"],
    "RSA": ["RS256", "RS512"],
    "EC": ["ES256", "ES384", "ES512"],
    "OKP": ["EdDSA"],
}
# Errors meaning "not this issuer or not this key": the next (issuer, key) pair may still verify the token.
_TRY_NEXT_KEY = (
    jwt.InvalidSignatureError,
    jwt.InvalidAlgorithmError,
    jwt.InvalidKeyError,
    jwt.InvalidIssuerError,
    jwt.InvalidAudienceError,
)
_NUMERIC_DATE_CLAIMS = ("exp", "iat", "nbf")


def jwt_decode_handler(token: str) -> dict[str, Any]:
    """JWT_DECODE_HANDLER: the token's payload when one configured issuer and key verify it (``_verified``),
    remembered for the token's exact text (``_verified_tokens``) while it has not expired."""
    payload = _verified_tokens.get(token)
    if payload is None:
        payload = _verified(token)
        leeway = settings.JWT_AUTH.get("JWT_LEEWAY", 0)
        seconds = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
        _verified_tokens.put(token, payload, until=payload["exp"] + seconds)
    return copy.deepcopy(payload)


# Payloads of tokens already verified, by the token's exact text (signature included), until they expire.
# A subscription service sends the same token at every request until it expires; verifying it again (two
# decodes, the signature, the claims) was a fifteenth of a status request's CPU over HTTP (issue 17).
# Only a token that verified is remembered, so a hit needs the very text a configured key signed: any
# other byte misses and is verified. Past ``exp`` (with ``JWT_LEEWAY``, as PyJWT counts it) the token is
# verified again, and refused as expired. Emptied when ``JWT_AUTH`` changes (keys, issuers, leeway). The
# user is still checked at every request (``_learner_from_claims``), from a row at most
# ``AUTHENTICATED_LEARNER_SECONDS`` old (``_learners_read``).
_verified_tokens: Remembered[str, dict[str, Any]] = Remembered(size=4096)


@receiver(setting_changed)
def _keys_changed(setting: str, **kwargs: Any) -> None:
    if setting == "JWT_AUTH":
        _verified_tokens.clear()


def _verified(token: str) -> dict[str, Any]:
    """The token's payload when one configured issuer and key verify it.

    Each entry of ``JWT_AUTH["JWT_ISSUERS"]`` is tried with its own ``ISSUER`` and ``AUDIENCE`` and
    every key it trusts: the keys of ``JWT_PUBLIC_SIGNING_JWK_SET`` and the entry's ``SECRET_KEY``
    (HS256) when one is configured; an entry without a secret trusts no symmetric key. ``exp``,
    ``iat``, ``iss`` and ``aud`` are required, and ``exp``/``iat``/``nbf`` must be JSON integers (PyJWT
    alone accepts the string ``"9999999999"``). Raises ``jwt.InvalidTokenError`` (a 401) otherwise.
    The payload gets edx-drf-extensions' defaults (``version``, ``is_restricted``, ``filters``).
    """
    asymmetric_keys = get_verification_jwk_key_set(asymmetric_keys=settings.JWT_AUTH.get("JWT_PUBLIC_SIGNING_JWK_SET"))
    leeway = settings.JWT_AUTH.get("JWT_LEEWAY", 0)
    tried_a_key = False
    for issuer in get_jwt_issuers():
        keys = [*asymmetric_keys, *get_verification_jwk_key_set(secret_key=issuer.get("SECRET_KEY") or None)]
        for key in keys:
            tried_a_key = True
            try:
                payload = jwt.decode(
                    token,
                    key=key.key,
                    algorithms=_ALGORITHMS_BY_KEY_TYPE.get(key.key_type, []),
                    audience=issuer["AUDIENCE"],
                    issuer=issuer["ISSUER"],
                    leeway=leeway,
                    options={"require": ["exp", "iat", "iss", "aud"]},
                )
            except _TRY_NEXT_KEY:
                continue
            for claim in _NUMERIC_DATE_CLAIMS:
                value = payload.get(claim)
                if claim in payload and (not isinstance(value, int) or isinstance(value, bool)):
                    raise jwt.InvalidTokenError(f"The token's {claim} claim is not an integer.")
            # Verified above; edx-drf-extensions adds its defaults and refuses unsupported versions.
            return unsafe_jwt_decode_handler(token)
    if not tried_a_key:
        raise jwt.InvalidTokenError("No JWT verification key is configured.")
    raise jwt.InvalidSignatureError("No configured issuer and key verify this token.")
