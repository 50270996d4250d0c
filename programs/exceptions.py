"""Errors of the catalog."""

from rest_framework import exceptions, status

from core.exceptions import Conflict


class InvalidCourseRunKey(exceptions.ValidationError):
    default_detail = "Not a valid course run key."
    default_code = "invalid_course_run_key"


class SyncNotConfigured(exceptions.APIException):
    """The Discovery sync is disabled because DISCOVERY_API_URL (or the OAuth2 client) is unset."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The Discovery sync is not configured: set DISCOVERY_API_URL and the OAUTH2_* settings."
    default_code = "sync_not_configured"


class SyncQueueUnavailable(exceptions.APIException):
    """The sync was recorded but could not be handed to the task broker (Celery broker down)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The sync could not be queued: the task broker is unavailable. Try again later."
    default_code = "sync_queue_unavailable"

    def __init__(self, detail: str | None = None, *, sync_run_id: int | None = None) -> None:
        super().__init__(detail)
        self.sync_run_id = sync_run_id


class ProgramIsSynced(Conflict):
    """Discovery is the source of truth of a synced program: this service does not edit it."""

    default_detail = "This program is synced from Discovery; change it there."
    default_code = "program_synced_from_discovery"


class ProgramExists(Conflict):
    default_detail = "A program with this uuid exists."
    default_code = "program_exists"


class InvalidExclusion(exceptions.ValidationError):
    default_detail = "An excluded course run must be a run of one of the program's courses."
    default_code = "invalid_exclusion"


class SyncAborted(Exception):
    """A sync stopped before applying anything: it would retire too large a share of the programs."""

    def __init__(self, message: str, *, would_retire: int, total: int) -> None:
        super().__init__(message)
        self.would_retire = would_retire
        self.total = total
