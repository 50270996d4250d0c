"""Outages are answered as what they are: a database or cache that does not answer is never a 401 or a 500.

Real outages where the machine allows them: a PostgreSQL backend terminated mid-request
(``pg_terminate_backend``), a MariaDB connection killed (``KILL``), a database URL pointing at a dead
port, a Redis cache at a dead port. SQLite's test database lives in memory and cannot be cut off, so
on SQLite the database outage is the driver's own ``OperationalError`` raised when a cursor opens.
"""

import logging
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import OperationalError, close_old_connections, connection, connections
from django.test import Client
from rest_framework import status
from rest_framework.test import APIClient

from core.jwt import encode_jwt
from credentials_status.models import CourseRunCredential
from tests.credit.factories import CreditProviderFactory
from tests.factories import UserFactory

# Autocommit, as in production: a connection can be cut without a test transaction around it.
database_outage = pytest.mark.django_db(transaction=True)

PROGRAMS = "/api/credentials/v1/learners/ana/programs/"


def jwt_for(username: str, **claims: Any) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username=username, **claims)}")
    return client


def assert_database_unavailable(response: Any) -> None:
    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["code"], body["status"], body["title"]) == ("database-unavailable", 503, "Database Unavailable")
    assert "Try again" in body["detail"]


@database_outage
@pytest.mark.parametrize("claims", [{}, {"lms_user_id": 41}], ids=["username-only", "with-user-id"])
def test_a_valid_jwt_while_the_database_is_down_is_a_503_not_a_401(database_down, claims):
    # Fails on the old code: a 401 "User retrieval failed" (clients drop a good token), or a 500.
    response = jwt_for("ana", **claims).get(PROGRAMS)
    assert_database_unavailable(response)


@database_outage
def test_the_jwt_cookie_while_the_database_is_down_is_a_503_not_anonymous(database_down):
    client = APIClient(raise_request_exception=False)
    client.cookies["edx-jwt-cookie"] = encode_jwt(username="ana")
    assert_database_unavailable(client.get(PROGRAMS))


@database_outage
def test_sign_in_while_the_database_is_down_is_a_json_503(database_down):
    # Outside DRF (the sign-in form, sessions): Django's own error path.
    client = Client(raise_request_exception=False)
    response = client.post("/support/login/", {"username": "agent", "password": "correct horse"})
    assert_database_unavailable(response)


def _cut_connection_at_first_query_of(table: str) -> Any:
    """An execute wrapper that kills this connection's server session just before it queries ``table``."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if vendor == "postgresql" else "SELECT CONNECTION_ID()")
        session_id = cursor.fetchone()[0]
    killed: list[bool] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if not killed and table in sql:
            killed.append(True)
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    if vendor == "postgresql":
                        cursor.execute("SELECT pg_terminate_backend(%s)", [session_id])
                    else:
                        cursor.execute(f"KILL {int(session_id)}")
            finally:
                other.close()
        return execute(sql, params, many, context)

    return wrapper


CREDENTIALS = "/api/credentials/v1/course_run_credentials/"
CREDENTIAL = {"username": "ana", "lms_user_id": 7, "course_run_key": "course-v1:edX+Cut+1T2026", "status": "awarded"}


def _connection_killed_mid_request(scenario: str) -> None:
    """``authentication``: while the JWT's user is read; ``write``: inside the credential upsert."""
    UserFactory(username="ana", lms_user_id=7)
    if scenario == "authentication":
        client, table, send = jwt_for("ana"), "core_user", lambda c: c.get(PROGRAMS)
        done = status.HTTP_200_OK
    else:
        issuer = UserFactory(username="lms_worker")
        issuer.groups.add(Group.objects.get_or_create(name="credential_issuers")[0])
        client, table = jwt_for("lms_worker"), "credentials_status_courseruncredential"
        send, done = (lambda c: c.post(CREDENTIALS, CREDENTIAL | {"type": "verified"}, format="json")), 201
    try:
        with connection.execute_wrapper(_cut_connection_at_first_query_of(table)):
            response = send(client)
    finally:
        # As at the end of every real request: the broken connection is dropped, the next one is fresh.
        close_old_connections()
    assert_database_unavailable(response)
    assert not CourseRunCredential.objects.exists()
    assert send(client).status_code == done


@database_outage
@pytest.mark.postgres
@pytest.mark.parametrize("scenario", ["authentication", "write"])
def test_a_postgresql_connection_terminated_mid_request_is_a_503_and_the_next_request_works(scenario):
    # Fails on the old code: 401 "User retrieval failed" (or a 500 after authentication).
    if connection.vendor != "postgresql":
        pytest.skip("LOUD SKIP: pg_terminate_backend needs PostgreSQL (DATABASE_URL=postgres://...)")
    _connection_killed_mid_request(scenario)


@database_outage
@pytest.mark.mysql
@pytest.mark.parametrize("scenario", ["authentication", "write"])
def test_a_mariadb_connection_killed_mid_request_is_a_503_and_the_next_request_works(scenario):
    if connection.vendor != "mysql":
        pytest.skip("LOUD SKIP: KILL needs MySQL/MariaDB (DATABASE_URL=mysql://...)")
    _connection_killed_mid_request(scenario)


@pytest.mark.django_db
def test_a_query_failing_after_authentication_is_a_503():
    UserFactory(username="ana")
    dropped = OperationalError("server closed the connection unexpectedly")
    with mock.patch("credentials_status.rest_api.v1.views.learner_programs", side_effect=dropped):
        assert_database_unavailable(jwt_for("ana").get(PROGRAMS))


@pytest.mark.django_db
def test_api_calls_go_on_while_the_cache_is_down_and_the_outage_is_logged(cache_down, caplog):
    # Fails on the old code: every throttled call was a 500 (redis ConnectionError).
    UserFactory(username="ana")
    with caplog.at_level(logging.ERROR, logger="core.throttling"):
        response = jwt_for("ana").get(PROGRAMS)
    assert response.status_code == status.HTTP_200_OK
    assert "throttle_cache_unavailable" in caplog.messages
    # The provider exists, so the throttled callback reaches its body checks (an unknown one is 404 first).
    CreditProviderFactory(provider_id="hogwarts")
    callback = APIClient(raise_request_exception=False).post(
        "/api/credit/v1/providers/hogwarts/callback/", {}, format="json"
    )
    assert callback.status_code == status.HTTP_400_BAD_REQUEST


@pytest.mark.django_db
def test_sign_in_works_while_the_cache_is_down_and_the_outage_is_logged(cache_down, caplog):
    # Fails on the old code: the sign-in form answered 500.
    agent = UserFactory(username="agent", is_staff=True)
    agent.set_password("correct horse")
    agent.save()
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="core.backends"):
        wrong = client.post("/support/login/", {"username": "agent", "password": "guess"})
        right = client.post("/support/login/", {"username": "agent", "password": "correct horse"})
    assert wrong.status_code == status.HTTP_200_OK
    assert right.status_code == status.HTTP_302_FOUND
    assert "login_lockout_cache_unavailable" in caplog.messages
