"""JWT authentication that follows learners across LMS renames.

edx-drf-extensions finds the user by ``preferred_username``. When the token's ``user_id`` is
already stored under an older username, that row is renamed first, so the learner keeps their
records instead of getting a second account (docs/decisions/0003-learner-identity.rst).
"""

from typing import Any

from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from rest_framework import exceptions

from core.exceptions import LearnerIdentityConflict
from core.models import User
from core.services import learner_get_or_create
from core.signals import learner_identified


class LearnerJwtAuthentication(JwtAuthentication):
    def authenticate_credentials(self, payload: dict[str, Any]) -> User:
        username = payload.get("preferred_username") or payload.get("username")
        lms_user_id = payload.get("user_id")
        known: User | None = None
        if username and isinstance(lms_user_id, int) and not isinstance(lms_user_id, bool):
            try:
                known = learner_get_or_create(username=username, lms_user_id=lms_user_id)
            except LearnerIdentityConflict as exc:
                raise exceptions.AuthenticationFailed(str(exc.detail)) from exc
        user: User = super().authenticate_credentials(payload)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        # The email claim was just copied onto the row: first authentication or a changed email.
        # Compared with the row read above, so steady-state requests cost no extra query.
        if known is not None and user.email and user.email != known.email:
            learner_identified.send(sender=User, learner=user)
        return user
