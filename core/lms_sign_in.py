"""Signing in through the LMS (OAuth2, ``auth_backends.backends.EdXOAuth2``): the pipeline step that
turns the LMS's answer into a learner row.

The LMS's JWT access token names the learner (``preferred_username``, ``user_id``, ``email``,
``email_verified``, ``administrator``). The row is written by ``learner_get_or_create``, the one
writer of learner identity, so a sign-in follows an LMS rename exactly as a JWT does
(docs/decisions/0003-learner-identity.rst); a conflicting identity refuses the sign-in.
"""

import logging
from typing import Any

from social_core.backends.base import BaseAuth
from social_core.exceptions import AuthAssociationError, AuthPolicyError

from core.exceptions import InvalidLearnerIdentity, LearnerIdentityConflict
from core.services import learner_get_or_create

logger = logging.getLogger(__name__)


def learner_from_lms(
    backend: BaseAuth, details: dict[str, Any], response: dict[str, Any], *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """SOCIAL_AUTH_PIPELINE step: the learner the LMS vouched for, created or updated.

    The ``administrator`` claim is never stored: ``is_staff`` comes only from ``grant_role`` and the
    admin (docs/decisions/0008); an email the LMS has not verified is not stored. Raises an
    ``AuthException`` (the sign-in fails, nothing is written) for identifiers no row can hold or an
    identity held by another LMS user.
    """
    username = details.get("username")
    lms_user_id = response.get("user_id")
    email = details.get("email") if response.get("email_verified", True) is True else None
    if not isinstance(username, str) or (lms_user_id is not None and not isinstance(lms_user_id, int)):
        logger.warning("lms_sign_in_refused", extra={"reason": "claims"})
        raise AuthPolicyError(backend, stage="pipeline")
    try:
        learner = learner_get_or_create(username=username, lms_user_id=lms_user_id, email=email or None)
    except (InvalidLearnerIdentity, LearnerIdentityConflict) as exc:
        logger.warning("lms_sign_in_refused", extra={"reason": type(exc).__name__, "lms_user_id": lms_user_id})
        raise AuthAssociationError(backend, stage="pipeline") from exc
    if not learner.is_active:
        raise AuthPolicyError(backend, stage="pipeline")
    logger.info("lms_sign_in", extra={"user_id": learner.pk, "lms_user_id": lms_user_id})
    return {"user": learner, "is_new": False}
