"""Exception classes shared by every app; ``core.errors`` renders them."""

from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class LearnerIdentityConflict(Conflict):
    default_detail = "The username and LMS user id name different learners."
    default_code = "learner_identity_conflict"


class InvalidLearnerIdentity(exceptions.ValidationError):
    """Identifiers no learner row can hold (empty or over-long username, NUL, out-of-range id): a 400."""

    default_detail = "The learner's identifiers are not valid."
    default_code = "invalid_learner_identity"


# A connection refused, dropped (pg_terminate_backend, a restart, a failover) or timed out, a lock
# wait given up: the request may succeed if sent again, so the answer is a 503, not a 500.
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds a client is asked to wait (``Retry-After``) when the database does not answer.
DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(exceptions.APIException):
    """The database refused, dropped or timed out a connection: a 503 with ``Retry-After``, never a 401 or 500.

    ``core.errors`` answers with it for every ``django.db.OperationalError`` and ``InterfaceError``,
    in DRF views (authentication included) and outside them. ``wait`` makes DRF send ``Retry-After``.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service's database is unavailable. Try again shortly."
    default_code = "database_unavailable"
    wait = DATABASE_RETRY_AFTER_SECONDS
