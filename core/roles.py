"""Roles are Django groups; staff hold every role (who is staff: ``acts_as_staff``).

The roles and what they allow are fixed by the service API contract. ``python manage.py grant_role``
and the admin assign them.
"""

from enum import StrEnum
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

if TYPE_CHECKING:
    from core.models import User


class Role(StrEnum):
    LEARNER_STATUS_READERS = "learner_status_readers"
    CATALOG_PUBLISHERS = "catalog_publishers"
    CREDENTIAL_ISSUERS = "credential_issuers"
    ENROLLMENT_ADMINS = "enrollment_admins"
    CREDIT_ADMINS = "credit_admins"


ALL_ROLES = tuple(role.value for role in Role)
# Set on the request's user by JWT authentication (core.authentication): the token's administrator claim.
JWT_ADMINISTRATOR_ATTRIBUTE = "jwt_administrator"


def acts_as_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff for this request: the JWT's ``administrator`` claim, or the stored ``is_staff`` for a session.

    A request authenticated by a JWT is staff exactly when its token says ``administrator: true``;
    the claim is never stored. The stored ``is_staff`` (set by ``grant_role USER staff`` or the admin)
    governs session sign-in only: the admin, the support console and the browsable API.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    claim: bool | None = getattr(user, JWT_ADMINISTRATOR_ATTRIBUTE, None)
    return claim if claim is not None else bool(getattr(user, "is_staff", False))


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    """True when the user is active staff, in the role's group, or (readers) a configured worker."""
    if not user.is_authenticated or not user.is_active:
        return False
    user = cast("User", user)  # An authenticated user is an AUTH_USER_MODEL row.
    if acts_as_staff(user):
        return True
    if role == Role.LEARNER_STATUS_READERS and user.get_username() in settings.LEARNER_STATUS_WORKERS:
        return True
    # Group names are cached on the user object for the length of the request.
    cached: set[str] | None = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return role.value in cached
