"""Errors of the enrollments app. LMS transport failures are ``core.upstream``'s one hierarchy, re-exported."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions, status

from core.upstream import (
    UpstreamError,
    UpstreamForbidden,
    UpstreamGivenUp,
    UpstreamInvalidResponse,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnauthorized,
    UpstreamUnavailable,
)

__all__ = [
    "EnrollmentBackendNotConfigured",
    "UpstreamError",
    "UpstreamForbidden",
    "UpstreamGivenUp",
    "UpstreamInvalidResponse",
    "UpstreamNotFound",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnauthorized",
    "UpstreamUnavailable",
]


class EnrollmentBackendNotConfigured(exceptions.APIException, ImproperlyConfigured):
    """``ENROLLMENT_BACKEND`` names no backend, or ``lms`` lacks its settings (the system check says so at start)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Bulk enrollment is not configured: check ENROLLMENT_BACKEND and the LMS settings."
    default_code = "enrollment_backend_not_configured"
