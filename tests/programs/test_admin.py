"""The program admin: filters, search, an exclusion editor limited to the program's runs, read-only synced programs."""

import pytest
from django.urls import reverse

from programs.models import CourseRun, Program, ProgramCourse, ProgramSource, SyncRun
from tests.factories import CourseFactory, CourseRunFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def program():  # type: ignore[no-untyped-def]
    course = CourseFactory(key="edX+DemoX")
    CourseRunFactory(key="course-v1:edX+DemoX+1T2024", course=course)
    CourseRunFactory(key="course-v1:edX+DemoX+2T2023", course=course)
    CourseRunFactory(key="course-v1:MITx+Other+1T2025")
    program = Program.objects.create(title="Local Data Science")
    ProgramCourse.objects.create(program=program, course=course, position=0)
    return program


def change_form_data(program: Program, **overrides: object) -> dict:
    data = {
        "uuid": str(program.uuid),
        "title": program.title,
        "type": "",
        "type_slug": "",
        "status": "active",
        "applicable_seat_types": "[]",
        "program_courses-TOTAL_FORMS": "0",
        "program_courses-INITIAL_FORMS": "0",
        "program_courses-MIN_NUM_FORMS": "0",
        "program_courses-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)  # type: ignore[arg-type]
    return data


def test_the_exclusion_editor_offers_only_runs_of_the_programs_courses(admin_client, program):
    page = admin_client.get(reverse("admin:programs_program_change", args=[program.pk])).content.decode()

    assert "course-v1:edX+DemoX+2T2023" in page
    assert "course-v1:MITx+Other+1T2025" not in page


def test_excluding_a_run_in_the_admin(admin_client, program):
    run = program.courses.get().course_runs.get(key="course-v1:edX+DemoX+2T2023")
    response = admin_client.post(
        reverse("admin:programs_program_change", args=[program.pk]),
        change_form_data(program, excluded_course_runs=[str(run.pk)]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(program.excluded_course_runs.values_list("key", flat=True)) == ["course-v1:edX+DemoX+2T2023"]


def test_a_run_of_another_course_is_refused(admin_client, program):
    foreign = CourseRun.objects.get(key="course-v1:MITx+Other+1T2025")
    response = admin_client.post(
        reverse("admin:programs_program_change", args=[program.pk]),
        change_form_data(program, excluded_course_runs=[str(foreign.pk)]),
    )
    assert response.status_code == 200  # the form again, with the error
    assert not program.excluded_course_runs.exists()


def test_a_discovery_program_is_read_only(admin_client, program):
    program.source = ProgramSource.DISCOVERY
    program.save()
    url = reverse("admin:programs_program_change", args=[program.pk])

    page = admin_client.get(url).content.decode()
    post = admin_client.post(url, change_form_data(program, title="Changed"))

    assert 'name="_save"' not in page and "Local Data Science" in page
    assert post.status_code == 403
    program.refresh_from_db()
    assert program.title == "Local Data Science"


def test_changelist_filters_and_search_by_run_key(admin_client, program):
    Program.objects.create(title="Another", status="retired")
    url = reverse("admin:programs_program_changelist")

    by_run = admin_client.get(url, {"q": "course-v1:edX+DemoX+1T2024"}).content.decode()
    by_status = admin_client.get(url, {"status__exact": "retired"}).content.decode()
    by_uuid = admin_client.get(url, {"q": str(program.uuid)[:8]}).content.decode()

    assert "Local Data Science" in by_run and "Another" not in by_run
    assert "Another" in by_status and "Local Data Science" not in by_status
    assert "Local Data Science" in by_uuid


def test_sync_runs_are_listed(admin_client):
    SyncRun.objects.create(
        status="succeeded",
        counts={
            "programs_created": 3,
            "programs_updated": 0,
            "programs_unchanged": 1,
            "programs_retired": 0,
            "errors": 0,
        },
    )
    page = admin_client.get(reverse("admin:programs_syncrun_changelist")).content.decode()
    assert "3 / 0 / 1 / 0, 0" in page


def test_deleting_a_course_inline_drops_the_exclusions_of_its_runs(admin_client, program):
    demo = program.courses.get()
    stats = CourseFactory(key="edX+StatsX")
    stats_run = CourseRunFactory(key="course-v1:edX+StatsX+1T2025", course=stats)
    kept = ProgramCourse.objects.create(program=program, course=stats, position=1)
    excluded = demo.course_runs.get(key="course-v1:edX+DemoX+2T2023")
    program.excluded_course_runs.set([excluded, stats_run])
    demo_row = ProgramCourse.objects.get(program=program, course=demo)

    # One change: DemoX deleted in the inline, both exclusions kept in the (already validated) form.
    response = admin_client.post(
        reverse("admin:programs_program_change", args=[program.pk]),
        change_form_data(
            program,
            excluded_course_runs=[str(excluded.pk), str(stats_run.pk)],
            **{
                "program_courses-TOTAL_FORMS": "2",
                "program_courses-INITIAL_FORMS": "2",
                "program_courses-0-id": str(demo_row.pk),
                "program_courses-0-program": str(program.pk),
                "program_courses-0-position": "0",
                "program_courses-0-course": str(demo.pk),
                "program_courses-0-DELETE": "on",
                "program_courses-1-id": str(kept.pk),
                "program_courses-1-program": str(program.pk),
                "program_courses-1-position": "1",
                "program_courses-1-course": str(stats.pk),
            },
        ),
        follow=True,
    )

    assert response.status_code == 200
    assert list(program.courses.values_list("key", flat=True)) == ["edX+StatsX"]
    assert list(program.excluded_course_runs.values_list("key", flat=True)) == ["course-v1:edX+StatsX+1T2025"]
    page = response.content.decode()
    assert "Exclusions dropped, their course is no longer in the program: course-v1:edX+DemoX+2T2023." in page
