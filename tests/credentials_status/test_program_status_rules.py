"""The pure reconciliation over plain data: rules the API cases do not already pin."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from credentials_status.data import (
    CourseFacts,
    CredentialFacts,
    EnrollmentFacts,
    LearnerRecords,
    ProgramFacts,
    RunFacts,
)
from credentials_status.explanations import certificate_wording
from credentials_status.program_status import accepted_certificate_types, reconcile_program_status

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def run(
    run_id: int, key: str, *, start: datetime | None = None, end: datetime | None = None, removed: bool = False
) -> RunFacts:
    return RunFacts(id=run_id, uuid=uuid4(), key=key, title=key, start=start, end=end, removed=removed)


def days(n: int) -> datetime:
    return NOW + timedelta(days=n)


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
            run(1, "old", start=days(-900), end=days(-800)),
            run(2, "mine", start=days(-100)),
            run(3, "latest", start=NOW),
        ),
        excluded=frozenset({1}),
    )
    records = learner({1: CredentialFacts("awarded", "verified")}, {2: EnrollmentFacts("verified", True)})

    answer = reconcile_program_status(facts, records, NOW)

    assert answer.warnings[0].message == (
        "The learner completed old, which this program does not count; a counting run is mine (open now; the "
        "learner is enrolled in it). A is complete once the learner earns an accepted certificate (any type but "
        "audit) in a counting run."
    )
    assert answer.courses[0].completed_only_in_excluded_run is True
    assert answer.excluded_completions == 1


# Run 1 is the excluded one the learner completed; the others are the counting runs on offer.
ENDED_EARLY = run(2, "ended-early", start=days(-400), end=days(-300))
ENDED_LATE = run(3, "ended-late", start=days(-500), end=days(-31))
OPEN = run(4, "open", start=days(-10), end=days(50))
SOON = run(5, "soon", start=days(20))
LATER = run(6, "later", start=days(200), end=days(300))
UNSCHEDULED = run(7, "unscheduled")


@pytest.mark.parametrize(
    ("offered", "enrolled_in", "advice"),
    [
        (
            (ENDED_LATE, UNSCHEDULED, LATER, OPEN, SOON),
            None,
            "a counting run is open (open now).",
        ),
        (
            (ENDED_LATE, UNSCHEDULED, LATER, SOON),
            None,
            "a counting run is soon (starts 2026-01-21).",
        ),
        (
            (ENDED_LATE, UNSCHEDULED),
            None,
            "a counting run is unscheduled (not scheduled yet).",
        ),
        (
            (ENDED_LATE, ENDED_EARLY),
            None,
            "the latest counting run is ended-late (ended 2025-12-01; no counting run is open or upcoming).",
        ),
        (
            (ENDED_EARLY, OPEN, SOON),
            ENDED_EARLY,
            "a counting run is ended-early (ended 2025-03-07; the learner is enrolled in it).",
        ),
    ],
    ids=["open-now", "soonest-upcoming", "unscheduled", "latest-ended", "enrolled-wins"],
)
def test_warning_names_the_enrolled_run_else_an_open_or_upcoming_one_else_the_latest_ended(
    offered: tuple[RunFacts, ...], enrolled_in: RunFacts | None, advice: str
) -> None:
    facts = program(
        course("edX+DemoX", run(1, "excluded", start=days(-900), end=days(-800)), *offered),
        seat_types=("verified", "professional"),
        excluded=frozenset({1}),
    )
    enrollments = {enrolled_in.id: EnrollmentFacts("verified", True)} if enrolled_in else {}

    answer = reconcile_program_status(facts, learner({1: CredentialFacts("awarded", "verified")}, enrollments), NOW)

    assert [w.message for w in answer.warnings] == [
        "The learner completed excluded, which this program does not count; "
        + advice
        + " edX+DemoX is complete once the learner earns an accepted certificate (verified or professional) in a "
        "counting run."
    ]


@pytest.mark.parametrize(
    ("seat_types", "wording"),
    [
        ((), "an accepted certificate (any type but audit)"),
        (("verified",), "a verified certificate"),
        (("honor",), "an honor certificate"),
        (("professional", "professional"), "a professional certificate"),
        (("verified", "professional", "masters"), "an accepted certificate (verified, professional or masters)"),
    ],
)
def test_certificate_wording_is_plain_english(seat_types: tuple[str, ...], wording: str) -> None:
    assert certificate_wording(seat_types) == wording


def test_warning_names_a_single_accepted_type_with_its_article() -> None:
    facts = program(course("A", run(1, "r1"), run(2, "r2", start=NOW)), seat_types=("honor",), excluded=frozenset({1}))

    answer = reconcile_program_status(facts, learner({1: CredentialFacts("awarded", "honor")}), NOW)

    assert answer.warnings[0].message == (
        "The learner completed r1, which this program does not count; a counting run is r2 (open now). "
        "A is complete once the learner earns an honor certificate in a counting run."
    )


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
