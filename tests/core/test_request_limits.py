"""Oversized query strings and headers: a JSON 414/431 from Django, below gunicorn's HTML limits."""

import json
import runpy
import sys
import types
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
COURSES = "/api/programs/v1/courses/"


def test_an_over_long_query_string_is_a_json_414(staff_client):
    response = staff_client.get(COURSES, {"q": "x" * settings.MAX_QUERY_STRING_BYTES})
    assert response.status_code == 414
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "uri-too-long"
    assert str(settings.MAX_QUERY_STRING_BYTES) in body["detail"]


def test_a_query_string_within_the_limit_reaches_the_view(staff_client):
    response = staff_client.get(COURSES, {"page_size": "1", "pad": "x" * (settings.MAX_QUERY_STRING_BYTES - 40)})
    assert response.status_code == 200


def test_an_over_long_header_is_a_json_431_naming_it(staff_client):
    response = staff_client.get(COURSES, HTTP_X_FILLER="x" * (settings.MAX_REQUEST_HEADER_BYTES + 1))
    assert response.status_code == 431
    body = response.json()
    assert body["code"] == "request-header-fields-too-large"
    assert "X-Filler header" in body["detail"]


def test_many_headers_over_the_total_are_a_json_431(staff_client):
    per_header = settings.MAX_REQUEST_HEADER_BYTES // 2
    count = settings.MAX_REQUEST_HEADERS_TOTAL_BYTES // per_header + 1
    headers = {f"HTTP_X_FILLER_{n}": "x" * per_header for n in range(count)}
    response = staff_client.get(COURSES, **headers)
    assert response.status_code == 431
    assert "The headers have" in response.json()["detail"]


def test_the_limits_hold_for_the_console_and_unauthenticated_callers_too(client):
    assert client.get("/support/", {"q": "x" * 5000}).status_code == 414
    assert client.get("/health/", HTTP_X_FILLER="x" * 9000).status_code == 431


def test_gunicorn_limits_are_set_above_the_json_ones():
    """gunicorn answers HTML: its limits must leave room for every request Django answers in JSON."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    longest_api_path = 200
    request_line = len("DELETE ") + longest_api_path + len("?") + settings.MAX_QUERY_STRING_BYTES + len(" HTTP/1.1")
    assert request_line < config["limit_request_line"] <= 8190  # 8190: gunicorn's maximum
    assert len("Authorization: ") + settings.MAX_REQUEST_HEADER_BYTES < config["limit_request_field_size"]
    # What one request's headers may hold in a worker stays near gunicorn's default (100 x 8190).
    assert config["limit_request_fields"] * config["limit_request_field_size"] <= 100 * 8190
    assert '"--config", "/app/gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize(
    "status, reason, code",
    [
        (414, "URI Too Long", "uri-too-long"),
        (431, "Request Header Fields Too Large", "request-header-fields-too-large"),
        (400, "Bad Request", "bad-request"),
    ],
)
def test_what_gunicorn_refuses_itself_is_answered_in_json_without_echoing_the_request(
    monkeypatch, status, reason, code
):
    """A 10 KB query string or a 20 KB header never reaches Django: gunicorn's page is the service's JSON."""
    written: list[bytes] = []
    fake_util = types.ModuleType("gunicorn.util")
    fake_util.write_error = lambda *args: pytest.fail("gunicorn's HTML page writer was kept")  # type: ignore[attr-defined]
    fake_util.write_nonblock = lambda sock, data: written.append(data)  # type: ignore[attr-defined]
    fake_gunicorn = types.ModuleType("gunicorn")
    fake_gunicorn.util = fake_util  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gunicorn", fake_gunicorn)
    monkeypatch.setitem(sys.modules, "gunicorn.util", fake_util)
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    fake_util.write_error(None, status, reason, "Invalid Request Line 'GET /support/?q=learner@example.com'")

    head, _, body = written[0].partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} {reason}\r\n".encode())
    assert b"Content-Type: application/json" in head
    assert f"Content-Length: {len(body)}".encode() in head
    answer = json.loads(body)
    assert (answer["status"], answer["code"], answer["title"]) == (status, code, reason)
    assert "example.com" not in body.decode()
