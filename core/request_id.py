"""The request id: one value tying together every log line, task and upstream call of one request.

django-guid's middleware accepts ``X-Request-ID`` when it holds a UUID (any other value, or none,
gets a new one), keeps it in a context variable and echoes it in the response. This module carries
it further: into the headers of every Celery task queued while it is set (the worker adopts it for
the task's log lines), into calls to the LMS and Discovery, and onto log records (``request_id``,
plus ``task_name``/``task_id`` inside a task).
"""

import contextvars
from typing import Any

from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django_guid import get_guid, set_guid
from django_guid.context import guid
from django_guid.utils import generate_guid

REQUEST_ID_HEADER = "X-Request-ID"

# task id -> the request id the task's thread held before the task ran (restored after it).
_previous: dict[str, contextvars.Token[str | None]] = {}


def current_request_id() -> str | None:
    """The request id of the request or task running in this context, if any."""
    return get_guid()


def outbound_headers() -> dict[str, str]:
    """Headers to send upstream so the LMS and Discovery log the same request id ({} outside one)."""
    request_id = get_guid()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


@before_task_publish.connect(dispatch_uid="core.request_id.publish")
def _add_request_id_to_task(headers: dict[str, Any], **kwargs: Any) -> None:
    request_id = get_guid()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id


@task_prerun.connect(dispatch_uid="core.request_id.prerun")
def _adopt_request_id(task_id: str, task: Task, **kwargs: Any) -> None:
    # A worker merges message headers into the request; an eager apply(headers=...) keeps them apart.
    sent = task.request.get(REQUEST_ID_HEADER) or (task.request.headers or {}).get(REQUEST_ID_HEADER)
    if not sent and get_guid():
        # An eager task runs inside the request that queued it: the id is already the request's.
        return
    _previous[task_id] = guid.set(sent or generate_guid())


@task_postrun.connect(dispatch_uid="core.request_id.postrun")
def _restore_request_id(task_id: str, **kwargs: Any) -> None:
    token = _previous.pop(task_id, None)
    if token is not None:
        try:
            guid.reset(token)
        except ValueError:  # set in another context (a pool thread): leave it clean instead
            set_guid(None)  # type: ignore[arg-type]
