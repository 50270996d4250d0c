"""Who may read or act on a learner's credit data: the learner, readers, credit admins, staff."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from core.permissions import IsReaderOrSelf
from core.roles import Role, acts_as_staff


class IsCreditReaderOrSelf(IsReaderOrSelf):
    """The learner themselves, ``learner_status_readers``, ``credit_admins`` and staff."""

    message = "You may read only your own credit data."
    extra_roles = (Role.CREDIT_ADMINS,)


def can_request_credit_for(user: AbstractBaseUser | AnonymousUser, *, username: str) -> bool:
    """A credit request sends the learner's name and email to a provider: only the learner (or staff) starts one."""
    return user.get_username() == username or acts_as_staff(user)
