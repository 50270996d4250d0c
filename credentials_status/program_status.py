"""Reconcile a learner's course-run records against a program's membership. Pure: no database access.

``reconcile_program_status`` is the one implementation behind ``POST learner_program_status``,
``GET learners/{username}/programs/`` and the support console (docs/decisions/0005).

Rules (service-api.md, "Learner program status"):
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
    LearnerRecords,
    LearnerRunStatus,
    ProgramCourseStatus,
    ProgramFacts,
    ProgramRef,
    ProgramRunStatus,
    ProgramStatusAnswer,
    ProgramWarning,
    ProgramWarningCode,
    RunFacts,
    RunLearnerStatus,
)
from credentials_status.models import CertificateType
from credentials_status.status import credential_is_visible, run_status

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
                message=f"This program is {program.status}: the learner's progress is shown as it stands, "
                "but the program is not open to new learners.",
            )
        )
    courses = [_course_status(course, program, learner, accepted, now, warnings) for course in program.courses]
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
    program: ProgramFacts,
    learner: LearnerRecords,
    accepted: list[str],
    now: datetime,
    warnings: list[ProgramWarning],
) -> ProgramCourseStatus:
    def touched(run: RunFacts) -> bool:
        return run.id in learner.credentials or run.id in learner.enrollments

    runs = sorted(
        (run for run in course.runs if not run.removed or touched(run)),
        key=lambda run: (run.start is None, run.start or now, run.key),
    )
    statuses = [_run_status(run, program, learner, now) for run in runs]

    def qualifies(run: RunFacts) -> bool:
        credential = learner.credentials.get(run.id)
        return credential is not None and credential_is_visible(credential, now) and credential.type in accepted

    pairs = list(zip(runs, statuses, strict=True))
    counting = [status for status in statuses if status.counts_toward_program]
    completed_in = [run for run, status in pairs if status.counts_toward_program and qualifies(run)]
    excluded_completions = [run for run, status in pairs if status.excluded and qualifies(run)]
    removed_completions = [run for run, status in pairs if status.removed and not status.excluded and qualifies(run)]

    if completed_in:
        progress = CourseProgress.COMPLETED
    elif any(status.learner.status != LearnerRunStatus.NOT_ENROLLED for status in statuses):
        progress = CourseProgress.IN_PROGRESS
    else:
        progress = CourseProgress.NOT_STARTED

    advice = _counting_run_advice(
        course, counting, completed_in, certificate_wording(program.applicable_seat_types), now
    )
    for run in excluded_completions:
        warnings.append(
            ProgramWarning(
                code=ProgramWarningCode.COMPLETED_EXCLUDED_RUN,
                course_run_key=run.key,
                message=f"The learner completed {run.key}, which this program does not count; " + advice,
            )
        )
    for run in removed_completions:
        warnings.append(
            ProgramWarning(
                code=ProgramWarningCode.COMPLETED_REMOVED_RUN,
                course_run_key=run.key,
                message=f"The learner completed {run.key}, a run since removed from the catalog, which "
                "no longer counts toward this program; " + advice,
            )
        )
    return ProgramCourseStatus(
        course_uuid=course.uuid,
        key=course.key,
        title=course.title,
        status=progress,
        completed_only_in_excluded_run=not completed_in and bool(excluded_completions),
        course_runs=statuses,
    )


def _run_status(run: RunFacts, program: ProgramFacts, learner: LearnerRecords, now: datetime) -> ProgramRunStatus:
    credential = learner.credentials.get(run.id)
    enrollment = learner.enrollments.get(run.id)
    status = run_status(credential, enrollment, now)
    if credential is not None:
        learner_status = RunLearnerStatus(
            status=status,
            type=credential.type,
            certificate_available_date=credential.certificate_available_date,
            grade=learner.grades.get(run.id),
        )
    elif enrollment is not None and enrollment.is_active:
        learner_status = RunLearnerStatus(status=status, type=enrollment.mode, grade=learner.grades.get(run.id))
    else:
        learner_status = RunLearnerStatus(status=status, grade=learner.grades.get(run.id))
    excluded = run.id in program.excluded_run_ids
    return ProgramRunStatus(
        uuid=run.uuid,
        key=run.key,
        title=run.title,
        start=run.start,
        end=run.end,
        excluded=excluded,
        removed=run.removed,
        counts_toward_program=not excluded and not run.removed,
        learner=learner_status,
    )


def certificate_wording(applicable_seat_types: Iterable[str]) -> str:
    """The certificates that complete a course of the program, in words: "a verified certificate",
    "an accepted certificate (verified or professional)", or "(any type but audit)" without seat types."""
    types = list(dict.fromkeys(applicable_seat_types))
    if not types:
        return "an accepted certificate (any type but audit)"
    if len(types) == 1:
        return f"{_indefinite_article(types[0])} {types[0]} certificate"
    return f"an accepted certificate ({either(types)})"


def either(items: Iterable[str]) -> str:
    """``["verified", "professional", "masters"]`` -> ``"verified, professional or masters"``."""
    words = [str(item) for item in items]
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else "".join(words)


def _indefinite_article(word: str) -> str:
    # "an honor", "an audit", "a verified", "a professional"; the h of honor is silent.
    return "an" if word[:1].lower() in "aeiou" or word.lower().startswith("honor") else "a"


def _suggested_run(runs: list[ProgramRunStatus], now: datetime) -> ProgramRunStatus:
    """The run to name: open or upcoming (end unset or ahead) by soonest start, unscheduled last;
    else the one that ended last."""
    live = [run for run in runs if run.end is None or run.end > now]
    if live:
        return min(live, key=lambda run: (run.start is None, run.start or now, run.key))
    return max(runs, key=lambda run: (run.end or now, run.key))


def _run_timing(run: ProgramRunStatus, now: datetime) -> str:
    if run.end is not None and run.end <= now:
        return f"ended {run.end:%Y-%m-%d}"
    if run.start is None:
        return "not scheduled yet"
    if run.start > now:
        return f"starts {run.start:%Y-%m-%d}"
    return "open now"


def _counting_run_advice(
    course: CourseFacts,
    counting: list[ProgramRunStatus],
    completed_in: list[RunFacts],
    certificates: str,
    now: datetime,
) -> str:
    """The second half of a warning: which run of the course does count, in plain words.

    The run named is one the learner is enrolled in (a certificate may still be issued after a run
    ends), else one open now or upcoming, else the latest that ended, and the message says which.
    """
    if completed_in:
        return f"the course is complete through {completed_in[0].key}, a counting run."
    if not counting:
        return f"no run of {course.key} counts toward this program at present."
    enrolled = [run for run in counting if run.learner.status == LearnerRunStatus.ENROLLED]
    suggestion = _suggested_run(enrolled or counting, now)
    timing = _run_timing(suggestion, now)
    if enrolled:
        where = f"a counting run is {suggestion.key} ({timing}; the learner is enrolled in it)."
    elif suggestion.end is not None and suggestion.end <= now:
        where = f"the latest counting run is {suggestion.key} ({timing}; no counting run is open or upcoming)."
    else:
        where = f"a counting run is {suggestion.key} ({timing})."
    return f"{where} {course.key} is complete once the learner earns {certificates} in a counting run."
