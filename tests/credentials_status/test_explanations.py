"""The two renderings of the structured reasons: a learner's words and support's, for every warning
code, next step and run timing. Pure: the reconciliation over plain facts, then the words."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from credentials_status.data import (
    CourseFacts,
    CredentialFacts,
    EnrollmentFacts,
    LearnerRecords,
    NextStepCode,
    ProgramFacts,
    ProgramStatusAnswer,
    RunFacts,
    RunTiming,
)
from credentials_status.explanations import program_next_step
from credentials_status.program_status import reconcile_program_status

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def days(n: int) -> datetime:
    return NOW + timedelta(days=n)


def run(run_id: int, start: datetime | None, end: datetime | None = None, *, removed: bool = False) -> RunFacts:
    return RunFacts(
        id=run_id, uuid=uuid4(), key=f"course-v1:edX+DSB+R{run_id}", title="DSB", start=start, end=end, removed=removed
    )


# Run 1: May 2023, excluded (or removed) and completed by the learner; the others are on offer.
MAY_2023 = run(1, datetime(2023, 5, 2, tzinfo=UTC), datetime(2023, 8, 1, tzinfo=UTC))
ENDED = run(2, days(-300), days(-30))
OPEN = run(3, days(-10), days(60))
OPEN_NO_END = run(4, days(-10))
UPCOMING = run(5, datetime(2027, 1, 14, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
UNSCHEDULED = run(6, None)


def reconcile(
    *offered: RunFacts,
    credentials: dict[int, CredentialFacts] | None = None,
    enrolled: tuple[int, ...] = (),
    excluded: frozenset[int] = frozenset({1}),
    seat_types: tuple[str, ...] = ("verified",),
    status: str = "active",
    first: RunFacts = MAY_2023,
) -> ProgramStatusAnswer:
    course = CourseFacts(uuid=uuid4(), key="edX+DSB", title="Data Science Basics", runs=(first, *offered))
    program = ProgramFacts(
        id=1,
        uuid=uuid4(),
        title="Data Science",
        type="MicroMasters",
        status=status,
        applicable_seat_types=seat_types,
        courses=(course,),
        excluded_run_ids=excluded,
    )
    records = LearnerRecords(
        lms_user_id=1,
        username="ana",
        credentials={1: CredentialFacts("awarded", "verified")} if credentials is None else credentials,
        enrollments={run_id: EnrollmentFacts("verified", True) for run_id in enrolled},
    )
    return reconcile_program_status(program, records, NOW)


EXCLUDED_HEAD = "Your certificate from the May 2023 run of Data Science Basics does not count toward this program. "


@pytest.mark.parametrize(
    ("offered", "enrolled", "code", "timing", "learner", "step_line"),
    [
        (
            (UPCOMING,),
            (),
            NextStepCode.ENROLL,
            RunTiming.UPCOMING,
            "To complete the course, earn a verified certificate in a run that counts, such as the one starting "
            "14 January 2027.",
            "Enroll in Data Science Basics, the run starting 14 January 2027, to complete this course.",
        ),
        (
            (OPEN, UPCOMING),
            (),
            NextStepCode.ENROLL,
            RunTiming.OPEN,
            "To complete the course, earn a verified certificate in a run that counts, such as the one open now, "
            "until 2 March 2026.",
            "Enroll in Data Science Basics, the run open now, to complete this course.",
        ),
        (
            (OPEN_NO_END,),
            (),
            NextStepCode.ENROLL,
            RunTiming.OPEN,
            "To complete the course, earn a verified certificate in a run that counts, such as the one open now.",
            "Enroll in Data Science Basics, the run open now, to complete this course.",
        ),
        (
            (UNSCHEDULED, ENDED),
            (),
            NextStepCode.ENROLL,
            RunTiming.UNSCHEDULED,
            "To complete the course, earn a verified certificate in a run that counts, such as one that is planned "
            "but not scheduled yet.",
            "A run of Data Science Basics that counts is planned but not scheduled yet; enroll once it is.",
        ),
        (
            (OPEN, UPCOMING),
            (5,),
            NextStepCode.EARN_CERTIFICATE,
            RunTiming.UPCOMING,
            "To complete the course, earn a verified certificate in the run you are enrolled in (the January 2027 "
            "run), which counts.",
            "Earn a verified certificate in Data Science Basics, the January 2027 run you are enrolled in, to "
            "complete this course.",
        ),
        (
            # Enrolled only in a run that ended: the open run is the step, not the ended one.
            (ENDED, OPEN),
            (2,),
            NextStepCode.ENROLL,
            RunTiming.OPEN,
            "To complete the course, earn a verified certificate in a run that counts, such as the one open now, "
            "until 2 March 2026.",
            "Enroll in Data Science Basics, the run open now, to complete this course.",
        ),
        (
            (ENDED,),
            (),
            NextStepCode.NO_RUN_OPEN,
            RunTiming.ENDED,
            "No run of this course is open now: every run that counts has ended.",
            "No run of Data Science Basics is open now; the last run that counts ended on 2 December 2025.",
        ),
        (
            (),
            (),
            NextStepCode.NO_COUNTING_RUN,
            None,
            "No run of this course counts toward this program at present.",
            "No run of Data Science Basics counts toward this program at present.",
        ),
    ],
    ids=["upcoming", "open", "open-no-end", "unscheduled", "enrolled", "enrolled-ended", "all-ended", "none-counts"],
)
def test_excluded_completion_in_the_learners_words_for_every_timing(
    offered: tuple[RunFacts, ...],
    enrolled: tuple[int, ...],
    code: NextStepCode,
    timing: RunTiming | None,
    learner: str,
    step_line: str,
) -> None:
    answer = reconcile(*offered, enrolled=enrolled)

    [warning] = answer.warnings
    assert warning.learner_message == EXCLUDED_HEAD + learner
    assert warning.next_step is not None and warning.next_step.code == code
    assert (warning.next_step.run.timing if warning.next_step.run else None) == timing
    assert answer.courses[0].next_step == warning.next_step
    assert warning.next_step.learner_message == step_line
    # Support's words keep the run keys.
    assert warning.message.startswith("The learner completed course-v1:edX+DSB+R1, which this program does not count")


def test_in_progress_says_no_run_is_open_now_when_every_counting_run_has_ended() -> None:
    answer = reconcile(ENDED, enrolled=(2,))

    course = answer.courses[0]
    assert course.status == "in_progress"  # the API's status keeps its contract value
    assert course.status_label == "No run of this course is open now"
    assert reconcile(ENDED, OPEN, enrolled=(2,)).courses[0].status_label == "In progress"
    assert reconcile(ENDED, credentials={}, excluded=frozenset()).courses[0].status_label == (
        "No run of this course is open now"
    )
    assert reconcile(UPCOMING, credentials={}).courses[0].status_label == "Not started"


def test_support_words_for_an_ended_counting_run_name_it_as_the_latest() -> None:
    [warning] = reconcile(ENDED).warnings

    assert warning.message == (
        "The learner completed course-v1:edX+DSB+R1, which this program does not count; the latest counting run is "
        "course-v1:edX+DSB+R2 (ended 2025-12-02; no counting run is open or upcoming). edX+DSB is complete once "
        "the learner earns a verified certificate in a counting run."
    )


def test_completion_in_a_removed_run_in_both_renderings() -> None:
    removed = run(1, datetime(2023, 5, 2, tzinfo=UTC), datetime(2023, 8, 1, tzinfo=UTC), removed=True)

    [warning] = reconcile(UPCOMING, first=removed, excluded=frozenset()).warnings

    assert warning.code == "completed_removed_run"
    assert warning.learner_message == (
        "Your certificate from the May 2023 run of Data Science Basics no longer counts toward this program: that "
        "run was removed from the catalog. To complete the course, earn a verified certificate in a run that counts, "
        "such as the one starting 14 January 2027."
    )
    assert warning.message == (
        "The learner completed course-v1:edX+DSB+R1, a run since removed from the catalog, which no longer counts "
        "toward this program; a counting run is course-v1:edX+DSB+R5 (starts 2027-01-14). edX+DSB is complete once "
        "the learner earns a verified certificate in a counting run."
    )


def test_excluded_completion_when_the_course_is_complete_through_a_counting_run() -> None:
    answer = reconcile(
        ENDED, credentials={1: CredentialFacts("awarded", "verified"), 2: CredentialFacts("awarded", "verified")}
    )

    [warning] = answer.warnings
    assert warning.course_completed is True
    assert warning.learner_message == EXCLUDED_HEAD + (
        "You have completed this course through the March 2025 run, which counts."
    )
    assert warning.message.endswith("the course is complete through course-v1:edX+DSB+R2, a counting run.")
    assert answer.courses[0].next_step is not None
    assert answer.courses[0].next_step.learner_message == "You have completed Data Science Basics."
    assert answer.courses[0].status_label == "Completed"
    assert program_next_step(answer) is None


def test_a_counting_certificate_not_yet_available_is_awaited() -> None:
    pending = CredentialFacts("awarded", "verified", certificate_available_date=days(10))

    answer = reconcile(OPEN, credentials={1: CredentialFacts("awarded", "verified"), 3: pending})

    [warning] = answer.warnings
    assert warning.next_step is not None and warning.next_step.code == NextStepCode.AWAIT_CERTIFICATE
    assert warning.learner_message == EXCLUDED_HEAD + (
        "Your certificate from the December 2025 run counts and will be available on 11 January 2026."
    )
    assert program_next_step(answer) == warning.next_step


def test_program_not_active_in_both_renderings() -> None:
    answer = reconcile(UPCOMING, credentials={}, status="retired")

    [warning] = answer.warnings
    assert warning.code == "program_not_active"
    assert warning.learner_message == (
        "This program is retired: your progress is shown as it stands, but the program is not open to new learners."
    )
    assert warning.message == (
        "This program is retired: the learner's progress is shown as it stands, but the program is not open to new "
        "learners."
    )


def test_a_run_without_a_start_is_named_by_its_title() -> None:
    [warning] = reconcile(UPCOMING, first=run(1, None)).warnings

    assert warning.learner_message.startswith(
        "Your certificate from the run “DSB” of Data Science Basics does not count toward this program."
    )


def test_the_programs_next_step_is_the_first_course_the_learner_can_act_on() -> None:
    answer = reconcile(UPCOMING, credentials={})

    step = program_next_step(answer)
    assert step is not None
    assert (
        step.learner_message
        == "Enroll in Data Science Basics, the run starting 14 January 2027, to complete this course."
    )
