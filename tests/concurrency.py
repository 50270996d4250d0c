"""Run calls in threads that start together: the concurrency tests' one harness (PostgreSQL and MySQL runs)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_together(*calls: Callable[[], Any], timeout: float = 30) -> tuple[list[Any], list[BaseException]]:
    """Start every call at one barrier, each in its own thread with its own database connection.

    Returns the calls' results (in completion order) and the exceptions they raised; a thread never
    swallows one. Connections are closed in each thread, so the test database can be dropped.
    """
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a concurrent call did not finish"
    return results, errors
