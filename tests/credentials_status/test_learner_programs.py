"""GET /api/credentials/v1/learners/{username}/programs/: the programs a learner touches."""

from typing import Any

import pytest
from rest_framework import status

from programs.api import program_facts_holding_runs
from programs.models import Program, ProgramCourse, ProgramExcludedCourseRun, ProgramStatus
from tests.factories import CourseFactory, CourseRunFactory, CredentialFactory, EnrollmentFactory, UserFactory


def url(username: str) -> str:
    return f"/api/credentials/v1/learners/{username}/programs/"


def make_program(title: str, *, courses: int = 2, status_: str = ProgramStatus.ACTIVE) -> Program:
    program = Program.objects.create(title=title, type="Professional Certificate", status=status_)
    for position in range(courses):
        course = CourseFactory()
        CourseRunFactory(course=course)
        ProgramCourse.objects.create(program=program, course=course, position=position)
    return program


def first_run(program: Program, position: int = 0) -> Any:
    return program.program_courses.get(position=position).course.course_runs.first()


def summary(program: Program, **fields: Any) -> dict:
    return {
        "program": {
            "uuid": str(program.uuid),
            "title": program.title,
            "type": "Professional Certificate",
            "status": program.status,
        },
        "is_complete": False,
        "completed_courses": 0,
        "total_courses": 2,
        "excluded_completions": 0,
        **fields,
    }


@pytest.fixture
def ana(db: None) -> Any:
    return UserFactory(username="ana", lms_user_id=7)


def test_lists_every_touched_program_with_progress(ana: Any, jwt_client: Any) -> None:
    completed = make_program("A complete")
    for position in (0, 1):
        CredentialFactory(learner=ana, course_run=first_run(completed, position))
    excluded_only = make_program("B excluded only")
    excluded_run = first_run(excluded_only)
    excluded_only.excluded_course_runs.add(excluded_run)
    CredentialFactory(learner=ana, course_run=excluded_run)
    enrolled = make_program("C enrolled", status_=ProgramStatus.RETIRED)
    EnrollmentFactory(learner=ana, course_run=first_run(enrolled, 1))
    inactive = make_program("D enrollment ended")
    EnrollmentFactory(learner=ana, course_run=first_run(inactive), is_active=False)
    make_program("E untouched")
    deleted = make_program("F deleted", status_=ProgramStatus.DELETED)
    CredentialFactory(learner=ana, course_run=first_run(deleted))

    response = jwt_client("ana").get(url("ana"))

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == [
        summary(completed, is_complete=True, completed_courses=2),
        summary(excluded_only, excluded_completions=1),
        summary(enrolled),
        # Listed whatever its status, as learner_program_status answers it (ADR 0005).
        summary(deleted, completed_courses=1),
    ]


def test_deleted_program_is_answered_alike_by_both_endpoints(ana: Any, jwt_client: Any) -> None:
    deleted = make_program("Withdrawn", status_=ProgramStatus.DELETED)
    CredentialFactory(learner=ana, course_run=first_run(deleted))
    client = jwt_client("ana")

    listed = client.get(url("ana"))
    status_ = client.post(
        "/api/credentials/v1/learner_program_status/",
        {"username": "ana", "program_uuid": str(deleted.uuid)},
        format="json",
    )

    assert listed.json() == [summary(deleted, completed_courses=1)]
    assert status_.status_code == status.HTTP_200_OK
    assert status_.json()["program"] == listed.json()[0]["program"]
    assert (status_.json()["completed_courses"], status_.json()["total_courses"]) == (1, 2)
    [warning] = status_.json()["warnings"]
    assert (warning["code"], warning["course_run_key"], warning["message"]) == (
        "program_not_active",
        None,
        "This program is deleted: the learner's progress is shown as it stands, "
        "but the program is not open to new learners.",
    )
    assert warning["learner_message"] == (
        "This program is deleted: your progress is shown as it stands, but the program is not open to new learners."
    )


def test_run_removed_by_the_lms_no_longer_makes_a_program_touched(ana: Any, staff_client: Any) -> None:
    program = make_program("Removed")
    run = first_run(program)
    CredentialFactory(learner=ana, course_run=run)
    jwt = staff_client.delete(f"/api/programs/v1/course_runs/{run.key}/")
    assert jwt.status_code == status.HTTP_204_NO_CONTENT

    assert staff_client.get(url("ana")).json() == []


def test_unknown_learner_gets_an_empty_list(db: None, staff_client: Any) -> None:
    response = staff_client.get(url("nobody"))

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == []


def test_roles(ana: Any, jwt_client: Any, api_client: Any) -> None:
    assert api_client.get(url("ana")).status_code == status.HTTP_401_UNAUTHORIZED
    assert jwt_client("bob").get(url("ana")).status_code == status.HTTP_403_FORBIDDEN
    assert jwt_client("issuer", roles=["credential_issuers"]).get(url("ana")).status_code == status.HTTP_403_FORBIDDEN
    assert jwt_client("support", roles=["learner_status_readers"]).get(url("ana")).status_code == status.HTTP_200_OK
    assert jwt_client("admin", administrator=True).get(url("ana")).status_code == status.HTTP_200_OK


@pytest.mark.parametrize("programs", [1, 12])
def test_query_count_is_constant_however_many_programs(
    ana: Any, jwt_client: Any, django_assert_max_num_queries: Any, programs: int
) -> None:
    for index in range(programs):
        program = make_program(f"Program {index:02}", courses=3)
        excluded = first_run(program, 2)
        program.excluded_course_runs.add(excluded)
        CredentialFactory(learner=ana, course_run=first_run(program, 0))
        CredentialFactory(learner=ana, course_run=excluded)
        EnrollmentFactory(learner=ana, course_run=first_run(program, 1))
    client = jwt_client("support", roles=["learner_status_readers"])
    client.get(url("ana"))

    # learner, credentials, enrollments, grades, programs with their courses (touched ones found by a
    # subquery), runs, exclusions; plus 3 for JWT authentication (user, pending enrollments of the
    # token's email: ADR 0007) and the role check (groups).
    with django_assert_max_num_queries(10):
        response = client.get(url("ana"))

    assert len(response.json()) == programs
    assert {item["excluded_completions"] for item in response.json()} == {1}


@pytest.mark.parametrize("others", [0, 1], ids=["one program", "two programs"])
def test_catalog_changes_written_behind_the_orm_show_at_the_next_list(ana: Any, jwt_client: Any, others: int) -> None:
    """The touched programs' facts are built once for the rows they come from (programs.selectors,
    issue 17): an exclusion, a new course and a renamed program written by bulk statements (no signal, no
    history) show at the next request, and an unchanged set of programs is not built again. One program's
    exclusions are read with its runs, several programs' apart: both ways."""
    program = make_program("A program")
    run = first_run(program)
    CredentialFactory(learner=ana, course_run=run)
    other_summaries = []
    for index in range(others):
        other = make_program(f"B other {index}")
        EnrollmentFactory(learner=ana, course_run=first_run(other))
        other_summaries.append(summary(other))
    client = jwt_client("support", roles=["learner_status_readers"])
    assert client.get(url("ana")).json() == [summary(program, completed_courses=1), *other_summaries]
    facts = program_facts_holding_runs(run_ids={run.pk})
    assert program_facts_holding_runs(run_ids={run.pk})[0] is facts[0]

    ProgramExcludedCourseRun.objects.bulk_create([ProgramExcludedCourseRun(program=program, courserun=run)])
    assert client.get(url("ana")).json() == [summary(program, excluded_completions=1), *other_summaries]
    assert program_facts_holding_runs(run_ids={run.pk})[0] is not facts[0]

    Program.objects.filter(pk=program.pk).update(title="A program, renamed")
    ProgramCourse.objects.bulk_create([ProgramCourse(program=program, course=CourseFactory(), position=2)])
    program.refresh_from_db()
    assert client.get(url("ana")).json() == [
        summary(program, total_courses=3, excluded_completions=1),
        *other_summaries,
    ]
