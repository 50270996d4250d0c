"""A sync queued through the API runs on a real `celery worker` process, over Redis.

The worker logs JSON lines only, and carries the request id of the API call that queued the sync
into its log lines and its calls to Discovery.

The worker is another process: it must see the same database (PostgreSQL, committed data, hence a
transactional test) and a fake Discovery served over real local HTTP. The test starts the worker,
waits for the SyncRun to finish and always stops the worker.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from kombu import pools as kombu_pools
from rest_framework import status

from programs.models import Program, SyncRun
from settings.celery import app as celery_app
from tests.programs.fake_discovery import FakeDiscovery
from tests.programs.test_sync import DEMO_2T2023, sample_catalog

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own, so that no other worker on the machine takes this test's task.
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
WAIT_SECONDS = 90
REQUEST_ID = "0b6bd6a3f0c94d2c8f1a3c7e5d9b2a41"


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def broker():  # type: ignore[no-untyped-def]
    """Point this process's Celery app at Redis (tests otherwise run tasks in-process)."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SKIPPED: the real-worker test needs PostgreSQL (DATABASE_URL=postgres://...): "
            "a worker process cannot see an in-memory SQLite test database"
        )
    if not _redis_is_up():
        pytest.skip("SKIPPED: the real-worker test needs Redis on 127.0.0.1:6379")
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=BROKER_URL)
    _reset_connections()
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")  # leftovers of an interrupted run
    yield BROKER_URL
    celery_app.conf.update(**saved)
    _reset_connections()


def _reset_connections() -> None:
    """Drop pooled broker connections so the next publish connects to the current broker_url."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()  # producer pools are cached per connection, process-wide (a closed one would stay)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_sync_queued_through_the_api_runs_on_a_real_worker(broker, jwt_client, settings, tmp_path):
    fake = FakeDiscovery()
    uuid = sample_catalog(fake)
    with fake.serve() as base_url:
        settings.DISCOVERY_API_URL = f"{base_url}/api/v1/"
        settings.OAUTH2_PROVIDER_URL = base_url
        settings.OAUTH2_CLIENT_ID = "credentials-status"
        settings.OAUTH2_CLIENT_SECRET = "secret"
        env = {
            **os.environ,
            # settings.local logs to stdout (settings.test logs nowhere); DEBUG off as in production.
            "DJANGO_SETTINGS_MODULE": "settings.local",
            "DEBUG": "false",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker,
            "DISCOVERY_API_URL": settings.DISCOVERY_API_URL,
            "OAUTH2_PROVIDER_URL": base_url,
            "OAUTH2_CLIENT_ID": "credentials-status",
            "OAUTH2_CLIENT_SECRET": "secret",
            "LOG_LEVEL": "INFO",
        }
        log_path = tmp_path / "worker.log"
        with open(log_path, "wb") as log_file:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "--quiet",
                    "-A",
                    "settings",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            try:
                publisher = jwt_client("publisher", roles=["catalog_publishers"])
                response = publisher.post("/api/programs/v1/syncs/", {}, format="json", HTTP_X_REQUEST_ID=REQUEST_ID)
                assert response.status_code == status.HTTP_202_ACCEPTED, response.json()
                assert response["X-Request-ID"] == REQUEST_ID
                assert response.json()["status"] == "queued"  # queued to Redis, not run in this process

                sync_run = SyncRun.objects.get(pk=response.json()["id"])
                deadline = time.monotonic() + WAIT_SECONDS
                while sync_run.status not in ("succeeded", "aborted", "failed") and time.monotonic() < deadline:
                    assert worker.poll() is None, f"the worker died:\n{log_path.read_text()[-3000:]}"
                    time.sleep(0.5)
                    sync_run.refresh_from_db()
            finally:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(timeout=10)

    log = log_path.read_text()
    assert sync_run.status == "succeeded", f"{sync_run.status}: {sync_run.error}\n{log[-3000:]}"
    assert sync_run.attempts == 1 and sync_run.counts["created"] == 1
    lines = [json.loads(line) for line in log.splitlines()]  # JSON only: any other line fails here
    assert all(line["time"].endswith("+00:00") for line in lines)
    task_lines = [line for line in lines if line.get("task_name") == "programs.tasks.program_sync_run"]
    assert task_lines and {line["request_id"] for line in task_lines} == {REQUEST_ID}
    assert all(line["task_id"] for line in task_lines)
    assert "succeeded" in log
    assert fake.request_ids and set(fake.request_ids) == {REQUEST_ID}, "Discovery sees the request id"
    assert fake.tokens_issued == 1
    assert Program.objects.get(uuid=uuid).excluded_course_runs.get().key == DEMO_2T2023
