"""Who may do what with the catalog and programs.

The catalog (organizations, courses, runs, programs and their exclusion lists) is not learner data:
any authenticated user may read it (the LMS, support staff, learners' dashboards). Writes and
Discovery syncs need the ``catalog_publishers`` role (or staff). See docs/decisions/0004.
"""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from core.permissions import IsCatalogPublisher


class ReadCatalogOrPublish(BasePermission):
    """Reads for any authenticated user; writes for catalog publishers."""

    message = "Changing the catalog needs the catalog_publishers role."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return IsCatalogPublisher().has_permission(request, view)
