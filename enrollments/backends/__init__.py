"""Enrollment backends: who is the system of record for enrollments (``ENROLLMENT_BACKEND``).

- ``local``: this service (standalone use, demo, tests).
- ``lms``: the Open edX LMS, called through ``enrollments.lms.LmsClient``; local rows mirror its answers.
"""

from django.conf import settings

from enrollments.backends.base import BackendResult, EnrollmentBackend, PreparedPair, first_pair_per_learner
from enrollments.exceptions import EnrollmentBackendNotConfigured

__all__ = ["BackendResult", "EnrollmentBackend", "PreparedPair", "enrollment_backend_get", "first_pair_per_learner"]


def enrollment_backend_get(name: str | None = None) -> EnrollmentBackend:
    """The configured backend. An unknown name, or ``lms`` without its settings, raises
    ``EnrollmentBackendNotConfigured`` (an ``ImproperlyConfigured``, answered as a JSON 503) naming them.
    ``enrollments.checks`` reports the same at start.
    """
    name = name or settings.ENROLLMENT_BACKEND
    if name == "local":
        from enrollments.backends.local import LocalEnrollmentBackend

        return LocalEnrollmentBackend()
    if name == "lms":
        from enrollments.backends.lms import LmsEnrollmentBackend
        from enrollments.lms import LmsClient

        return LmsEnrollmentBackend(client=LmsClient.from_settings())
    raise EnrollmentBackendNotConfigured(f"ENROLLMENT_BACKEND must be 'local' or 'lms', not {name!r}.")
