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


class LearnerJwtAuthentication(JwtAuthentication):
    def authenticate_credentials(self, payload: dict[str, Any]) -> User:
        username = payload.get("preferred_username") or payload.get("username")
        lms_user_id = payload.get("user_id")
        if username and isinstance(lms_user_id, int) and not isinstance(lms_user_id, bool):
            try:
                learner_get_or_create(username=username, lms_user_id=lms_user_id)
            except LearnerIdentityConflict as exc:
                raise exceptions.AuthenticationFailed(str(exc.detail)) from exc
        user: User = super().authenticate_credentials(payload)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user
