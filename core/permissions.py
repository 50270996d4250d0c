"""DRF permission classes for the roles of the service API contract."""

from typing import Any

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
