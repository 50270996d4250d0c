"""Enrollment backends: who is the system of record for enrollments (``ENROLLMENT_BACKEND``).

- ``local``: this service (standalone use, demo, tests).
- ``lms``: the Open edX LMS, called through ``enrollments.lms.LmsClient``; local rows mirror its answers.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from enrollments.backends.base import BackendResult, EnrollmentBackend, PreparedPair

__all__ = ["BackendResult", "EnrollmentBackend", "PreparedPair", "enrollment_backend_get"]


def enrollment_backend_get(name: str | None = None) -> EnrollmentBackend:
    """The configured backend. ``lms`` without its settings raises ``ImproperlyConfigured`` naming them."""
    name = name or settings.ENROLLMENT_BACKEND
    if name == "local":
        from enrollments.backends.local import LocalEnrollmentBackend

        return LocalEnrollmentBackend()
    if name == "lms":
        from enrollments.backends.lms import LmsEnrollmentBackend
        from enrollments.lms import LmsClient

        return LmsEnrollmentBackend(client=LmsClient.from_settings())
    raise ImproperlyConfigured(f"ENROLLMENT_BACKEND must be 'local' or 'lms', not {name!r}.")
