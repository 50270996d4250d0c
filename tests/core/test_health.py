"""/health/ in the Open edX IDA shape: each configured component, 503 when one is down, never slow.

Real outages: Redis cache and broker at a dead port, the database at a dead port (SQLite: the driver
refuses the cursor, see test_outages).
"""

import socket
import time
from typing import Any

import pytest
from rest_framework import status

from tests.core.conftest import DEAD_REDIS

pytestmark = pytest.mark.django_db

LIVE_REDIS = "redis://127.0.0.1:6379/4"


def health(api_client: Any) -> tuple[int, dict[str, Any]]:
    started = time.monotonic()
    response = api_client.get("/health/")
    assert time.monotonic() - started < 5, "health answers within seconds, whatever is down"
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.fixture
def live_redis() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("SKIPPED: needs Redis on 127.0.0.1:6379")
    return LIVE_REDIS


def test_all_up_without_a_broker_is_ok_in_the_ida_shape(api_client, settings):
    settings.CELERY_BROKER_URL = None
    code, body = health(api_client)
    assert code == status.HTTP_200_OK
    assert body == {
        "status": "OK",
        "overall_status": "OK",
        "detailed_status": {"database_status": "OK", "cache_status": "OK"},
    }


def test_all_up_with_a_redis_cache_and_broker(api_client, settings, live_redis):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": live_redis}}
    settings.CELERY_BROKER_URL = live_redis
    code, body = health(api_client)
    assert code == status.HTTP_200_OK
    assert body["detailed_status"] == {"database_status": "OK", "cache_status": "OK", "broker_status": "OK"}
    assert body["overall_status"] == body["status"] == "OK"


@pytest.mark.django_db(transaction=True)  # a connection is cut: no test transaction around it
def test_database_down_is_503(api_client, database_down):
    code, body = health(api_client)
    assert code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert body["overall_status"] == body["status"] == "UNAVAILABLE"
    assert body["detailed_status"] == {"database_status": "UNAVAILABLE", "cache_status": "OK"}


def test_cache_down_is_503(api_client, cache_down):
    # Fails on the old code: /health/ said OK while every API call was a 500.
    code, body = health(api_client)
    assert code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert body["overall_status"] == "UNAVAILABLE"
    assert body["detailed_status"] == {"database_status": "OK", "cache_status": "UNAVAILABLE"}


def test_broker_down_is_503(api_client, settings):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    code, body = health(api_client)
    assert code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert body["detailed_status"] == {"database_status": "OK", "cache_status": "OK", "broker_status": "UNAVAILABLE"}


def test_an_amqp_broker_at_a_dead_port_is_503(api_client, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    code, body = health(api_client)
    assert code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert body["detailed_status"]["broker_status"] == "UNAVAILABLE"


@pytest.mark.django_db(transaction=True)  # a connection is cut: no test transaction around it
def test_everything_down_reports_each_component_and_stays_fast(api_client, settings, database_down, cache_down):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    code, body = health(api_client)
    assert code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert body["detailed_status"] == {
        "database_status": "UNAVAILABLE",
        "cache_status": "UNAVAILABLE",
        "broker_status": "UNAVAILABLE",
    }


def test_the_schema_documents_the_health_shape_and_a_503_on_every_operation(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    health_responses = schema["paths"]["/health/"]["get"]["responses"]
    for code in ("200", "503"):
        assert health_responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Health"
        }
    assert set(schema["components"]["schemas"]["HealthDetails"]["properties"]) == {
        "database_status",
        "cache_status",
        "broker_status",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "503" in operation["responses"], (method, path)
