"""The pure reconciliation over plain data: rules the API cases do not already pin."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from credentials_status.data import (
    CourseFacts,
    CredentialFacts,
    EnrollmentFacts,
    LearnerRecords,
    ProgramFacts,
    RunFacts,
)
from credentials_status.program_status import accepted_certificate_types, reconcile_program_status

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def run(run_id: int, key: str, *, start: datetime | None = None, removed: bool = False) -> RunFacts:
    return RunFacts(id=run_id, uuid=uuid4(), key=key, title=key, start=start, end=None, removed=removed)


def program(
    *courses: CourseFacts, seat_types: tuple[str, ...] = (), excluded: frozenset[int] = frozenset()
) -> ProgramFacts:
    return ProgramFacts(
        id=1,
        uuid=uuid4(),
        title="P",
        type="",
        status="active",
        applicable_seat_types=seat_types,
        courses=courses,
        excluded_run_ids=excluded,
    )


def course(key: str, *runs: RunFacts) -> CourseFacts:
    return CourseFacts(uuid=uuid4(), key=key, title=key, runs=runs)


def learner(credentials: dict | None = None, enrollments: dict | None = None) -> LearnerRecords:
    return LearnerRecords(lms_user_id=1, username="ana", credentials=credentials or {}, enrollments=enrollments or {})


def test_empty_seat_types_accept_every_type_but_audit() -> None:
    assert accepted_certificate_types([]) == ["honor", "verified", "professional", "no-id-professional", "masters"]
    assert accepted_certificate_types(["verified", "verified"]) == ["verified"]


def test_audit_certificate_does_not_complete_a_course() -> None:
    answer = reconcile_program_status(
        program(course("A", run(1, "r1"))), learner({1: CredentialFacts("awarded", "audit")}), NOW
    )

    assert answer.courses[0].status == "in_progress"
    assert answer.is_complete is False


def test_certificate_type_outside_the_program_seat_types_does_not_count_nor_warn_in_excluded_run() -> None:
    facts = program(course("A", run(1, "r1"), run(2, "r2")), seat_types=("verified",), excluded=frozenset({1}))

    answer = reconcile_program_status(facts, learner({1: CredentialFacts("awarded", "honor")}), NOW)

    assert answer.courses[0].completed_only_in_excluded_run is False
    assert answer.warnings == []


def test_inactive_enrollment_is_not_started() -> None:
    answer = reconcile_program_status(
        program(course("A", run(1, "r1"))), learner(enrollments={1: EnrollmentFacts("verified", False)}), NOW
    )

    assert answer.courses[0].status == "not_started"
    assert answer.courses[0].course_runs[0].learner.type is None


def test_award_becomes_completion_once_its_available_date_passes() -> None:
    facts = program(course("A", run(1, "r1")))
    records = learner({1: CredentialFacts("awarded", "verified", NOW + timedelta(days=1))})

    assert reconcile_program_status(facts, records, NOW).is_complete is False
    assert reconcile_program_status(facts, records, NOW + timedelta(days=2)).is_complete is True


def test_warning_names_the_counting_run_the_learner_is_enrolled_in() -> None:
    facts = program(
        course(
            "A",
            run(1, "old", start=NOW - timedelta(days=900)),
            run(2, "mine", start=NOW - timedelta(days=100)),
            run(3, "latest", start=NOW),
        ),
        excluded=frozenset({1}),
    )
    records = learner({1: CredentialFacts("awarded", "verified")}, {2: EnrollmentFacts("verified", True)})

    answer = reconcile_program_status(facts, records, NOW)

    assert "a counting run is mine " in answer.warnings[0].message
    assert answer.courses[0].completed_only_in_excluded_run is True
    assert answer.excluded_completions == 1


def test_warning_without_any_counting_run_says_so() -> None:
    facts = program(course("A", run(1, "only")), excluded=frozenset({1}))

    answer = reconcile_program_status(facts, learner({1: CredentialFacts("awarded", "verified")}), NOW)

    assert answer.warnings[0].message == (
        "The learner completed only, which this program does not count; "
        "no run of A counts toward this program at present."
    )


def test_program_without_courses_is_never_complete() -> None:
    answer = reconcile_program_status(program(), learner(), NOW)

    assert (answer.is_complete, answer.completed_courses, answer.total_courses) == (False, 0, 0)
