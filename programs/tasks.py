"""Celery tasks of the programs app: run a recorded Discovery sync, and the periodic sync.

Retries follow the one task retry policy (``core.upstream.TASK_RETRY``, Celery's ``autoretry_for``
with backoff and jitter): transient upstream failures (timeout, connection, 5xx, 429) are retried,
a 429 no sooner than the ``Retry-After`` Discovery asked for; permanent ones (401/403/404/other
4xx) and the retire guard are never retried: the SyncRun records them. Without a broker (tasks run
in-process) Celery retries at once, so a 429 is not retried: the SyncRun fails saying when to retry.
"""

import logging

from celery import shared_task
from celery.app.task import Task
from django.conf import settings

from core.upstream import TASK_RETRY
from programs.discovery import DiscoveryNotConfigured, UpstreamRateLimited, discovery_config_from_settings
from programs.exceptions import SyncQueueUnavailable
from programs.services import sync_run_execute, sync_run_request

log = logging.getLogger(__name__)


# Stopped (SoftTimeLimitExceeded: recorded failed) at the age after which a "running" sync counts as
# dead (services.sync_run_fail_stale), so that rule never fails a live sync run by a worker.
@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=settings.PROGRAM_SYNC_STALE_MINUTES * 60,
    name="programs.tasks.program_sync_run",
    **TASK_RETRY.task_options(),
)
def program_sync_run(self: Task, sync_run_id: int) -> str:
    """Execute SyncRun ``sync_run_id``; returns its final status."""
    final_attempt = self.request.retries >= self.max_retries
    try:
        # In-process (no broker) a retry cannot wait for Retry-After: a 429 fails the sync, saying when.
        sync_run, _ = sync_run_execute(
            sync_run_id=sync_run_id, final_attempt=final_attempt, retry_rate_limited=not self.request.is_eager
        )
    except TASK_RETRY.autoretry_for as exc:
        if self.request.is_eager:
            # No broker (local use, tests): Celery's eager retry would propagate as an error (eager
            # tasks propagate exceptions), so retry a timeout or a 5xx at once, in this process.
            return str(self.apply(args=[sync_run_id], retries=self.request.retries + 1).result)
        if not isinstance(exc, UpstreamRateLimited) or exc.retry_after is None:
            raise  # Celery's autoretry: the policy's backoff and jitter
        countdown = TASK_RETRY.countdown(self.request.retries, exc)
        log.warning(
            "program_sync_retry",
            extra={"sync_run_id": sync_run_id, "retries": self.request.retries, "countdown": round(countdown, 1)},
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    return sync_run.status


@shared_task(name="programs.tasks.program_sync_scheduled")
def program_sync_scheduled() -> int | None:
    """Celery beat entry (every PROGRAM_SYNC_INTERVAL_MINUTES): queue a full sync when configured.

    Returns the SyncRun id; when the broker refused the message that SyncRun is ``failed``.
    """
    try:
        discovery_config_from_settings()
    except DiscoveryNotConfigured as exc:
        log.info("program_sync_not_configured", extra={"reason": str(exc)})
        return None
    try:
        return sync_run_request(requested_by="", trigger="schedule").pk
    except SyncQueueUnavailable as exc:  # recorded as failed; the next beat tick tries again
        return exc.sync_run_id
