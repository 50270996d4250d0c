"""Who may read or act on a learner's credit data: the learner, readers, credit admins, staff."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from core.roles import Role, acts_as_staff, user_has_role


def can_read_learner_credit(user: AbstractBaseUser | AnonymousUser, *, username: str) -> bool:
    """The learner themselves, ``learner_status_readers``, ``credit_admins`` and staff."""
    return (
        user.get_username() == username
        or user_has_role(user, Role.LEARNER_STATUS_READERS)
        or user_has_role(user, Role.CREDIT_ADMINS)
    )


def can_request_credit_for(user: AbstractBaseUser | AnonymousUser, *, username: str) -> bool:
    """A credit request sends the learner's name and email to a provider: only the learner (or staff) starts one."""
    return user.get_username() == username or acts_as_staff(user)
