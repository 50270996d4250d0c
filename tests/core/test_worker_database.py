"""A Celery worker keeps its database connection between tasks, as the web processes do.

Celery closes it after every task unless ``CELERY_DB_REUSE_MAX`` is set; ``settings.celery`` then
closes it around a task only when ``CONN_MAX_AGE`` has passed or it broke (bench/horizontal.py
measures what a new PostgreSQL backend per task costs).
"""

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from credit.tasks import credit_eligibility_email_send_task
from settings.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def _task_finished() -> None:
    """The signals a worker sends around a task it took from the broker (not run in-process)."""
    task = credit_eligibility_email_send_task
    assert not task.request.is_eager
    task_prerun.send(sender=task, task_id="t-1", task=task, args=(1,), kwargs={})
    task_postrun.send(sender=task, task_id="t-1", task=task, args=(1,), kwargs={}, retval=True, state="SUCCESS")


def test_celery_itself_closes_no_connection_after_a_task():
    assert DjangoWorkerFixup(app).db_reuse_max >= 1000


def test_a_connection_younger_than_conn_max_age_is_kept_across_tasks():
    connection.ensure_connection()
    connection.close_at = time.monotonic() + 300
    kept = connection.connection
    _task_finished()
    assert connection.connection is kept


@pytest.mark.postgres
def test_a_connection_past_conn_max_age_is_closed_after_a_task():
    if connection.vendor != "postgresql":
        # Django never closes an in-memory SQLite database.
        pytest.skip("LOUD SKIP: closing a connection needs PostgreSQL (DATABASE_URL=postgres://...)")
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1
    _task_finished()
    assert connection.connection is None
    connection.ensure_connection()  # the next query opens a new one
