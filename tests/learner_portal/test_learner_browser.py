"""The learner pages and the console in a real headless Chromium: signing in through a fake LMS, what the
learner reads, who can reach what, and accessibility (axe-core, WCAG 2.1 A/AA) at 1280 and 360 px.

The fake LMS answers in two places, as a real one would: its authorize page in the browser (a Playwright
route that sends the browser back with a code) and its token endpoint on the server (``responses``).
``LEARNER_SCREENSHOTS=docs/images`` saves the learner page at both widths there (the README's images)::

    LEARNER_SCREENSHOTS=docs/images .venv/bin/python -m pytest tests/learner_portal/test_learner_browser.py \
        -k signs_in_through_the_lms
"""

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from csp.constants import SELF
from social_core.backends import utils

from core.jwt import encode_jwt
from tests.conftest import grant
from tests.factories import UserFactory
from tests.learner_portal.conftest import EXCLUDED_EXPLANATION, NEXT_STEP, make_learner_data
from tests.learner_portal.fake_lms import LMS, lms_settings, token_answer
from tests.support.test_console_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
WIDTHS = (1280, 360)
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is missing at {CHROMIUM}: install Debian's chromium (bash .ci/services.sh does).")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed.")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser: Any, live_server: Any, width: int = 1280) -> Any:
    """A page whose requests for /__axe__.js get the vendored axe-core: same origin, so the site's
    Content-Security-Policy (scripts from 'self' only) stays in force during the checks."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(15_000)
    page.route(f"{live_server.url}/__axe__.js", lambda route: route.fulfill(path=str(AXE)))
    return page


def axe_violations(page: Any, live_server: Any) -> list[str]:
    page.add_script_tag(url=f"{live_server.url}/__axe__.js")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in result["violations"]]


@pytest.fixture
def data(transactional_db: None) -> SimpleNamespace:
    return make_learner_data()


@pytest.fixture
def agent(data: SimpleNamespace) -> None:
    """A support agent with a local password (created before Playwright's event loop starts)."""
    user = UserFactory(username="agent")
    user.set_password("support-console-pw")
    user.save()
    grant(user, "learner_status_readers")


@pytest.fixture
def fake_lms(settings: Any) -> Iterator[responses.RequestsMock]:
    lms_settings(settings)
    # Browsers apply form-action to the redirect that follows the sign-in form (settings.base adds the
    # configured LMS the same way).
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "form-action": [SELF, LMS]}
    }
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru("http://localhost")
        yield rsps
    utils.BACKENDSCACHE.clear()


def route_lms_authorize(page: Any) -> None:
    """The LMS's authorize page: the learner is signed in there and consents; back with a code."""

    def authorize(route: Any) -> None:
        query = parse_qs(urlparse(route.request.url).query)
        back = f"{query['redirect_uri'][0]}&code=lms-code&state={query['state'][0]}"
        route.fulfill(status=302, headers={"Location": back})

    page.route(f"{LMS}/oauth2/authorize*", authorize)


def text(page: Any) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_a_learner_signs_in_through_the_lms_and_reads_why_a_run_does_not_count(
    live_server: Any, data: SimpleNamespace, fake_lms: responses.RequestsMock, browser: Any
) -> None:
    token_answer(fake_lms, username="sam", lms_user_id=1003, email="sam@example.com")
    page = new_page(browser, live_server)
    route_lms_authorize(page)

    page.goto(f"{live_server.url}/learner/programs/")
    assert "/learner/login/" in page.url
    page.get_by_role("button", name="Sign in with your LMS account").click()

    page.wait_for_url(f"{live_server.url}/learner/programs/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your programs"
    progress = page.get_by_role("progressbar", name="Courses completed in Data Science")
    assert progress.get_attribute("aria-valuetext") == "1 of 2 courses completed"
    assert f"Next step: {NEXT_STEP}" in text(page)

    page.get_by_role("link", name="Data Science", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Data Science"
    assert page.get_by_text(EXCLUDED_EXPLANATION).is_visible()
    assert f"Next step: {NEXT_STEP}" in text(page)
    runs = page.get_by_role("list", name="Runs of Data Science Basics")
    assert runs.get_by_text("Does not count toward this program").is_visible()
    assert runs.get_by_text("Counts toward this program").is_visible()

    shots = os.environ.get("LEARNER_SCREENSHOTS")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/learner-program-{width}.png", full_page=True)


def test_another_learners_programs_are_not_reachable(live_server: Any, data: SimpleNamespace, browser: Any) -> None:
    page = new_page(browser, live_server)
    token = encode_jwt(username="kim", lms_user_id=1004)
    header_payload, signature = token.rsplit(".", 1)
    page.context.add_cookies(
        [
            {"name": "edx-jwt-cookie-header-payload", "value": header_payload, "url": live_server.url},
            {"name": "edx-jwt-cookie-signature", "value": signature, "url": live_server.url},
        ]
    )

    own = page.goto(f"{live_server.url}/learner/programs/")
    assert own is not None and own.status == 200
    assert "Programs of" not in text(page) and "Your programs" in text(page)
    for path in ("/learner/programs/?username=sam", f"/learner/programs/{data.program.uuid}/?username=sam"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 403
        assert "You can see only your own programs." in text(page)
        assert "May 2023" not in text(page)


def sign_in_locally(page: Any, live_server: Any, username: str, password: str, login_path: str) -> None:
    page.goto(f"{live_server.url}{login_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.wait_for_load_state()


def test_every_learner_and_console_page_passes_axe_at_1280_and_360_px(
    live_server: Any, data: SimpleNamespace, agent: None, browser: Any
) -> None:
    program = data.program.uuid
    learner_pages = ["/learner/programs/", f"/learner/programs/{program}/", "/learner/programs/?username=kim"]
    console_pages = [
        "/support/",
        "/support/learners/sam/",
        "/support/programs/",
        f"/support/programs/{program}/",
        f"/support/programs/{program}/?learner=sam",
    ]
    failures: dict[str, list[str]] = {}
    for width in WIDTHS:
        anonymous = new_page(browser, live_server, width)
        for path in ("/learner/login/", "/support/login/"):
            anonymous.goto(f"{live_server.url}{path}")
            failures[f"{path} @{width}"] = axe_violations(anonymous, live_server)
        anonymous.close()

        learner = new_page(browser, live_server, width)
        sign_in_locally(learner, live_server, "sam", "sam-password-1", "/learner/login/")
        for path in learner_pages:
            learner.goto(f"{live_server.url}{path}")
            failures[f"{path} @{width}"] = axe_violations(learner, live_server)
            assert learner.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True, path
        learner.close()

        agent_page = new_page(browser, live_server, width)
        sign_in_locally(agent_page, live_server, "agent", "support-console-pw", "/support/login/")
        for path in console_pages:
            agent_page.goto(f"{live_server.url}{path}")
            failures[f"{path} @{width}"] = axe_violations(agent_page, live_server)
        agent_page.close()

    assert {page: found for page, found in failures.items() if found} == {}
    assert len(failures) == 2 * (2 + len(learner_pages) + len(console_pages))


def test_keyboard_focus_is_visible_and_reaches_the_program(
    live_server: Any, data: SimpleNamespace, browser: Any
) -> None:
    page = new_page(browser, live_server, 360)
    sign_in_locally(page, live_server, "sam", "sam-password-1", "/learner/login/")

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert (focused, outline) == ("Skip to content", "solid")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Data Science":
            break
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/learner/programs/{data.program.uuid}/")


def test_on_a_phone_the_console_shows_whether_each_run_counts_without_scrolling(
    live_server: Any, data: SimpleNamespace, agent: None, browser: Any
) -> None:
    page = new_page(browser, live_server, 360)
    sign_in_locally(page, live_server, "agent", "support-console-pw", "/support/login/")

    page.goto(f"{live_server.url}/support/learners/sam/")

    table = page.get_by_role("region", name="Courses and runs of Data Science").get_by_role("table")
    header = table.get_by_role("columnheader", name="Counts toward program")
    excluded = table.locator("tr.is-excluded .badge-excluded")
    for element in (header, excluded):
        box = element.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True
