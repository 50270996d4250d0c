"""End to end in a real headless Chromium, JavaScript off: sign in, find a learner, open a program, read the warning.

Needs Debian's ``chromium`` at /usr/bin/chromium (``.ci/services.sh`` installs it) and Playwright's
Python package. ``SUPPORT_SCREENSHOT=path.png`` saves the learner page there; the README's screenshot is
regenerated with (docs/decisions/0005)::

    SUPPORT_SCREENSHOT=docs/images/support-learner.png .venv/bin/python -m pytest \
        tests/support/test_console_browser.py -k excluded_run_explanation
"""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from core.history import history_source
from programs.models import Program, ProgramCourse, ProgramExcludedCourseRun
from tests.conftest import grant
from tests.factories import (
    CourseFactory,
    CourseRunFactory,
    CredentialFactory,
    EnrollmentFactory,
    GradeFactory,
    OrganizationFactory,
    UserFactory,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser

NEXT_YEAR = timezone.now().year + 1
UPCOMING_DEMO_RUN = f"course-v1:edX+DemoX+3T{NEXT_YEAR}"


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is missing at {CHROMIUM}: install Debian's chromium (bash .ci/services.sh does).")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed.")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # JavaScript off: the console must work without it.
            page = browser.new_page(viewport={"width": 1200, "height": 900}, java_script_enabled=False)
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def at(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


@pytest.fixture
def console_data(transactional_db: None) -> Program:
    org = OrganizationFactory(key="edX", name="edX")
    demo = CourseFactory(organization=org, key="edX+DemoX", title="Demonstration Course")
    stats = CourseFactory(organization=org, key="edX+StatsX", title="Statistics")
    calc = CourseFactory(organization=org, key="edX+CalcX", title="Calculus")
    old = CourseRunFactory(course=demo, key="course-v1:edX+DemoX+2T2023", start=at(2023, 4), end=at(2023, 8))
    CourseRunFactory(course=demo, key="course-v1:edX+DemoX+1T2024", start=at(2024, 1), end=at(2024, 6))
    # Upcoming whenever the test runs: the run the warning should point the learner to.
    CourseRunFactory(course=demo, key=UPCOMING_DEMO_RUN, start=at(NEXT_YEAR, 9), end=at(NEXT_YEAR, 12))
    stats_run = CourseRunFactory(course=stats, key="course-v1:edX+StatsX+3T2025", start=at(2025, 9), end=at(2025, 12))
    calc_run = CourseRunFactory(course=calc, key="course-v1:edX+CalcX+1T2026", start=at(2026, 1), end=None)
    program = Program.objects.create(
        title="Demo Data Science", type="MicroMasters", applicable_seat_types=["verified", "professional"]
    )
    for position, course in enumerate([demo, stats, calc]):
        ProgramCourse.objects.create(program=program, course=course, position=position)
    with history_source("Discovery sync #42"):
        program.excluded_course_runs.add(old)
    ProgramExcludedCourseRun.history.update(history_date=datetime(2024, 5, 2, 9, 30, tzinfo=UTC))

    sam = UserFactory(username="sam", email="sam@example.com", lms_user_id=1003)
    CredentialFactory(learner=sam, course_run=old)
    GradeFactory(learner=sam, course_run=old, letter_grade="A", percent_grade="0.9100")
    CredentialFactory(learner=sam, course_run=stats_run)
    GradeFactory(learner=sam, course_run=stats_run, letter_grade="B", percent_grade="0.8200")
    EnrollmentFactory(learner=sam, course_run=calc_run)

    agent = UserFactory(username="agent")
    agent.set_password("support-console-pw")
    agent.save()
    grant(agent, "learner_status_readers")
    return program


def sign_in(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/support/")
    assert "/support/login/" in page.url
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("support-console-pw")
    page.get_by_role("button", name="Sign in").click()


def test_support_agent_finds_the_excluded_run_explanation(
    live_server: Any, console_data: Program, browser_page: Any
) -> None:
    page = browser_page

    sign_in(page, live_server)

    page.get_by_label("Username, email or LMS user id").fill("sam@example.com")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="sam", exact=True).click()

    assert page.get_by_role("heading", level=1).inner_text() == "sam"
    progress = page.get_by_role("progressbar", name="Courses completed in Demo Data Science")
    assert progress.get_attribute("aria-valuetext") == "1 of 3 courses completed"
    origins = page.get_by_role("list", name="Excluded runs of Demo Data Science")
    assert origins.inner_text() == "course-v1:edX+DemoX+2T2023: excluded since 2024-05-02 by Discovery sync #42"
    timeline = page.get_by_role("region", name="Record timeline of sam").get_by_role("table")
    assert timeline.get_by_role("cell", name="Awarded", exact=True).count() == 2
    assert timeline.get_by_role("cell", name="Enrolled", exact=True).count() == 1
    screenshot = os.environ.get("SUPPORT_SCREENSHOT")
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshot, full_page=True)

    page.get_by_role("link", name="Demo Data Science").click()

    assert page.get_by_role("heading", name="Progress of sam").is_visible()
    warning = page.get_by_text("The learner completed course-v1:edX+DemoX+2T2023, which this program does not count")
    assert warning.is_visible()
    assert warning.inner_text() == (
        "Completion does not count: The learner completed course-v1:edX+DemoX+2T2023, which this program does not "
        f"count; a counting run is {UPCOMING_DEMO_RUN} (starts {NEXT_YEAR}-09-01). edX+DemoX is complete once the "
        "learner earns an accepted certificate (verified or professional) in a counting run."
    )
    assert page.locator("tr.is-excluded").count() == 1
    assert page.locator("link[rel=stylesheet]").count() == 1
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") != "rgba(0, 0, 0, 0)"
    )


def test_on_a_phone_the_runs_table_keeps_its_headers_and_scrolls_sideways(
    live_server: Any, console_data: Program, browser_page: Any
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/support/learners/sam/")

    region = page.get_by_role("region", name="Courses and runs of Demo Data Science")
    table = region.get_by_role("table")
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    for header in ("Course", "Run", "Dates", "Counts toward program", "Learner in run", "Grade"):
        assert table.get_by_role("columnheader", name=header, exact=True).is_visible()
    assert table.get_by_role("rowheader", name="edX+DemoX Demonstration Course In progress").count() == 1
    # The table scrolls inside its region (focusable, so the keyboard can scroll it); the page does not.
    assert region.evaluate("r => r.scrollWidth > r.clientWidth") is True
    assert region.get_attribute("tabindex") == "0"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True
