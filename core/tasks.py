"""Queueing follow-up work after a write: the write stands even when the task broker does not answer."""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger(__name__)


def task_enqueue(task: Task, /, *args: Any, **kwargs: Any) -> bool:
    """Queue ``task`` now; a broker that refuses the message is logged (``task_queue_failed``), not raised.

    For follow-up work whose write is already committed: a learner's first request or a bulk
    enrollment must not answer 500 because the broker is down. What such a task does must be safe to
    miss or redo later (pending rows are realised again at the next arrival; a missed notification is
    the log's to report). True when queued.
    """
    try:
        task.delay(*args, **kwargs)
    except BrokerError as exc:
        log.error("task_queue_failed", extra={"task": task.name, "error": str(exc)})
        return False
    return True


def task_enqueue_on_commit(task: Task, /, *args: Any, **kwargs: Any) -> None:
    """``task_enqueue`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task_enqueue(task, *args, **kwargs))
