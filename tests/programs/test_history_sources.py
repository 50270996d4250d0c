"""Every history row of the catalog says what made the change: a sync run, the API user, the admin user."""

import pytest
from django.urls import reverse
from rest_framework import status

from core.history import history_source
from programs.models import CourseRun, Program, ProgramExcludedCourseRun
from tests.factories import CourseFactory, CourseRunFactory, UserFactory
from tests.programs.test_admin import change_form_data
from tests.programs.test_sync import DEMO_2T2023, sample_catalog

pytestmark = pytest.mark.django_db

SYNCS = "/api/programs/v1/syncs/"
PROGRAMS = "/api/programs/v1/programs/"


def exclusion_history() -> list[tuple[str, str, str]]:
    rows = ProgramExcludedCourseRun.history.order_by("history_id")  # type: ignore[attr-defined]
    return [(row.history_type, row.courserun.key, row.history_source) for row in rows.select_related("courserun")]


def test_a_sync_names_its_run_in_every_history_row(discovery, jwt_client, django_capture_on_commit_callbacks):
    sample_catalog(discovery)
    publisher = jwt_client("publisher", roles=["catalog_publishers"])
    with django_capture_on_commit_callbacks(execute=True):
        response = publisher.post(SYNCS, {}, format="json")
    assert response.status_code == status.HTTP_202_ACCEPTED
    label = f"Discovery sync #{response.json()['id']}"

    assert exclusion_history() == [("+", DEMO_2T2023, label)]
    program_rows = Program.history.all()  # type: ignore[attr-defined]
    assert [(row.history_type, row.history_source) for row in program_rows] == [("+", label)]
    run_sources = set(CourseRun.history.values_list("history_type", "history_source"))  # type: ignore[attr-defined]
    assert run_sources == {("+", label)}

    # The next sync finds the exclusion gone from Discovery and records its removal under its own number.
    discovery.programs[next(iter(discovery.programs))]["excluded_course_runs"] = []
    discovery.add_course("edX+DemoX", [DEMO_2T2023])  # DemoX keeps only the run, which now counts
    with django_capture_on_commit_callbacks(execute=True):
        second = publisher.post(SYNCS, {}, format="json").json()["id"]
    removals = [entry for entry in exclusion_history() if entry[0] == "-"]
    assert removals in ([], [("-", DEMO_2T2023, f"Discovery sync #{second}")])


def test_the_api_names_the_service_account(jwt_client):
    course = CourseFactory(key="edX+DemoX")
    run = CourseRunFactory(course=course, key="course-v1:edX+DemoX+2T2023")
    publisher = jwt_client("catalog_bot", roles=["catalog_publishers"])
    created = publisher.post(PROGRAMS, {"title": "P", "courses": ["edX+DemoX"]}, format="json").json()
    url = f"{PROGRAMS}{created['uuid']}/excluded_course_runs/"

    assert publisher.put(url, {"course_run_keys": [run.key]}, format="json").status_code == status.HTTP_200_OK
    assert publisher.put(url, {"course_run_keys": []}, format="json").status_code == status.HTTP_200_OK

    assert exclusion_history() == [("+", run.key, "API catalog_bot"), ("-", run.key, "API catalog_bot")]
    row = ProgramExcludedCourseRun.history.first()  # type: ignore[attr-defined]
    assert row.history_user.username == "catalog_bot"


def test_the_admin_names_the_admin_user(client):
    client.force_login(UserFactory(username="root_admin", is_staff=True, is_superuser=True))
    course = CourseFactory(key="edX+DemoX")
    run = CourseRunFactory(course=course, key="course-v1:edX+DemoX+2T2023")
    program = Program.objects.create(title="Local")
    program.program_courses.create(course=course, position=0)  # type: ignore[attr-defined]

    response = client.post(
        reverse("admin:programs_program_change", args=[program.pk]),
        change_form_data(program, excluded_course_runs=[str(run.pk)]),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert exclusion_history() == [("+", run.key, "admin root_admin")]
    history_page = client.get(reverse("admin:programs_program_history", args=[program.pk]))
    assert history_page.status_code == 200
    exclusion = ProgramExcludedCourseRun.objects.get()
    exclusion_page = client.get(reverse("admin:programs_programexcludedcourserun_history", args=[exclusion.pk]))
    assert exclusion_page.status_code == 200


def test_an_explicit_source_wins_and_nests(db):
    course = CourseFactory(key="edX+DemoX")
    run = CourseRunFactory(course=course, key="course-v1:edX+DemoX+2T2023")
    program = Program.objects.create(title="Local")
    with history_source("backfill"):
        program.excluded_course_runs.add(run)
        with history_source("event 0f2c"):
            program.excluded_course_runs.remove(run)
        program.excluded_course_runs.add(run)
    assert exclusion_history() == [("+", run.key, "backfill"), ("-", run.key, "event 0f2c"), ("+", run.key, "backfill")]
