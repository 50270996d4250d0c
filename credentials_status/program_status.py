"""Reconcile a learner's course-run records against a program's membership. Pure: no database access.

``reconcile_program_status`` is the one implementation behind ``POST learner_program_status``,
``GET learners/{username}/programs/`` and the support console (docs/decisions/0005).

Rules (docs/decisions/0005-learner-program-status.rst):
- A run *counts toward the program* unless the program excludes it or the LMS removed it.
- A course is ``completed`` when the learner holds a visible awarded credential of an accepted
  certificate type in a counting run; ``in_progress`` when the learner has any record (active
  enrollment or credential, revoked and pending included) in any of its runs; else ``not_started``.
- A qualifying award in an excluded run never counts: it yields a ``completed_excluded_run`` warning,
  and ``completed_only_in_excluded_run`` when the course is not completed otherwise.
- A removed run is listed only when the learner has a record in it, so support still sees the
  credential; a qualifying award there yields ``completed_removed_run``.
"""

from collections.abc import Iterable
from datetime import datetime

from credentials_status.data import (
    CourseFacts,
    CourseProgress,
    CourseRef,
    CredentialFacts,
    EnrollmentFacts,
    GradeData,
    LearnerRecords,
    LearnerRunStatus,
    NextStep,
    NextStepCode,
    ProgramCourseStatus,
    ProgramFacts,
    ProgramRef,
    ProgramRunStatus,
    ProgramStatusAnswer,
    ProgramWarning,
    ProgramWarningCode,
    ReasonRun,
    RunInProgram,
    RunLearnerStatus,
    RunTiming,
    in_field_order,
)
from credentials_status.models import CertificateType
from credentials_status.status import run_status

ACTIVE_PROGRAM_STATUS = "active"


def accepted_certificate_types(applicable_seat_types: Iterable[str]) -> list[str]:
    """The certificate types that complete a course of a program: its seat types, else all but audit."""
    types = list(dict.fromkeys(applicable_seat_types))
    return types or [t.value for t in CertificateType if t != CertificateType.AUDIT]


def reconcile_program_status(program: ProgramFacts, learner: LearnerRecords, now: datetime) -> ProgramStatusAnswer:
    """The learner's standing in every course and run of ``program`` at ``now``."""
    accepted = accepted_certificate_types(program.applicable_seat_types)
    warnings: list[ProgramWarning] = []
    if program.status != ACTIVE_PROGRAM_STATUS:
        warnings.append(
            ProgramWarning(
                code=ProgramWarningCode.PROGRAM_NOT_ACTIVE,
                course_run_key=None,
                program_title=program.title,
                program_status=program.status,
                applicable_seat_types=tuple(program.applicable_seat_types),
                accepted_certificate_types=tuple(accepted),
            )
        )
    courses = [
        _course_status(course, runs, program, learner, accepted, now, warnings)
        for course, runs in zip(program.courses, program.runs_in_program, strict=True)
    ]
    completed = sum(1 for course in courses if course.status == CourseProgress.COMPLETED)
    return ProgramStatusAnswer(
        lms_user_id=learner.lms_user_id,
        username=learner.username,
        program=ProgramRef(uuid=program.uuid, title=program.title, type=program.type, status=program.status),
        is_complete=bool(courses) and completed == len(courses),
        completed_courses=completed,
        total_courses=len(courses),
        courses=courses,
        warnings=warnings,
        accepted_certificate_types=accepted,
    )


def _course_status(
    course: CourseFacts,
    runs: tuple[tuple[int, RunInProgram], ...],
    program: ProgramFacts,
    learner: LearnerRecords,
    accepted: list[str],
    now: datetime,
    warnings: list[ProgramWarning],
) -> ProgramCourseStatus:
    credential_in, enrollment_in, grade_in = learner.credentials.get, learner.enrollments.get, learner.grades.get
    statuses: list[ProgramRunStatus] = []
    counting: list[ProgramRunStatus] = []
    completed_in: list[ProgramRunStatus] = []  # counting runs with a qualifying award
    excluded_completions: list[ProgramRunStatus] = []
    removed_completions: list[ProgramRunStatus] = []  # removed, and not excluded
    pending: list[ProgramRunStatus] = []  # counting runs whose accepted award is not available yet
    # One pass over the runs, in the program's order (by start): every run of every course is met at every
    # request, and a pass per list took the 100-course benchmark's reconciliation from 2.26 to 2.59 ms (issue 17).
    # The program's side of each run is the facts' own (``RunInProgram``), shared by every learner's answer.
    for run_id, in_program in runs:
        credential = credential_in(run_id)
        enrollment = enrollment_in(run_id)
        if in_program.removed and credential is None and enrollment is None:
            continue  # a removed run only where the learner has a record
        learner_of = _learner_status(credential, enrollment, grade_in(run_id), now)
        status = in_field_order(ProgramRunStatus, (in_program, learner_of))
        statuses.append(status)
        # ``awarded``: the credential is visible (``run_status``); the learner's type is the credential's.
        learner_status, learner_type = learner_of.status, learner_of.type
        qualifies = learner_status == _AWARDED and learner_type in accepted
        if in_program.counts_toward_program:
            counting.append(status)
            if qualifies:
                completed_in.append(status)
            elif learner_status == _PENDING and learner_type in accepted:
                pending.append(status)
        elif qualifies:
            (excluded_completions if in_program.excluded else removed_completions).append(status)

    progress = _progress(completed_in, statuses)
    course_ref = CourseRef(key=course.key, title=course.title)
    step = _next_step(
        course_ref,
        counting,
        completed_in,
        pending,
        tuple(program.applicable_seat_types),
        tuple(accepted),
        now,
    )
    named = _named_counting_run(counting, completed_in, now)
    warnings.extend(
        _completion_warning(code, status, program, course_ref, accepted, named, bool(completed_in), step, now)
        for code, completions in (
            (ProgramWarningCode.COMPLETED_EXCLUDED_RUN, excluded_completions),
            (ProgramWarningCode.COMPLETED_REMOVED_RUN, removed_completions),
        )
        for status in completions
    )
    return ProgramCourseStatus(
        course_uuid=course.uuid,
        key=course.key,
        title=course.title,
        status=progress,
        completed_only_in_excluded_run=not completed_in and bool(excluded_completions),
        course_runs=statuses,
        next_step=step,
    )


def _progress(completed_in: list[ProgramRunStatus], statuses: list[ProgramRunStatus]) -> CourseProgress:
    if completed_in:
        return CourseProgress.COMPLETED
    if any(status.learner.status != _NOT_ENROLLED for status in statuses):
        return CourseProgress.IN_PROGRESS
    return CourseProgress.NOT_STARTED


def _completion_warning(
    code: ProgramWarningCode,
    status: ProgramRunStatus,
    program: ProgramFacts,
    course_ref: CourseRef,
    accepted: list[str],
    named: ProgramRunStatus | None,
    course_completed: bool,
    step: NextStep,
    now: datetime,
) -> ProgramWarning:
    """The warning for a completion in a run that does not count (excluded, or removed by the LMS)."""
    return ProgramWarning(
        code=code,
        course_run_key=status.key,
        program_title=program.title,
        program_status=program.status,
        applicable_seat_types=tuple(program.applicable_seat_types),
        accepted_certificate_types=tuple(accepted),
        course=course_ref,
        run=reason_run(status, now),
        counting_run=reason_run(named, now) if named else None,
        course_completed=course_completed,
        next_step=step,
    )


def _learner_status(
    credential: CredentialFacts | None,
    enrollment: EnrollmentFacts | None,
    grade: GradeData | None,
    now: datetime,
) -> RunLearnerStatus:
    # ``in_field_order``: a NamedTuple per run of the program at every request.
    if credential is not None:
        return in_field_order(
            RunLearnerStatus,
            (run_status(credential, enrollment, now), credential.type, credential.certificate_available_date, grade),
        )
    if enrollment is not None and enrollment.is_active:
        return in_field_order(RunLearnerStatus, (run_status(None, enrollment, now), enrollment.mode, None, grade))
    if grade is None:
        return _NO_RECORD
    return in_field_order(RunLearnerStatus, (_NOT_ENROLLED, None, None, grade))


# A run in which the learner has no credential, no active enrollment and no grade: most runs of a program.
_NO_RECORD = RunLearnerStatus(LearnerRunStatus.NOT_ENROLLED)
# The statuses compared for every run, bound once (a member read off its enum class is a Python lookup,
# ``status``'s note).
_AWARDED = LearnerRunStatus.AWARDED
_PENDING = LearnerRunStatus.PENDING_AVAILABILITY
_NOT_ENROLLED = LearnerRunStatus.NOT_ENROLLED
_ENROLLED = LearnerRunStatus.ENROLLED


def run_timing(start: datetime | None, end: datetime | None, now: datetime) -> RunTiming:
    """Ended once its end is past; else unscheduled without a start, upcoming before it, open after."""
    if end is not None and end <= now:
        return RunTiming.ENDED
    if start is None:
        return RunTiming.UNSCHEDULED
    if start > now:
        return RunTiming.UPCOMING
    return RunTiming.OPEN


# The helpers below read a run's program side off ``in_program`` (its own fields), not through
# ``ProgramRunStatus``'s properties: they run for several runs of every course at each request.


def reason_run(run: ProgramRunStatus, now: datetime) -> ReasonRun:
    part, learner = run
    return in_field_order(
        ReasonRun,
        (
            part.key,
            part.title,
            part.start,
            part.end,
            run_timing(part.start, part.end, now),
            learner.status == _ENROLLED,
            learner.certificate_available_date,
        ),
    )


def _live(run: ProgramRunStatus, now: datetime) -> bool:
    end = run.in_program.end
    return end is None or end > now


def _soonest(runs: list[ProgramRunStatus], now: datetime) -> ProgramRunStatus:
    """By soonest start, unscheduled last."""
    return min(runs, key=lambda run: (run.in_program.start is None, run.in_program.start or now, run.in_program.key))


def _latest_ended(runs: list[ProgramRunStatus], now: datetime) -> ProgramRunStatus:
    return max(runs, key=lambda run: (run.in_program.end or now, run.in_program.key))


def _suggested_run(runs: list[ProgramRunStatus], now: datetime) -> ProgramRunStatus:
    """The run to name: open or upcoming (end unset or ahead) by soonest start, unscheduled last;
    else the one that ended last."""
    live = [run for run in runs if _live(run, now)]
    return _soonest(live, now) if live else _latest_ended(runs, now)


def _named_counting_run(
    counting: list[ProgramRunStatus], completed_in: list[ProgramRunStatus], now: datetime
) -> ProgramRunStatus | None:
    """The counting run a warning names for support: the one completing the course, else one the
    learner is enrolled in (a certificate may still be issued after a run ends), else one open now or
    upcoming, else the latest that ended; None when no run counts."""
    if completed_in:
        return completed_in[0]
    if not counting:
        return None
    enrolled = [run for run in counting if run.learner.status == _ENROLLED]
    return _suggested_run(enrolled or counting, now)


def _next_step(
    course: CourseRef,
    counting: list[ProgramRunStatus],
    completed_in: list[ProgramRunStatus],
    pending: list[ProgramRunStatus],
    seat_types: tuple[str, ...],
    accepted_types: tuple[str, ...],
    now: datetime,
) -> NextStep:
    """The learner's next step: done; wait for an awarded certificate; earn one in the live counting
    run they are enrolled in; enroll in the soonest live counting run; else no run is open now (naming
    the counting run that ended last), or no run counts at all."""

    def step(code: NextStepCode, run: ProgramRunStatus | None) -> NextStep:
        return NextStep(
            code=code,
            course=course,
            run=reason_run(run, now) if run else None,
            applicable_seat_types=seat_types,
            accepted_certificate_types=accepted_types,
        )

    if completed_in:
        return step(NextStepCode.NONE, completed_in[0])
    if pending:
        return step(NextStepCode.AWAIT_CERTIFICATE, pending[0])
    if not counting:
        return step(NextStepCode.NO_COUNTING_RUN, None)
    live = [run for run in counting if _live(run, now)]
    enrolled = [run for run in live if run.learner.status == _ENROLLED]
    if enrolled:
        return step(NextStepCode.EARN_CERTIFICATE, _soonest(enrolled, now))
    if live:
        return step(NextStepCode.ENROLL, _soonest(live, now))
    return step(NextStepCode.NO_RUN_OPEN, _latest_ended(counting, now))
