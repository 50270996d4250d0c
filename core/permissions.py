"""DRF permission classes for the roles of the service API contract."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from core.roles import Role, user_has_role


class _RolePermission(BasePermission):
    role: Role
    message = "You do not have the role this operation requires."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_role(request.user, self.role)


def role_required(role: Role) -> type[BasePermission]:
    """A permission class that admits staff and holders of ``role``."""
    return type(f"Has{role.name.title().replace('_', '')}", (_RolePermission,), {"role": role})


IsLearnerStatusReader = role_required(Role.LEARNER_STATUS_READERS)
IsCatalogPublisher = role_required(Role.CATALOG_PUBLISHERS)
IsCredentialIssuer = role_required(Role.CREDENTIAL_ISSUERS)
IsEnrollmentAdmin = role_required(Role.ENROLLMENT_ADMINS)
IsCreditAdmin = role_required(Role.CREDIT_ADMINS)


@dataclass(frozen=True)
class LearnerIdentity:
    """The learner a request asks about, by username or (without one) LMS user id."""

    username: str | None = None
    lms_user_id: int | None = None


class IsReaderOrSelf(BasePermission):
    """Readers (``learner_status_readers``, staff, and ``extra_roles``) read any learner; a learner their own.

    Declared on the view. The view names the learner it was asked about once its input is valid (so a
    400 comes before a 403): ``self.check_object_permissions(request, LearnerIdentity(username=...))``.
    """

    message: Any = _("You may read only your own status.")
    extra_roles: tuple[Role, ...] = ()

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        user = request.user
        if not isinstance(obj, LearnerIdentity) or not user.is_authenticated:
            return False
        if any(user_has_role(user, role) for role in (Role.LEARNER_STATUS_READERS, *self.extra_roles)):
            return True
        if obj.username is not None:
            return obj.username == user.get_username()
        return obj.lms_user_id is not None and obj.lms_user_id == getattr(user, "lms_user_id", None)
