"""Component checks behind ``/health/``, each bounded in time.

``service_health()`` returns the Open edX IDA shape (the Credentials service's ``/health/``)::

    {"overall_status": "OK", "detailed_status": {"database_status": "OK", "cache_status": "OK",
     "broker_status": "OK"}}

``broker_status`` only when ``CELERY_BROKER_URL`` is set (without it tasks run in-process). A component
that fails its check is ``"UNAVAILABLE"``, and so is ``overall_status``. A check never waits long:
the database connection has a connect timeout (``settings.base``), the Redis cache 1 s socket
timeouts, the broker ``BROKER_TIMEOUT_SECONDS`` and no retry.
"""

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

log = logging.getLogger(__name__)

OK = "OK"
UNAVAILABLE = "UNAVAILABLE"
BROKER_TIMEOUT_SECONDS = 2.0


def database_ok() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_ok() -> None:
    """A round trip: a value written is read back (a cache that drops writes is not working)."""
    key, value = "health-check", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return the value just written")


def broker_ok() -> None:
    options = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": BROKER_TIMEOUT_SECONDS}
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)


def _status(component: str, check: Callable[[], None]) -> str:
    try:
        check()
    # A health check reports every failure, whatever raised it (driver, socket, misconfiguration):
    # answering 500 here would hide which component is down.
    except Exception as exc:
        log.error(
            "health_component_unavailable", extra={"component": component, "error": f"{type(exc).__name__}: {exc}"}
        )
        return UNAVAILABLE
    return OK


def service_health() -> dict[str, object]:
    """The ``/health/`` body; ``overall_status`` is OK only when every configured component is."""
    detailed = {"database_status": _status("database", database_ok), "cache_status": _status("cache", cache_ok)}
    if settings.CELERY_BROKER_URL:
        detailed["broker_status"] = _status("broker", broker_ok)
    overall = OK if all(value == OK for value in detailed.values()) else UNAVAILABLE
    return {"overall_status": overall, "detailed_status": detailed}
