"""The support console: access rules, search, learner and program pages (server-rendered HTML)."""

import re
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from rest_framework import status

from programs.models import Program, ProgramCourse, ProgramStatus
from tests.conftest import grant
from tests.factories import CourseFactory, CourseRunFactory, CredentialFactory, OrganizationFactory, UserFactory

WARNING = (
    "The learner completed course-v1:edX+DemoX+2T2023, which this program does not count; "
    "a counting run is course-v1:edX+DemoX+1T2024 (open now). edX+DemoX is complete once the learner earns a "
    "verified certificate in a counting run."
)


@pytest.fixture
def program(db: None) -> Program:
    org = OrganizationFactory(key="edX")
    demo = CourseFactory(organization=org, key="edX+DemoX", title="Demonstration Course")
    stats = CourseFactory(organization=org, key="edX+StatsX", title="Statistics")
    old = CourseRunFactory(course=demo, key="course-v1:edX+DemoX+2T2023", start=datetime(2023, 4, 1, tzinfo=UTC))
    CourseRunFactory(course=demo, key="course-v1:edX+DemoX+1T2024", start=datetime(2024, 1, 1, tzinfo=UTC))
    CourseRunFactory(course=stats, key="course-v1:edX+StatsX+3T2025", start=datetime(2025, 9, 1, tzinfo=UTC))
    program = Program.objects.create(title="Demo Data Science", type="MicroMasters", applicable_seat_types=["verified"])
    ProgramCourse.objects.create(program=program, course=demo, position=0)
    ProgramCourse.objects.create(program=program, course=stats, position=1)
    program.excluded_course_runs.add(old)
    sam = UserFactory(username="sam", email="sam@example.com", lms_user_id=1003)
    CredentialFactory(learner=sam, course_run=old)
    return program


class RowGroups(HTMLParser):
    """Each <tbody> of the runs table: the text of its rowgroup headers and its number of rows."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[tuple[list[str], int]] = []
        self._header: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self.groups.append(([], 0))
        elif tag == "tr" and self.groups:
            headers, rows = self.groups[-1]
            self.groups[-1] = (headers, rows + 1)
        elif tag == "th" and ("scope", "rowgroup") in attrs:
            self._header = []

    def handle_data(self, data: str) -> None:
        if self._header is not None:
            self._header.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self._header is not None:
            self.groups[-1][0].append(" ".join(" ".join(self._header).split()))
            self._header = None


def row_groups(html: str) -> list[tuple[list[str], int]]:
    parser = RowGroups()
    parser.feed(html[html.index('<table class="table runs">') :])
    return parser.groups


def text_of(html: str) -> str:
    """The page's text as a reader hears it: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def signed_in(*roles: str, staff: bool = False, username: str = "agent") -> Client:
    user = UserFactory(username=username, is_staff=staff)
    grant(user, *roles)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def support() -> Client:
    return signed_in("learner_status_readers")


@pytest.mark.parametrize("path", ["/support/", "/support/learners/sam/", "/support/programs/"])
def test_anonymous_is_sent_to_the_login_page(program: Program, path: str) -> None:
    response = Client().get(path)

    assert response.status_code == status.HTTP_302_FOUND
    assert response["Location"] == f"/support/login/?next={path}"


def test_signed_in_without_the_role_gets_a_403_page(program: Program) -> None:
    client = signed_in("credential_issuers")

    response = client.get("/support/learners/sam/")

    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert b"open only to staff" in response.content
    assert b"Demo Data Science" not in response.content


def test_login_form_signs_a_reader_in_and_returns_to_the_page_asked_for(program: Program) -> None:
    user = UserFactory(username="agent")
    user.set_password("correct horse")
    user.save()
    grant(user, "learner_status_readers")
    client = Client(enforce_csrf_checks=True)
    page = client.get("/support/login/?next=/support/learners/sam/")
    token = page.cookies["csrftoken"].value

    bad = client.post("/support/login/", {"username": "agent", "password": "wrong", "csrfmiddlewaretoken": token})
    good = client.post(
        "/support/login/",
        {
            "username": "agent",
            "password": "correct horse",
            "next": "/support/learners/sam/",
            "csrfmiddlewaretoken": token,
        },
    )

    assert bad.status_code == status.HTTP_200_OK
    assert b'role="alert"' in bad.content
    assert good.status_code == status.HTTP_302_FOUND
    assert good["Location"] == "/support/learners/sam/"


@pytest.mark.parametrize("query", ["sam", "SAM@example.com", "1003"])
def test_search_finds_a_learner_by_username_email_or_lms_user_id(program: Program, support: Client, query: str) -> None:
    response = support.post("/support/", {"q": query})

    assert response.status_code == status.HTTP_200_OK
    assert [learner.username for learner in response.context["results"]] == ["sam"]
    assert b'href="/support/learners/sam/"' in response.content


@pytest.mark.parametrize("query", ["²", "١٠٠٣", "1003²", "9" * 30])
def test_search_reads_only_short_ascii_digits_as_an_lms_user_id(program: Program, support: Client, query: str) -> None:
    # "١٠٠٣" is 1003 in Arabic-Indic digits: int() reads it, but it is not how support types an id.
    response = support.post("/support/", {"q": query})

    assert response.status_code == status.HTTP_200_OK
    assert response.context["results"] == []
    assert "No learner has this username, email or LMS user id." in response.content.decode()


def test_search_lists_learners_not_staff_or_service_accounts(program: Program, support: Client, settings) -> None:
    settings.LEARNER_STATUS_WORKERS = ["sam_status_worker"]
    UserFactory(username="sam_status_worker")
    grant(UserFactory(username="sam_enrollment_service"), "enrollment_admins")
    UserFactory(username="sam_admin", is_staff=True)

    response = support.post("/support/", {"q": "sam"})
    partial = support.post("/support/", {"q": "sam_"})

    assert [learner.username for learner in response.context["results"]] == ["sam"]
    assert partial.context["results"] == []


def test_search_without_match_says_so(program: Program, support: Client) -> None:
    response = support.post("/support/", {"q": "nobody-here"})

    assert b"No learner has this username, email or LMS user id." in response.content


def test_staff_may_use_the_console(program: Program) -> None:
    assert signed_in(staff=True).get("/support/learners/sam/").status_code == status.HTTP_200_OK


def test_learner_page_shows_progress_runs_and_the_excluded_run_explanation(program: Program, support: Client) -> None:
    response = support.get("/support/learners/sam/")

    html = response.content.decode()
    assert response.status_code == status.HTTP_200_OK
    assert "Demo Data Science" in html
    assert 'aria-valuenow="0"' in html
    assert "0 of 2 courses completed" in html
    assert WARNING in html
    assert html.count("badge-excluded") == 1
    assert "Completed only in an excluded run" in html
    assert f'href="/support/programs/{program.uuid}/?learner=sam"' in html


def test_learner_page_shows_a_deleted_program_with_its_warning(program: Program, support: Client) -> None:
    Program.objects.filter(pk=program.pk).update(status=ProgramStatus.DELETED)

    html = support.get("/support/learners/sam/").content.decode()

    assert "Demo Data Science" in html
    assert '<span class="status status-program-deleted">Deleted</span>' in html
    assert (
        "Program deleted: This program is deleted: the learner's progress is shown as it stands, but the "
        "program is not open to new learners."
    ) in text_of(html)


def test_runs_table_gives_each_course_its_own_row_group(program: Program, support: Client) -> None:
    empty = CourseFactory(organization=program.courses.first().organization, key="edX+EmptyX", title="Unscheduled")
    ProgramCourse.objects.create(program=program, course=empty, position=2)

    html = support.get(f"/support/programs/{program.uuid}/").content.decode()

    # A rowgroup header covers its own <tbody> only: with one <tbody> for the whole table, the
    # DemoX header would also have labelled the StatsX rows.
    assert row_groups(html) == [
        (["edX+DemoX Demonstration Course"], 2),
        (["edX+StatsX Statistics"], 1),
        (["edX+EmptyX Unscheduled"], 1),
    ]
    assert (
        '<div class="table-scroll" role="region" aria-label="Courses in program order, each with every run" '
        'tabindex="0">'
    ) in html


def test_unknown_learner_page_is_a_404_page(program: Program, support: Client) -> None:
    response = support.get("/support/learners/nobody/")

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert b"No learner has the username nobody." in response.content


def test_program_page_lists_courses_runs_and_exclusions(program: Program, support: Client) -> None:
    response = support.get(f"/support/programs/{program.uuid}/")

    html = response.content.decode()
    assert response.status_code == status.HTTP_200_OK
    for key in ("edX+DemoX", "edX+StatsX", "course-v1:edX+DemoX+1T2024", "course-v1:edX+StatsX+3T2025"):
        assert key in html
    assert '<ul class="exclusions"><li><code>course-v1:edX+DemoX+2T2023</code>' in html
    assert "Learner in run" not in html


def test_program_page_for_a_learner_shows_their_warning(program: Program, support: Client) -> None:
    response = support.get(f"/support/programs/{program.uuid}/", {"learner": "sam"})

    html = response.content.decode()
    assert "Progress of sam" in html
    assert WARNING in html


def test_program_list_and_unknown_program(program: Program, support: Client) -> None:
    listing = support.get("/support/programs/")
    unknown = support.get("/support/programs/00000000-0000-4000-8000-000000000000/")

    assert f'href="/support/programs/{program.uuid}/"' in listing.content.decode()
    assert unknown.status_code == status.HTTP_404_NOT_FOUND


def test_learner_page_query_count_is_bounded(
    program: Program, support: Client, django_assert_max_num_queries: Any
) -> None:
    support.get("/support/learners/sam/")

    # session, user, groups, learner, then the seven of learner_programs for a known learner, two for
    # the exclusions' origins, three for the record timeline and one each for the credentials, grades
    # and enrollments of the records table.
    with django_assert_max_num_queries(19):
        response = support.get("/support/learners/sam/")

    assert response.status_code == status.HTTP_200_OK
