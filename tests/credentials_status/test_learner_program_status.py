"""POST /api/credentials/v1/learner_program_status/: every case of the contract, each on the full answer."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import status

from credentials_status.data import LearnerRunStatus
from credentials_status.models import CourseRunCredential, Grade
from credentials_status.selectors import learner_program_status, learner_records
from enrollments.models import Enrollment
from programs.api import program_facts_by_uuid
from programs.models import Course, CourseRun, Program, ProgramCourse, ProgramExcludedCourseRun, ProgramStatus
from tests.factories import (
    CourseFactory,
    CourseRunFactory,
    CredentialFactory,
    EnrollmentFactory,
    GradeFactory,
    OrganizationFactory,
    UserFactory,
)

URL = "/api/credentials/v1/learner_program_status/"
NOT_ENROLLED = {"status": "not_enrolled", "type": None, "certificate_available_date": None, "grade": None}
# 1T2024 started in 2024 and has no end date: open now, whatever today is.
ADVICE_2024 = (
    "a counting run is course-v1:edX+DemoX+1T2024 (open now). edX+DemoX is complete once the learner earns an "
    "accepted certificate (verified or professional) in a counting run."
)


CONTRACT_WARNING_FIELDS = ("code", "course_run_key", "message")


def contract(body: dict) -> dict:
    """The answer with each warning cut to the contract's fields (the structured reason fields are
    pinned by test_warning_carries_the_structured_reason)."""
    return {**body, "warnings": [{k: w[k] for k in CONTRACT_WARNING_FIELDS} for w in body["warnings"]]}


def at(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@pytest.fixture
def catalog(db: None) -> SimpleNamespace:
    """Program "Data Science": edX+DemoX (2T2023 excluded, 1T2024 counts) then edX+StatsX (3T2025)."""
    org = OrganizationFactory(key="edX")
    demo = CourseFactory(organization=org, key="edX+DemoX", title="Demonstration Course")
    stats = CourseFactory(organization=org, key="edX+StatsX", title="Statistics")
    old = CourseRunFactory(
        course=demo, key="course-v1:edX+DemoX+2T2023", title="Demo 2023", start=at(2023, 4), end=at(2023, 8)
    )
    new = CourseRunFactory(
        course=demo, key="course-v1:edX+DemoX+1T2024", title="Demo 2024", start=at(2024, 1), end=None
    )
    stats_run = CourseRunFactory(
        course=stats, key="course-v1:edX+StatsX+3T2025", title="Statistics", start=at(2025, 9), end=at(2025, 12)
    )
    program = Program.objects.create(
        title="Data Science", type="MicroMasters", applicable_seat_types=["verified", "professional"]
    )
    ProgramCourse.objects.create(program=program, course=demo, position=0)
    ProgramCourse.objects.create(program=program, course=stats, position=1)
    program.excluded_course_runs.add(old)
    learner = UserFactory(username="ana", lms_user_id=7)
    return SimpleNamespace(
        program=program, demo=demo, stats=stats, old=old, new=new, stats_run=stats_run, learner=learner
    )


@pytest.fixture
def reader(jwt_client: Any) -> Any:
    return jwt_client("support", roles=["learner_status_readers"])


def run_json(run: Any, *, excluded: bool = False, removed: bool = False, learner: dict | None = None) -> dict:
    return {
        "uuid": str(run.uuid),
        "key": run.key,
        "title": run.title,
        "start": iso(run.start),
        "end": iso(run.end),
        "excluded": excluded,
        "removed": removed,
        "counts_toward_program": not excluded and not removed,
        "learner": learner or NOT_ENROLLED,
    }


def course_json(course: Any, course_status: str, runs: list[dict], *, only_excluded: bool = False) -> dict:
    return {
        "course_uuid": str(course.uuid),
        "key": course.key,
        "title": course.title,
        "status": course_status,
        "completed_only_in_excluded_run": only_excluded,
        "course_runs": runs,
    }


def answer(
    c: SimpleNamespace,
    courses: list[dict],
    *,
    warnings: list[dict] | tuple = (),
    completed: int = 0,
    username: str | None = "ana",
    lms_user_id: int | None = 7,
    program_status: str = "active",
) -> dict:
    return {
        "lms_user_id": lms_user_id,
        "username": username,
        "program": {
            "uuid": str(c.program.uuid),
            "title": "Data Science",
            "type": "MicroMasters",
            "status": program_status,
        },
        "is_complete": completed == len(courses) and bool(courses),
        "completed_courses": completed,
        "total_courses": len(courses),
        "accepted_certificate_types": ["verified", "professional"],
        "courses": courses,
        "warnings": list(warnings),
    }


def awarded(type_: str = "verified", grade: dict | None = None, available: datetime | None = None) -> dict:
    return {"status": "awarded", "type": type_, "certificate_available_date": iso(available), "grade": grade}


def post(client: Any, c: SimpleNamespace, **identity: Any) -> Any:
    return client.post(URL, {"program_uuid": str(c.program.uuid), **(identity or {"username": "ana"})}, format="json")


def test_award_only_in_excluded_run(catalog: SimpleNamespace, reader: Any) -> None:
    c = catalog
    CredentialFactory(learner=c.learner, course_run=c.old)

    response = post(reader, c)

    assert response.status_code == status.HTTP_200_OK
    assert contract(response.json()) == answer(
        c,
        [
            course_json(
                c.demo,
                "in_progress",
                [run_json(c.old, excluded=True, learner=awarded()), run_json(c.new)],
                only_excluded=True,
            ),
            course_json(c.stats, "not_started", [run_json(c.stats_run)]),
        ],
        warnings=[
            {
                "code": "completed_excluded_run",
                "course_run_key": "course-v1:edX+DemoX+2T2023",
                "message": "The learner completed course-v1:edX+DemoX+2T2023, which this program does not count; "
                + ADVICE_2024,
            }
        ],
    )


def test_award_in_excluded_and_counting_run_completes_the_program(catalog: SimpleNamespace, reader: Any) -> None:
    c = catalog
    CredentialFactory(learner=c.learner, course_run=c.old)
    CredentialFactory(learner=c.learner, course_run=c.new, type="professional")
    GradeFactory(learner=c.learner, course_run=c.new, letter_grade="A", percent_grade="0.9200", verified=True)
    CredentialFactory(learner=c.learner, course_run=c.stats_run)

    response = post(reader, c, lms_user_id=7)

    grade = {"letter_grade": "A", "percent_grade": 0.92, "verified": True}
    assert response.status_code == status.HTTP_200_OK
    assert contract(response.json()) == answer(
        c,
        [
            course_json(
                c.demo,
                "completed",
                [
                    run_json(c.old, excluded=True, learner=awarded()),
                    run_json(c.new, learner=awarded("professional", grade)),
                ],
            ),
            course_json(c.stats, "completed", [run_json(c.stats_run, learner=awarded())]),
        ],
        completed=2,
        warnings=[
            {
                "code": "completed_excluded_run",
                "course_run_key": "course-v1:edX+DemoX+2T2023",
                "message": "The learner completed course-v1:edX+DemoX+2T2023, which this program does not count; "
                "the course is complete through course-v1:edX+DemoX+1T2024, a counting run.",
            }
        ],
    )


def test_revoked_credential_does_not_complete(catalog: SimpleNamespace, reader: Any) -> None:
    c = catalog
    CredentialFactory(learner=c.learner, course_run=c.new, status="revoked", revoked_at=timezone.now())
    EnrollmentFactory(learner=c.learner, course_run=c.stats_run, mode="verified")

    response = post(reader, c)

    revoked = {"status": "revoked", "type": "verified", "certificate_available_date": None, "grade": None}
    enrolled = {"status": "enrolled", "type": "verified", "certificate_available_date": None, "grade": None}
    assert contract(response.json()) == answer(
        c,
        [
            course_json(c.demo, "in_progress", [run_json(c.old, excluded=True), run_json(c.new, learner=revoked)]),
            course_json(c.stats, "in_progress", [run_json(c.stats_run, learner=enrolled)]),
        ],
    )


def test_award_pending_availability_does_not_complete_yet(catalog: SimpleNamespace, reader: Any) -> None:
    c = catalog
    available = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    CredentialFactory(learner=c.learner, course_run=c.new, certificate_available_date=available)
    CredentialFactory(learner=c.learner, course_run=c.stats_run)

    response = post(reader, c)

    pending = {
        "status": "pending_availability",
        "type": "verified",
        "certificate_available_date": iso(available),
        "grade": None,
    }
    assert contract(response.json()) == answer(
        c,
        [
            course_json(c.demo, "in_progress", [run_json(c.old, excluded=True), run_json(c.new, learner=pending)]),
            course_json(c.stats, "completed", [run_json(c.stats_run, learner=awarded())]),
        ],
        completed=1,
    )


def test_run_deleted_by_the_lms_stops_counting_but_keeps_the_credential(
    catalog: SimpleNamespace, reader: Any, jwt_client: Any
) -> None:
    c = catalog
    CredentialFactory(learner=c.learner, course_run=c.new)
    CredentialFactory(learner=c.learner, course_run=c.stats_run)
    untouched = CourseRunFactory(course=c.demo, key="course-v1:edX+DemoX+3T2024", start=at(2024, 9))
    publisher = jwt_client("lms", roles=["catalog_publishers"])
    for run in (c.new, untouched):
        deleted = publisher.delete(f"/api/programs/v1/course_runs/{run.key}/")
        assert deleted.status_code == status.HTTP_204_NO_CONTENT

    response = post(reader, c)

    c.new.refresh_from_db()
    assert CourseRunCredential.objects.filter(learner=c.learner, course_run=c.new, status="awarded").exists()
    assert contract(response.json()) == answer(
        c,
        [
            course_json(
                c.demo,
                "in_progress",
                # The removed run the learner never touched is not listed any more.
                [run_json(c.old, excluded=True), run_json(c.new, removed=True, learner=awarded())],
            ),
            course_json(c.stats, "completed", [run_json(c.stats_run, learner=awarded())]),
        ],
        completed=1,
        warnings=[
            {
                "code": "completed_removed_run",
                "course_run_key": "course-v1:edX+DemoX+1T2024",
                "message": "The learner completed course-v1:edX+DemoX+1T2024, a run since removed from the catalog, "
                "which no longer counts toward this program; no run of edX+DemoX counts toward this program "
                "at present.",
            }
        ],
    )


@pytest.mark.parametrize("program_status", [ProgramStatus.RETIRED, ProgramStatus.UNPUBLISHED, ProgramStatus.DELETED])
def test_program_not_active_still_reconciles_and_says_so(
    catalog: SimpleNamespace, reader: Any, program_status: str
) -> None:
    # Deleted included: the learner programs list shows it too (ADR 0005, one rule for both).
    c = catalog
    Program.objects.filter(pk=c.program.pk).update(status=program_status)
    CredentialFactory(learner=c.learner, course_run=c.new)
    CredentialFactory(learner=c.learner, course_run=c.stats_run)

    response = post(reader, c)

    assert contract(response.json()) == answer(
        c,
        [
            course_json(c.demo, "completed", [run_json(c.old, excluded=True), run_json(c.new, learner=awarded())]),
            course_json(c.stats, "completed", [run_json(c.stats_run, learner=awarded())]),
        ],
        completed=2,
        program_status=program_status,
        warnings=[
            {
                "code": "program_not_active",
                "course_run_key": None,
                "message": f"This program is {program_status}: the learner's progress is shown as it stands, "
                "but the program is not open to new learners.",
            }
        ],
    )


def test_course_without_runs_keeps_the_program_incomplete(catalog: SimpleNamespace, reader: Any) -> None:
    c = catalog
    empty = CourseFactory(organization=c.demo.organization, key="edX+EmptyX", title="Not scheduled yet")
    ProgramCourse.objects.create(program=c.program, course=empty, position=2)
    CredentialFactory(learner=c.learner, course_run=c.new)
    CredentialFactory(learner=c.learner, course_run=c.stats_run)

    response = post(reader, c)

    assert contract(response.json()) == answer(
        c,
        [
            course_json(c.demo, "completed", [run_json(c.old, excluded=True), run_json(c.new, learner=awarded())]),
            course_json(c.stats, "completed", [run_json(c.stats_run, learner=awarded())]),
            course_json(empty, "not_started", []),
        ],
        completed=2,
    )
    assert response.json()["is_complete"] is False


@pytest.mark.parametrize(
    ("identity", "echo"),
    [
        ({"lms_user_id": 999}, {"lms_user_id": 999, "username": None}),
        ({"username": "nobody"}, {"lms_user_id": None, "username": "nobody"}),
    ],
)
def test_unknown_learner_gets_every_course_not_started(
    catalog: SimpleNamespace, reader: Any, identity: dict, echo: dict
) -> None:
    c = catalog
    CredentialFactory(learner=c.learner, course_run=c.new)

    response = post(reader, c, **identity)

    assert response.status_code == status.HTTP_200_OK
    assert contract(response.json()) == answer(
        c,
        [
            course_json(c.demo, "not_started", [run_json(c.old, excluded=True), run_json(c.new)]),
            course_json(c.stats, "not_started", [run_json(c.stats_run)]),
        ],
        **echo,
    )


def test_unknown_program_is_a_json_404(catalog: SimpleNamespace, reader: Any) -> None:
    response = reader.post(
        URL, {"username": "ana", "program_uuid": "00000000-0000-4000-8000-000000000000"}, format="json"
    )

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "https://docs.openedx.org/errors/not-found",
        "code": "not-found",
        "reason": "program_not_found",
        "title": "Not Found",
        "status": status.HTTP_404_NOT_FOUND,
        "detail": "No program has this uuid.",
        "instance": URL,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ana", "lms_user_id": 7}, "non_field_errors"),
        ({}, "non_field_errors"),
        ({"username": "ana", "program_uuid": "not-a-uuid"}, "program_uuid"),
        ({"username": "ana"}, "program_uuid"),
    ],
)
def test_malformed_body_is_a_400_naming_the_field(reader: Any, body: dict, field: str) -> None:
    body = {"program_uuid": "00000000-0000-4000-8000-000000000000", **body} if field != "program_uuid" else body

    response = reader.post(URL, body, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert field in response.json()["errors"]


def test_anonymous_is_refused(catalog: SimpleNamespace, api_client: Any) -> None:
    response = post(api_client, catalog)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_learner_reads_only_their_own_status(catalog: SimpleNamespace, jwt_client: Any) -> None:
    ana = jwt_client("ana", lms_user_id=7)
    bob = jwt_client("bob", lms_user_id=8)

    assert post(ana, catalog).status_code == status.HTTP_200_OK
    assert post(ana, catalog, lms_user_id=7).status_code == status.HTTP_200_OK
    assert post(bob, catalog).status_code == status.HTTP_403_FORBIDDEN
    assert post(bob, catalog, lms_user_id=7).status_code == status.HTTP_403_FORBIDDEN


def program_of_size(learner: Any, *, courses: int, runs: int, credited: int) -> Program:
    """A program of ``courses`` x ``runs`` (the first run of each excluded); the learner is enrolled in
    every run and holds a verified certificate (and a grade) in the first ``credited`` runs of each course."""
    org = OrganizationFactory(key=f"Size{courses}x{runs}")
    course_rows = Course.objects.bulk_create(
        [Course(organization=org, key=f"{org.key}+C{i}", title=f"Course {i}") for i in range(courses)]
    )
    run_rows = CourseRun.objects.bulk_create(
        [
            CourseRun(course=course, key=f"course-v1:{course.key}+{r}T2025", title=course.title, start=at(2025, 1))
            for course in course_rows
            for r in range(runs)
        ]
    )
    program = Program.objects.create(title="Sized", type="MicroMasters", applicable_seat_types=["verified"])
    ProgramCourse.objects.bulk_create(
        [ProgramCourse(program=program, course=course, position=i) for i, course in enumerate(course_rows)]
    )
    program.excluded_course_runs.set(run_rows[::runs])
    credited_runs = [run for index, run in enumerate(run_rows) if index % runs < credited]
    Enrollment.objects.bulk_create([Enrollment(learner=learner, course_run=run, mode="verified") for run in run_rows])
    CourseRunCredential.objects.bulk_create(
        [
            CourseRunCredential(learner=learner, course_run=run, status="awarded", type="verified")
            for run in credited_runs
        ]
    )
    Grade.objects.bulk_create(
        [Grade(learner=learner, course_run=run, letter_grade="A", percent_grade="0.9000") for run in credited_runs]
    )
    return program


@pytest.mark.parametrize(
    ("courses", "runs", "credited"),
    [(2, 3, 2), (30, 10, 5)],
    ids=["2x3-6-enrollments-4-credentials", "30x10-300-enrollments-150-credentials"],
)
def test_query_count_does_not_grow_with_the_program(
    catalog: SimpleNamespace,
    reader: Any,
    django_assert_max_num_queries: Any,
    courses: int,
    runs: int,
    credited: int,
) -> None:
    program = program_of_size(catalog.learner, courses=courses, runs=runs, credited=credited)
    body = {"username": "ana", "program_uuid": str(program.uuid)}
    reader.post(URL, body, format="json")  # warm the JWT user row and role cache paths

    # The same bound for both sizes: 6 for the answer (the program with its courses, the runs with
    # their exclusion flag, learner, credentials, enrollments, grades) and 3 for JWT authentication
    # (user, pending enrollments of the token's email: ADR 0007) and the role check (groups).
    with django_assert_max_num_queries(9):
        response = reader.post(URL, body, format="json")

    answer = response.json()
    assert response.status_code == status.HTTP_200_OK
    assert (answer["total_courses"], answer["completed_courses"], answer["is_complete"]) == (courses, courses, True)
    assert sum(len(course["course_runs"]) for course in answer["courses"]) == courses * runs
    # The first run of every course is excluded and credited: one warning per course.
    assert [w["code"] for w in answer["warnings"]] == ["completed_excluded_run"] * courses
    assert {run["learner"]["status"] for course in answer["courses"] for run in course["course_runs"]} == {
        "awarded",
        "enrolled",
    }


def test_warning_carries_the_structured_reason(catalog: SimpleNamespace, reader: Any) -> None:
    c = catalog
    CredentialFactory(learner=c.learner, course_run=c.old)

    [warning] = post(reader, c).json()["warnings"]

    open_2024 = {
        "key": "course-v1:edX+DemoX+1T2024",
        "title": "Demo 2024",
        "start": "2024-01-01T00:00:00Z",
        "end": None,
        "timing": "open",
        "learner_enrolled": False,
        "certificate_available_date": None,
    }
    assert warning == {
        "code": "completed_excluded_run",
        "course_run_key": "course-v1:edX+DemoX+2T2023",
        "message": "The learner completed course-v1:edX+DemoX+2T2023, which this program does not count; "
        + ADVICE_2024,
        "learner_message": "Your certificate from the April 2023 run of Demonstration Course does not count toward "
        "this program. To complete the course, earn an accepted certificate (verified or professional) in a run "
        "that counts, such as the one open now.",
        "program_title": "Data Science",
        "course": {"key": "edX+DemoX", "title": "Demonstration Course"},
        "run": {
            "key": "course-v1:edX+DemoX+2T2023",
            "title": "Demo 2023",
            "start": "2023-04-01T00:00:00Z",
            "end": "2023-08-01T00:00:00Z",
            "timing": "ended",
            "learner_enrolled": False,
            "certificate_available_date": None,
        },
        "counting_run": open_2024,
        "course_completed": False,
        "accepted_certificate_types": ["verified", "professional"],
        "next_step": {
            "code": "enroll",
            "course": {"key": "edX+DemoX", "title": "Demonstration Course"},
            "run": open_2024,
            "accepted_certificate_types": ["verified", "professional"],
            "message": "Enroll in Demonstration Course, the run open now, to complete this course.",
        },
    }


def test_a_program_without_courses_answers_with_none(catalog: SimpleNamespace, reader: Any) -> None:
    """The program and its courses are read in one joined query: a program with no course still exists."""
    empty = Program.objects.create(title="Announced", type="MicroMasters", applicable_seat_types=["verified"])
    empty.excluded_course_runs.add(catalog.old)

    response = reader.post(URL, {"username": "ana", "program_uuid": str(empty.uuid)}, format="json")

    assert response.status_code == status.HTTP_200_OK
    answer = response.json()
    assert answer["program"]["title"] == "Announced"
    assert (answer["total_courses"], answer["completed_courses"], answer["is_complete"]) == (0, 0, False)
    assert answer["courses"] == [] and answer["warnings"] == []


def test_catalog_changes_written_behind_the_orm_show_at_the_next_answer(catalog: SimpleNamespace, reader: Any) -> None:
    """A program's facts are built once for the rows they come from (programs.selectors, issue 17), so a
    change must show at the next request whatever wrote it: here bulk statements, which send no signal
    and save no history."""
    c = catalog
    CredentialFactory(learner=c.learner, course_run=c.new)
    before = post(reader, c).json()
    assert before["completed_courses"] == 1 and before["warnings"] == []

    ProgramExcludedCourseRun.objects.bulk_create([ProgramExcludedCourseRun(program=c.program, courserun=c.new)])
    CourseRun.objects.filter(pk=c.stats_run.pk).update(title="Statistics, renamed")
    Program.objects.filter(pk=c.program.pk).update(title="Data Science II")
    after = post(reader, c).json()

    assert after["program"]["title"] == "Data Science II"
    assert after["completed_courses"] == 0
    assert [w["course_run_key"] for w in after["warnings"]] == ["course-v1:edX+DemoX+1T2024"]
    assert after["courses"][1]["course_runs"][0]["title"] == "Statistics, renamed"

    ProgramCourse.objects.filter(program=c.program, course=c.stats).delete()
    assert [course["key"] for course in post(reader, c).json()["courses"]] == ["edX+DemoX"]


def test_unchanged_program_facts_are_built_once(catalog: SimpleNamespace) -> None:
    first = program_facts_by_uuid(program_uuid=catalog.program.uuid)

    assert program_facts_by_uuid(program_uuid=catalog.program.uuid) is first
    CourseRun.objects.filter(pk=catalog.new.pk).update(end=at(2030, 1))
    changed = program_facts_by_uuid(program_uuid=catalog.program.uuid)
    assert changed is not first and changed.courses[0].runs[1].end == at(2030, 1)


def test_records_outside_the_program_are_read_and_left_out_of_its_answer(catalog: SimpleNamespace) -> None:
    """All the learner's records are read (three statements on the learner's index, no join with the
    program's runs); the answer shows those of the program's runs, excluded and removed ones included,
    and nothing of another course's run."""
    c = catalog
    elsewhere = CourseRunFactory(course=CourseFactory(organization=c.demo.organization, key="edX+Other"))
    CourseRun.objects.filter(pk=c.stats_run.pk).update(removed_at=timezone.now())
    for run in (c.old, c.stats_run, elsewhere):
        CredentialFactory(learner=c.learner, course_run=run)
        GradeFactory(learner=c.learner, course_run=run)
        EnrollmentFactory(learner=c.learner, course_run=run)

    records = learner_records(c.learner)
    answer = learner_program_status(program_uuid=c.program.uuid, username=c.learner.username)

    assert (
        set(records.credentials)
        == set(records.grades)
        == set(records.enrollments)
        == {
            c.old.pk,
            c.stats_run.pk,
            elsewhere.pk,
        }
    )
    runs = {run.key: run for course in answer.courses for run in course.course_runs}
    assert elsewhere.key not in runs
    assert runs[c.stats_run.key].removed
    for key in (c.old.key, c.stats_run.key):
        assert runs[key].learner.status != LearnerRunStatus.NOT_ENROLLED
        assert runs[key].learner.grade is not None


def test_runs_are_ordered_by_start_then_key_those_without_a_start_last(
    catalog: SimpleNamespace, reader: Any, jwt_client: Any
) -> None:
    """docs/decisions/0005: a course's runs by start, runs without a start last, then by key compared exactly.
    The facts sort them as they are built (SQLite and MariaDB would sort a missing start first, PostgreSQL
    last); the statement reads the runs in the order of its index. The learner's own programs, whose facts
    are read apart, show the same order."""
    c = catalog
    for key, start in (
        ("course-v1:edX+StatsX+Self", None),
        ("course-v1:edX+StatsX+a2025", at(2025, 9)),  # starts with 3T2025: by key, "3" before "a"
        ("course-v1:edX+StatsX+1T2025", at(2025, 1)),
        ("course-v1:edX+StatsX+0Self", None),
    ):
        CourseRunFactory(course=c.stats, key=key, start=start, end=None)
    EnrollmentFactory(learner=c.learner, course_run=c.stats_run)
    expected = [
        "course-v1:edX+StatsX+1T2025",
        "course-v1:edX+StatsX+3T2025",
        "course-v1:edX+StatsX+a2025",
        "course-v1:edX+StatsX+0Self",
        "course-v1:edX+StatsX+Self",
    ]

    status_answer = post(reader, c).json()
    own = jwt_client("ana", lms_user_id=7).get("/api/credentials/v1/learners/me/programs/")

    assert [run["key"] for run in status_answer["courses"][1]["course_runs"]] == expected
    assert own.status_code == status.HTTP_200_OK
    assert [run["key"] for run in own.json()[0]["courses"][1]["course_runs"]] == expected
