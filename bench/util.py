"""Helpers shared by the benchmarks: timing, query counting, authenticated clients."""

import gc
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

if TYPE_CHECKING:
    from rest_framework.test import APIClient

T = TypeVar("T")


def client_for(username: str, **claims: object) -> "APIClient":
    # Imported here: DRF's test module reads the settings, and bench/http_load.py and bench/horizontal.py
    # use this module's database helpers before Django is set up.
    from rest_framework.test import APIClient

    from core.jwt import encode_jwt

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username=username, **claims)}")  # type: ignore[arg-type]
    return client


def served_post(path: str, body: bytes, authorization: str, *, without: str | None = None) -> Callable[[], bytes]:
    """A call that POSTs ``body`` to Django's WSGI handler as gunicorn does (the answer read, then closed) and
    gives the answer's bytes (a non-200 fails it). Unlike the test client, which ties each response to itself
    (``response.json``) so that every answer waits for the garbage collector, a served answer is freed as it is
    sent, as in a worker (``core.middleware.ReleaseRenderedResponseMiddleware``). The database connection is
    kept from one call to the next, as the test client keeps it. ``without``: a middleware left out."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test.client import RequestFactory
    from django.test.utils import override_settings

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with override_settings(MIDDLEWARE=[name for name in settings.MIDDLEWARE if name != without]):
        handler = WSGIHandler()  # its middleware chain is built here
    factory = RequestFactory()

    def call() -> bytes:
        environ = factory.post(path, body, content_type="application/json", HTTP_AUTHORIZATION=authorization).environ
        statuses: list[str] = []
        response = handler(environ, lambda status, headers: statuses.append(status))
        content = b"".join(response)
        response.close()
        assert statuses[0].startswith("200"), (statuses, content[:300])
        return content

    return call


def measure(
    call: Callable[[], object], *, repeat: int, collector: list[float] | None = None
) -> tuple[float, float, float]:
    """(median, p95, max) latency in milliseconds over ``repeat`` calls, after one warm-up call; with
    ``collector``, the milliseconds per call spent in the cyclic garbage collector's collections during the
    timed calls are appended to it, then the longest collection's milliseconds.

    The process's loaded objects (and the benchmark's data) are frozen after the warm-up and young collections
    spaced, as a gunicorn worker does once it has loaded the service (``core.startup.collector_set_for_serving``,
    settings/wsgi.py).
    """
    from core.startup import collector_set_for_serving

    call()
    collector_set_for_serving()
    collecting = [0.0, 0.0, 0.0]  # when the current collection started, milliseconds spent so far, the longest

    def timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[0] = time.perf_counter()
        else:
            spent = (time.perf_counter() - collecting[0]) * 1000
            collecting[1] += spent
            collecting[2] = max(collecting[2], spent)

    if collector is not None:
        gc.callbacks.append(timer)
    samples = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        if collector is not None:
            gc.callbacks.remove(timer)
            collector += [collecting[1] / repeat, collecting[2]]
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], samples[-1]


def count_queries(call: Callable[[], object], *, warm: bool = False) -> int:
    """SQL statements of one call; with ``warm``, of a second call (the first may do one-time work:
    a new token's learner row, caches)."""
    if warm:
        call()
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def db_server_cpu() -> tuple[int, float] | None:
    """(pid, CPU seconds used so far) of this connection's PostgreSQL server process, else ``None``.

    A PostgreSQL backend does the database's work in its own process, which this process's
    ``time.process_time`` does not see; on the same machine ``/proc/<pid>/stat`` tells its user and
    system time (10 ms resolution). ``None`` for other databases (SQLite works inside this process)
    or a remote server.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def timed_cpu(call: Callable[[], T]) -> tuple[float, float, T]:
    """Wall seconds, CPU seconds and value of ``call()``.

    CPU is this process's (``time.process_time``) plus, on PostgreSQL on the same machine, the
    server process's (``db_server_cpu``) when the call kept the connection. A machine shared with
    other work disturbs CPU time far less than wall time.
    """
    server_started = db_server_cpu()
    started, cpu_started = time.perf_counter(), time.process_time()
    value = call()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    server_finished = db_server_cpu()
    if server_started and server_finished and server_started[0] == server_finished[0]:
        cpu += server_finished[1] - server_started[1]
    return wall, cpu, value


def postgres_database_create(database_url: str) -> None:
    """Create the PostgreSQL database ``database_url`` names unless it exists (the benchmarks that own one)."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
