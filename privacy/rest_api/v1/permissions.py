"""Who may call the retirement and username replacement endpoints."""

from typing import Any

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsRetirementWorker(BasePermission):
    """The Open edX retirement service account (``RETIREMENT_SERVICE_WORKER_USERNAME``) and superusers only.

    Not staff and not any role: these calls rewrite or erase a learner's identity.
    """

    message = "Only the retirement service worker or a superuser may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return False
        if getattr(user, "is_superuser", False):
            return True
        worker = settings.RETIREMENT_SERVICE_WORKER_USERNAME
        return bool(worker) and user.get_username() == worker
