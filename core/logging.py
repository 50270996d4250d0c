"""The log format of every process: one JSON object per line (settings.base.LOGGING uses these).

A line holds ``time`` (ISO-8601, UTC), ``level``, ``logger``, ``message``, the record's ``extra``
fields, ``request_id`` and, inside a Celery task, ``task_name`` and ``task_id``.
"""

import logging

from celery import current_task
from django_guid import get_guid
from pythonjsonlogger.json import JsonFormatter


def json_formatter() -> JsonFormatter:
    """The JSON formatter of every process (the ``json`` formatter of ``settings.base.LOGGING``)."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and, inside a Celery task, ``task_name`` and ``task_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = get_guid()
        if current_task and current_task.request.id and not hasattr(record, "task_id"):
            record.task_id = current_task.request.id
            record.task_name = current_task.name
        return True
