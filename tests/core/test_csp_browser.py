"""The Content-Security-Policy in a real headless Chromium: the API docs still render, nothing is blocked.

JavaScript on (Swagger UI and Redoc are JavaScript apps). Needs Debian's ``chromium`` and Playwright's
Python package, like tests/support/test_console_browser.py.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from core.models import User
from tests.conftest import grant
from tests.support.test_console_browser import CHROMIUM_ARGS, browser_page  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def page_with_js(browser_page: Any) -> Iterator[tuple[Any, list[str]]]:  # noqa: F811
    """A JavaScript-enabled page and the CSP violations and script errors it reports."""
    context = browser_page.context.browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield page, problems
    context.close()


def test_swagger_ui_renders_every_operation_under_the_policy(live_server: Any, page_with_js: Any) -> None:
    page, problems = page_with_js
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path")
    assert page.locator(".opblock").count() > 20
    assert "/api/credentials/v1/learner_cert_status/" in page.content()
    assert problems == [], "\n".join(problems)


def test_redoc_renders_under_the_policy(live_server: Any, page_with_js: Any) -> None:
    page, problems = page_with_js
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("text=/api/credentials/v1/learner_cert_status/")
    assert page.locator("[data-section-id^='operation/']").count() > 20
    # Redoc's "powered by" logo is an image on its CDN: the policy blocks it, as it blocks any other origin.
    blocked_logo = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg'"
    assert [problem for problem in problems if not problem.startswith(blocked_logo)] == [], "\n".join(problems)


@pytest.fixture
def superuser(transactional_db: None) -> User:
    """Created before the browser starts (Playwright's event loop forbids ORM calls in the test)."""
    return grant(User.objects.create_superuser("root", "root@example.com", "pw-123-secret"), "learner_status_readers")


def test_the_admin_and_the_console_run_under_the_policy(live_server: Any, superuser: User, page_with_js: Any) -> None:
    page, problems = page_with_js
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-123-secret")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"{live_server.url}/admin/core/user/{superuser.pk}/change/")
    page.wait_for_selector("#user_form")
    page.goto(f"{live_server.url}/support/?q=root")
    assert "content-security-policy" in page.goto(f"{live_server.url}/support/").headers
    assert problems == [], "\n".join(problems)
