"""Run calls in threads that start together: the concurrency tests' one harness (PostgreSQL and MySQL runs)."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections


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


# One race test on both server databases: CI's PostgreSQL run selects the first case (`-m "not mysql"`),
# its MariaDB run the second (`-m "not postgres"`), and its SQLite run neither.
ON_POSTGRESQL_AND_MARIADB = pytest.mark.parametrize(
    "server_database",
    [
        pytest.param("postgresql", marks=pytest.mark.postgres, id="postgresql"),
        pytest.param("mysql", marks=pytest.mark.mysql, id="mariadb"),
    ],
)


def skip_unless_on(server_database: str) -> None:
    """Skip (loudly; CI turns a skip into a failure) unless the tests run on ``server_database``."""
    if connection.vendor != server_database:
        pytest.skip(f"LOUD SKIP: needs {server_database} (DATABASE_URL=...), the tests run on {connection.vendor}")


def another_session_waits_for_a_lock() -> bool:
    """True when another database session is blocked on a row lock (PostgreSQL or MySQL/MariaDB)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid())")
        else:
            cursor.execute("SELECT COUNT(*) > 0 FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'")
        return bool(cursor.fetchone()[0])
