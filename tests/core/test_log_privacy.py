"""No learner email, token or secret reaches a log.

Before: Celery's task trace logged ``bulk_enrollment_notify``'s kwargs, learner emails included; the
support console's search was a ``GET /support/?q=<email>``, so gunicorn's access log recorded the
email, and the ``Referer`` of every page opened from the results carried it again. Now the task
takes ids, the search form is POSTed, and the image's access log format leaves out query strings
and the ``Referer``.
"""

import json
import logging
import runpy
import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from core.jwt import encode_jwt
from enrollments.models import PendingEnrollment
from enrollments.tasks import bulk_enrollment_notify_task
from tests.conftest import grant
from tests.factories import CourseRunFactory, UserFactory
from tests.programs import conftest as programs_fixtures
from tests.programs.test_sync import sample_catalog

pytestmark = pytest.mark.django_db

# The fake Discovery of tests/programs, with its token-cache reset.
fake = programs_fixtures.fake
discovery = programs_fixtures.discovery
_fresh_token_cache = programs_fixtures._fresh_token_cache

KNOWN_EMAIL = "ana.known@example.com"
NEW_EMAIL = "new.invitee@example.com"
CLIENT_SECRET = "oauth-client-secret-sentinel-7f3a"
RUN_KEY = "course-v1:edX+DemoX+1T2024"


class Everything(logging.Handler):
    """Every record, as production's JSON formatter writes it and with every attribute it carries."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.formatter_json = JsonFormatter(**{k: v for k, v in _json_formatter_options().items() if k != "()"})
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.texts.append(self.formatter_json.format(record) + " " + repr(vars(record)))


def _json_formatter_options() -> dict[str, Any]:
    return dict(django_settings.LOGGING["formatters"]["json"])


@pytest.fixture
def logs() -> Iterator[Everything]:
    """Every logger at DEBUG, except those production's settings quiet (the test settings keep their levels)."""
    handler = Everything()
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def assert_clean(logs: Everything, *secrets: str) -> None:
    assert logs.records, "nothing was logged: the capture is broken"
    for text in logs.texts:
        for secret in secrets:
            assert secret.lower() not in text.lower(), text[:2000]


def test_a_bulk_enrollment_with_notify_logs_no_email_and_queues_ids_only(
    jwt_client, logs, django_capture_on_commit_callbacks
):
    run = CourseRunFactory(key=RUN_KEY)
    UserFactory(username="ana", email=KNOWN_EMAIL, lms_user_id=7)
    token = encode_jwt(username="admin", email="admin.person@example.com")
    admin = jwt_client("admin", roles=["enrollment_admins"])
    admin.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    body = {
        "enrollments_info": [
            {"email": KNOWN_EMAIL, "course_run_key": RUN_KEY},
            {"email": NEW_EMAIL, "course_run_key": RUN_KEY},
        ],
        "notify": True,
    }
    queued: list[dict[str, Any]] = []
    real_delay = bulk_enrollment_notify_task.delay

    def delay(*args: Any, **kwargs: Any) -> Any:
        queued.append(kwargs)
        return real_delay(*args, **kwargs)

    with (
        mock.patch.object(bulk_enrollment_notify_task, "delay", delay),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = admin.post("/api/enrollments/v1/bulk_enroll/", body, format="json")

    assert response.status_code == 202, response.json()
    assert sorted(m.to[0] for m in mail.outbox) == [KNOWN_EMAIL, NEW_EMAIL]  # the emails still go out
    pending_id = PendingEnrollment.objects.get(email=NEW_EMAIL).pk
    assert queued == [
        {
            "notices": [
                {"learner_id": UserFactory._meta.model.objects.get(username="ana").pk, "course_run_ids": [run.pk]},
                {"pending_enrollment_ids": [pending_id]},
            ]
        }
    ]
    assert any(r.name == "celery.app.trace" for r in logs.records)  # the task's trace was captured
    assert_clean(logs, KNOWN_EMAIL, NEW_EMAIL, "admin.person@example.com", token)


def test_a_refused_email_is_retried_by_id(db):
    ana = UserFactory(username="ana", email=KNOWN_EMAIL)
    bo = UserFactory(username="bo", email="bo.other@example.com")
    run = CourseRunFactory(key=RUN_KEY)
    notices = [{"learner_id": ana.pk, "course_run_ids": [run.pk]}, {"learner_id": bo.pk, "course_run_ids": [run.pk]}]

    def refuse_bo(self: Any, messages: list[Any]) -> int:
        if messages[0].to == ["bo.other@example.com"]:
            raise smtplib.SMTPRecipientsRefused({"bo.other@example.com": (450, b"busy")})
        mail.outbox.extend(messages)
        return len(messages)

    with (
        mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse_bo),
        mock.patch.object(bulk_enrollment_notify_task, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        bulk_enrollment_notify_task.run(notices=notices)

    assert [m.to[0] for m in mail.outbox] == [KNOWN_EMAIL]
    assert retry.call_args.kwargs["kwargs"] == {"notices": [notices[1]]}


def test_a_notice_whose_pending_rows_were_realised_meanwhile_sends_nothing(db):
    assert bulk_enrollment_notify_task.run(notices=[{"pending_enrollment_ids": [987654]}]) == 0
    assert mail.outbox == []


@pytest.fixture
def support_agent() -> Client:
    agent = UserFactory(username="agent", email="agent.person@example.com")
    grant(agent, "learner_status_readers")
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    return client


def test_a_console_search_by_email_puts_it_in_no_url_and_no_log(support_agent, logs):
    UserFactory(username="ana", email=KNOWN_EMAIL)
    form = support_agent.get("/support/")
    html = form.content.decode()
    assert '<form method="post" action="/support/"' in html
    token = form.cookies["csrftoken"].value

    found = support_agent.post("/support/", {"q": KNOWN_EMAIL, "csrfmiddlewaretoken": token})
    # The page a result links to is opened from /support/: its Referer holds no query.
    page = support_agent.get("/support/learners/ana/", HTTP_REFERER="http://testserver/support/")

    assert found.status_code == 200 and page.status_code == 200
    assert [learner.username for learner in found.context["results"]] == ["ana"]
    assert found.request["PATH_INFO"] == "/support/" and not found.request.get("QUERY_STRING")
    assert_clean(logs, KNOWN_EMAIL)


def test_the_console_search_needs_the_csrf_token_and_a_get_does_not_search(support_agent):
    UserFactory(username="ana", email=KNOWN_EMAIL)

    forged = support_agent.post("/support/", {"q": KNOWN_EMAIL})
    old_link = support_agent.get("/support/", {"q": KNOWN_EMAIL})

    assert forged.status_code == 403
    assert old_link.status_code == 200 and old_link.context["results"] == []
    assert KNOWN_EMAIL not in old_link.content.decode()


def test_a_nul_in_the_search_form_is_a_400_page(support_agent):
    token = support_agent.get("/support/").cookies["csrftoken"].value
    response = support_agent.post("/support/", {"q": "a\x00b", "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_program_sync_logs_no_token_or_secret(
    jwt_client, discovery, settings, logs, django_capture_on_commit_callbacks
):
    settings.OAUTH2_CLIENT_SECRET = CLIENT_SECRET
    answer = discovery.answer  # the fake knows the secret "secret": a word too common to look for in logs

    def answer_with_sentinel_secret(method: str, url: str, headers: dict[str, str], body: str = "") -> Any:
        assert not body or CLIENT_SECRET in body or "oauth2" not in url
        return answer(method, url, headers, body.replace(CLIENT_SECRET, "secret"))

    discovery.answer = answer_with_sentinel_secret  # type: ignore[method-assign]
    sample_catalog(discovery)
    token = encode_jwt(username="publisher")
    publisher = jwt_client("publisher", roles=["catalog_publishers"])
    publisher.credentials(HTTP_AUTHORIZATION=f"JWT {token}")

    with django_capture_on_commit_callbacks(execute=True):
        response = publisher.post("/api/programs/v1/syncs/", {}, format="json")

    assert response.status_code == 202
    assert publisher.get(f"/api/programs/v1/syncs/{response.json()['id']}/").json()["status"] == "succeeded"
    assert discovery.tokens_issued >= 1
    assert_clean(logs, CLIENT_SECRET, token, *(f"token-{n}" for n in range(1, discovery.tokens_issued + 1)))


# --- gunicorn's access log (the image's server) -------------------------------------------------------
class AccessAtoms(dict):
    """The atoms gunicorn's access log offers for one request (gunicorn's documented names)."""

    def __missing__(self, key: str) -> str:
        raise KeyError(f"access_log_format uses an atom this test does not know: {key}")


def test_the_access_log_format_leaves_out_query_strings_and_the_referer():
    config = runpy.run_path(str(Path(django_settings.BASE_DIR) / "gunicorn.conf.py"))
    line = config["access_log_format"] % AccessAtoms(
        h="203.0.113.9",
        l="-",
        u="-",
        t="[02/Dec/2026:14:00:00 +0000]",
        r=f"GET /api/credit/v1/eligibility/?username={KNOWN_EMAIL} HTTP/1.1",
        m="GET",
        U="/api/credit/v1/eligibility/",
        q=f"username={KNOWN_EMAIL}",
        H="HTTP/1.1",
        s="200",
        b="512",
        B="512",
        f=f"https://credentials.example.com/support/?q={KNOWN_EMAIL}",
        a="Mozilla/5.0",
        T="0",
        D="1200",
        M="1",
        L="0.001",
        p="<1234>",
    )
    assert '"GET /api/credit/v1/eligibility/ HTTP/1.1" 200' in line
    assert KNOWN_EMAIL not in line
    assert json.dumps(line)  # one plain line
