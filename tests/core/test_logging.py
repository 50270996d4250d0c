"""JSON log lines from every process, and the request id from the caller to tasks and upstream calls."""

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from celery.signals import before_task_publish
from django_guid import get_guid, set_guid
from django_guid.context import guid

from core.logging import RequestContextFilter
from core.request_id import outbound_headers
from settings.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
REQUEST_ID = "5f0c2b8e9d1a4e3f8b7c6d5e4f3a2b1c"
HEX32 = set("0123456789abcdef")


@celery_app.task(name="tests.core.request_id_seen")
def request_id_seen() -> str | None:
    logging.getLogger("tests.core").info("task_ran")
    return get_guid()


@pytest.fixture
def no_request_id():
    token = guid.set(None)
    yield
    guid.reset(token)


@pytest.fixture
def records(caplog):
    """Log records as the console handler sees them (with request_id, task_name, task_id)."""
    caplog.handler.addFilter(RequestContextFilter())
    caplog.set_level(logging.INFO)
    return caplog


# --- the request id at the HTTP boundary ------------------------------------------------------


@pytest.mark.django_db
def test_a_uuid_request_id_is_kept_and_echoed(api_client):
    response = api_client.get("/health/", HTTP_X_REQUEST_ID=REQUEST_ID)
    assert response["X-Request-ID"] == REQUEST_ID


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [None, "", "not-a-uuid", "a" * 5000, "5f0c2b8e<script>", "x\u00e9"])
def test_a_missing_or_invalid_request_id_is_replaced_by_a_new_one(api_client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    first = api_client.get("/health/", **headers)["X-Request-ID"]
    second = api_client.get("/health/", **headers)["X-Request-ID"]
    assert len(first) == 32 and set(first) <= HEX32
    assert first != second


# --- into Celery tasks ----------------------------------------------------------------------


def test_a_queued_task_carries_the_request_id_in_its_headers(no_request_id):
    headers: dict[str, str] = {}
    before_task_publish.send(sender="tests.core.request_id_seen", headers=headers, body=None)
    assert headers == {}, "nothing to carry outside a request"
    set_guid(REQUEST_ID)
    before_task_publish.send(sender="tests.core.request_id_seen", headers=headers, body=None)
    assert headers == {"X-Request-ID": REQUEST_ID}


def test_a_task_adopts_the_request_id_it_was_sent_with_and_logs_its_name_and_id(no_request_id, records):
    # .result, not .get(): an eager result is already there (get() refuses inside a worker context).
    result = request_id_seen.apply(headers={"X-Request-ID": REQUEST_ID}, task_id="t-1")
    assert result.result == REQUEST_ID
    assert get_guid() is None, "the worker's context is clean for the next task"
    (line,) = [r for r in records.records if r.getMessage() == "task_ran"]
    assert (line.request_id, line.task_name, line.task_id) == (REQUEST_ID, "tests.core.request_id_seen", "t-1")


def test_a_task_sent_without_one_gets_its_own_request_id(no_request_id):
    first, second = request_id_seen.apply().result, request_id_seen.apply().result
    assert first and second and first != second
    assert get_guid() is None


def test_outbound_headers_carry_the_current_request_id(no_request_id):
    assert outbound_headers() == {}
    set_guid(REQUEST_ID)
    assert outbound_headers() == {"X-Request-ID": REQUEST_ID}


# --- JSON only, from real processes -------------------------------------------------------------


def _environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.local",
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "INFO",
        **variables,
    }


def _json_lines(output: str) -> list[dict]:
    """Every line parsed as one JSON object (a line that is not fails the test, showing the output)."""
    lines = []
    for line in output.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}\n--- output ---\n{output[-4000:]}")
    for parsed in lines:
        assert parsed["time"].endswith("+00:00") and "T" in parsed["time"], parsed
    return lines


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=10)
    return output


def test_management_commands_and_python_warnings_log_json(tmp_path):
    code = (
        "import logging, warnings; "
        "logging.getLogger('programs.sync').warning('command_event', extra={'count': 3}); "
        "warnings.warn('deprecated thing', DeprecationWarning)"
    )
    result = subprocess.run(  # noqa: S603 (the test's own code)
        [sys.executable, "-W", "always", "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = _json_lines(result.stderr)
    assert {"level": "WARNING", "logger": "programs.sync", "message": "command_event", "count": 3}.items() <= (
        next(line for line in lines if line["message"] == "command_event").items()
    )
    assert any(line["logger"] == "py.warnings" and "deprecated thing" in line["message"] for line in lines)


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.redis
def test_celery_beat_logs_json_only_and_keeps_its_schedule_where_configured(tmp_path):
    if not _redis_is_up():
        pytest.skip("SKIPPED: beat needs Redis on 127.0.0.1:6379 (TEST_CELERY_BROKER_URL)")
    schedule = tmp_path / "beat" / "schedule"
    schedule.parent.mkdir()
    broker = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "--quiet", "-A", "settings", "beat", "--loglevel=INFO"],
        cwd=ROOT,
        env=_environment(tmp_path, CELERY_BROKER_URL=broker, CELERY_BEAT_SCHEDULE_FILENAME=str(schedule)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not list(schedule.parent.iterdir()) and time.monotonic() < deadline and beat.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    lines = _json_lines(_stop(beat))
    assert list(schedule.parent.iterdir()), "beat wrote its schedule where CELERY_BEAT_SCHEDULE_FILENAME says"
    assert any(line["logger"].startswith("celery.beat") for line in lines), lines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_logs_json_only_with_an_access_line_without_the_query_string(tmp_path):
    pytest.importorskip("gunicorn", reason="SKIPPED: gunicorn comes with requirements/production.txt and test.txt")
    port = _free_port()
    command = ["gunicorn", "settings.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    server = subprocess.Popen(  # noqa: S603 (a fixed command and a free port)
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                status = requests.get(
                    f"http://127.0.0.1:{port}/health/?email=ana%40example.com",
                    headers={"X-Request-ID": REQUEST_ID},
                    timeout=30,
                ).status_code
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
    finally:
        output = _stop(server)
    assert status is not None, output[-3000:]
    lines = _json_lines(output)
    (access,) = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert access["path"] == "/health/" and access["method"] == "GET" and access["status"] == status
    assert access["request_id"] == REQUEST_ID
    assert "ana" not in output and "example.com" not in output, "query strings stay out of the logs"
    assert any(line["logger"] == "gunicorn.error" for line in lines), "the master's own lines are JSON too"


def test_an_in_process_task_does_not_make_kombu_warn_about_a_missing_broker_host(no_request_id, caplog):
    caplog.set_level(logging.WARNING)
    assert request_id_seen.delay().result
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kombu")] == []
