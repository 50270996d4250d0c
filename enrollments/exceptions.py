"""Errors of the enrollments app: LMS transport failures (typed, so callers can tell retryable ones)."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions, status


class EnrollmentBackendNotConfigured(exceptions.APIException, ImproperlyConfigured):
    """``ENROLLMENT_BACKEND`` names no backend, or ``lms`` lacks its settings (the system check says so at start)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Bulk enrollment is not configured: check ENROLLMENT_BACKEND and the LMS settings."
    default_code = "enrollment_backend_not_configured"


class UpstreamError(Exception):
    """The LMS call did not succeed. ``status_code`` is the HTTP status when the LMS answered."""

    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, body: object = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class UpstreamTimeout(UpstreamError):
    retryable = True


class UpstreamUnavailable(UpstreamError):
    """Connection refused or reset, or a 5xx answer."""

    retryable = True


class UpstreamRateLimited(UpstreamError):
    retryable = True


class UpstreamUnauthorized(UpstreamError):
    """401, or the OAuth2 token could not be obtained with our client credentials."""


class UpstreamNotFound(UpstreamError):
    """404."""


class UpstreamRejected(UpstreamError):
    """Any other 4xx (400 bad course, 403 not allowed, 406 unknown user, 409 duplicate ...)."""


class UpstreamInvalidResponse(UpstreamError):
    """A 2xx answer whose body does not have the documented shape (not retried: it would say the same)."""


class UpstreamGivenUp(UpstreamError):
    """Not sent: this request stopped calling the LMS (too many consecutive failures, or its time budget spent)."""
