"""Helpers shared by the benchmarks: timing, query counting, authenticated clients."""

import statistics
import time
from collections.abc import Callable

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.jwt import encode_jwt


def client_for(username: str, **claims: object) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username=username, **claims)}")  # type: ignore[arg-type]
    return client


def measure(call: Callable[[], object], *, repeat: int) -> tuple[float, float, float]:
    """(median, p95, max) latency in milliseconds over ``repeat`` calls, after one warm-up call."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], samples[-1]


def count_queries(call: Callable[[], object]) -> int:
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)
