"""Outages for the core tests: a database and a Redis cache that stop answering."""

import sqlite3
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import connection

# Nothing listens on port 1: a connection there is refused at once (Redis DB 4 is this suite's).
DEAD_REDIS = "redis://127.0.0.1:1/4"


@pytest.fixture
def database_down() -> Iterator[None]:
    """The database stops answering: new connections go to a dead port (SQLite: the driver refuses)."""
    if connection.vendor == "sqlite":
        refused = sqlite3.OperationalError("unable to open database file")
        with mock.patch.object(connection, "create_cursor", side_effect=refused):
            yield
        return
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.fixture
def cache_down(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
