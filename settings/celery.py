"""The Celery app. Without CELERY_BROKER_URL tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."""

import logging
import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun, worker_ready, worker_shutting_down

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.local")

app = Celery("credentials_status")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _in_process_broker(sender: Celery, **kwargs: object) -> None:
    """Without a broker, tasks run in-process but still take a producer: give it kombu's in-memory
    transport, which needs no server (the default, AMQP on localhost, made kombu warn "No hostname
    was supplied" on every task of ``make run``). ``settings.CELERY_BROKER_URL`` stays unset."""
    if sender.conf.task_always_eager and not sender.conf.broker_url:
        sender.conf.broker_url = "memory://localhost/"


@setup_logging.connect
def _log_like_django(**kwargs: object) -> None:
    """Worker and beat log with Django's LOGGING (JSON lines) instead of Celery's text format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@worker_ready.connect
def _shutdown_without_plain_text(sender: Any, **kwargs: object) -> None:
    """SIGTERM stops the worker as before, logging ``worker_shutting_down`` instead of printing text.

    Celery's handler prints "worker: Warm shutdown (MainProcess)" to stdout whatever ``--quiet``
    says; the same handler installed with ``verbose=False`` keeps every line of the output JSON.
    """
    from celery.apps.worker import install_worker_term_handler

    install_worker_term_handler(sender.controller, verbose=False)


@worker_shutting_down.connect
def _log_shutdown(sig: str, how: str, **kwargs: object) -> None:
    logging.getLogger("celery.worker").info("worker_shutting_down", extra={"signal": sig, "how": how})


@task_prerun.connect
@task_postrun.connect
def _database_connections_recycle(sender: Any = None, **kwargs: object) -> None:
    """Before and after a worker's task, what Django does around a web request: a connection past
    ``CONN_MAX_AGE``, or one that broke, is closed (the next query opens a new one); any other is kept
    (``CELERY_DB_REUSE_MAX`` stops Celery from closing it). Never for a task run in-process, whose
    connection is the caller's."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
