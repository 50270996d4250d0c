"""Who may read a learner's status: readers and staff anyone's, a learner their own."""

from django.contrib.auth.models import AnonymousUser

from core.models import User
from core.roles import Role, user_has_role


def can_read_learner(
    user: User | AnonymousUser, *, username: str | None = None, lms_user_id: int | None = None
) -> bool:
    if not user.is_authenticated:
        return False
    if user_has_role(user, Role.LEARNER_STATUS_READERS):
        return True
    if username is not None:
        return username == user.username
    return lms_user_id is not None and lms_user_id == user.lms_user_id
