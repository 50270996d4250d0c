"""The consumer as operators run it: ``manage.py consume_events`` in its own process, through a database outage.

PostgreSQL only: the consumer process must see the test database (committed data, a transactional
test), and the outage is real: the database stops accepting connections and the consumer's are cut.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from openedx_events.learning.signals import CERTIFICATE_CREATED

from credentials_status.models import CourseRunCredential
from tests.events.lms import REDIS_URL, TOPIC, LmsProducer, certificate_data, user_data
from tests.factories import CourseRunFactory

ROOT = Path(__file__).resolve().parents[2]
RUN = "course-v1:edX+DemoX+1T2024"
GROUP = "credentials-status"
WAIT_SECONDS = 60

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SKIPPED: the consumer-process test needs PostgreSQL (DATABASE_URL=postgres://...): "
            "another process cannot see an in-memory SQLite test database"
        )


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _connections_allowed(allowed: bool) -> None:
    """Open or close the test database to new connections; closing also cuts the sessions of other processes.

    Run from a session on the ``postgres`` database (PostgreSQL refuses it from the database itself);
    this test's own session stays, so that it can look at the records meanwhile.
    """
    import psycopg

    db = connection.settings_dict
    name = db["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    with psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"true" if allowed else "false"}')
        if not allowed:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                [name, own_pid],
            )


def _wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert process.poll() is None, f"the consumer exited while waiting for {what}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


@pytest.fixture
def consumer(postgres: None, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts ``consume_events`` processes (same consumer name each time) and stops them all at the end."""
    env = {
        **os.environ,
        # The settings operators run with (logs on stderr), polling and retrying every second.
        "DJANGO_SETTINGS_MODULE": "settings.production",
        "SECRET_KEY": "consumer-test-" + "k" * 40,
        "ALLOWED_HOSTS": "localhost",
        "JWT_SECRET_KEY": "consumer-test-jwt-" + "s" * 40,
        "JWT_ISSUER": "http://127.0.0.1:8000/oauth2",
        "JWT_AUDIENCE": "credentials-status",
        "CACHE_URL": REDIS_URL,
        "DATABASE_URL": _database_url(),
        "EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT": "1",
        "EVENT_BUS_REDIS_CONSUMER_POLL_FAILURE_SLEEP": "0.1",
        "EVENT_BUS_DATABASE_RETRY_MAX_SECONDS": "1",
        "EVENT_BUS_REDIS_CONNECTION_URL": REDIS_URL,
        "EVENT_BUS_TOPIC_PREFIX": settings.EVENT_BUS_TOPIC_PREFIX,
    }
    env.pop("EVENT_BUS_CONSUMER", None)
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        with open(tmp_path / "consumer.log", "ab") as log:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                [sys.executable, "manage.py", "consume_events", "-t", TOPIC, "-g", GROUP],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    try:
        yield start
    finally:
        _connections_allowed(True)
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def test_a_database_outage_stops_consumption_without_acknowledging_and_it_resumes(
    lms: LmsProducer, consumer: Any, tmp_path: Path
) -> None:
    CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")
    log = tmp_path / "consumer.log"
    log.touch()
    first = consumer()
    lms.send(CERTIFICATE_CREATED, certificate=certificate_data(user_data(lms_user_id=1, username="ana"), RUN))
    _wait_for(lambda: CourseRunCredential.objects.filter(learner__username="ana").exists(), "ana", first, log)

    _connections_allowed(False)
    try:
        sent_at = datetime.now(UTC)
        lms.send(CERTIFICATE_CREATED, certificate=certificate_data(user_data(lms_user_id=2, username="bo"), RUN))
        # Delivered to the consumer, which holds it unacknowledged while it cannot reach the database.
        _wait_for(lambda: lms.group_state(GROUP)["pending"] == 1, "the event to be delivered", first, log)
        time.sleep(2)
        assert lms.group_state(GROUP)["pending"] == 1, log.read_text()[-3000:]
        assert "event_database_wait" in log.read_text()
        # The process dies during the outage (a deploy, the OOM killer): the event stays pending.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert lms.group_state(GROUP)["pending"] == 1
    finally:
        _connections_allowed(True)

    second = consumer()  # same consumer name: it first re-reads what was delivered to it
    _wait_for(lambda: CourseRunCredential.objects.filter(learner__username="bo").exists(), "bo", second, log)
    _wait_for(lambda: lms.group_state(GROUP)["pending"] == 0, "the acknowledgement", second, log)
    credential = CourseRunCredential.objects.get(learner__username="bo")
    assert (credential.status, credential.source) == ("awarded", "event")
    assert credential.source_time is not None and credential.source_time <= sent_at.replace(microsecond=999999)


def test_an_outage_without_a_restart_resumes_by_itself(lms: LmsProducer, consumer: Any, tmp_path: Path) -> None:
    CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")
    log = tmp_path / "consumer.log"
    log.touch()
    process = consumer()
    lms.send(CERTIFICATE_CREATED, certificate=certificate_data(user_data(lms_user_id=1, username="ana"), RUN))
    _wait_for(lambda: CourseRunCredential.objects.exists(), "the first event", process, log)

    _connections_allowed(False)
    try:
        lms.send(CERTIFICATE_CREATED, certificate=certificate_data(user_data(lms_user_id=2, username="bo"), RUN))
        _wait_for(lambda: "event_database_wait" in log.read_text(), "the outage to be noticed", process, log)
        assert lms.group_state(GROUP)["pending"] == 1
    finally:
        _connections_allowed(True)
    _wait_for(lambda: CourseRunCredential.objects.count() == 2, "the held event", process, log)
    _wait_for(lambda: lms.group_state(GROUP)["pending"] == 0, "the acknowledgement", process, log)
