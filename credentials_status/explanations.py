"""The words of the program status reasons: a learner's rendering and support's. No database access.

``program_status.reconcile_program_status`` yields structured reasons (``ProgramWarning`` and each
course's ``NextStep``); this module turns them into sentences in the active language (Django i18n):

- for learners: course and run titles, dates as "14 January 2027", and what to do next;
- for support: run keys, ISO dates, and what counts (the API's ``message``), while the learner's
  words are what support tells the learner.

Every string here is marked for translation; placeholders are named so translators may reorder them.
"""

from collections.abc import Callable, Hashable, Iterable
from datetime import date, datetime
from functools import lru_cache, wraps
from typing import TypeVar

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, gettext_lazy, pgettext

from credentials_status.data import (
    CourseProgress,
    NextStep,
    NextStepCode,
    ProgramCourseStatus,
    ProgramStatusAnswer,
    ProgramWarning,
    ProgramWarningCode,
    ReasonRun,
    RunTiming,
)


def _(message: str) -> str:
    """``gettext`` remembered per active language: a 30-course program answer translates about 300
    phrases, the same few dozen again and again, and Django's lookup through the active translation and
    its fallbacks was a tenth of the rendering (issue 17)."""
    return _translated(message, get_language())


@lru_cache(maxsize=1024)
def _translated(message: str, language: str | None) -> str:
    return gettext(message)  # ``language`` is part of the key only


R = TypeVar("R", bound=Hashable)


def _per_language(words: Callable[[R], str]) -> Callable[[R], str]:
    """``words`` of a reason remembered per (reason, active language). Reasons are frozen values and the
    words depend on nothing else; learners of one program share the same few reasons (the excluded run
    they completed, the run that counts instead), and writing each again was about 30 us (issue 17).
    Reasons equal but for the zone of a date's instant would share words: every date here is read from
    the database, in UTC."""
    remembered = lru_cache(maxsize=4096)(lambda reason, language: words(reason))

    @wraps(words)
    def written(reason: R) -> str:
        return remembered(reason, get_language())  # type: ignore[no-any-return]

    return written


# One phrase per certificate type, so a translation never builds an article by rule.
_ONE_CERTIFICATE = {
    "honor": gettext_lazy("an honor certificate"),
    "verified": gettext_lazy("a verified certificate"),
    "professional": gettext_lazy("a professional certificate"),
    "no-id-professional": gettext_lazy("a no-id-professional certificate"),
    "masters": gettext_lazy("a masters certificate"),
    "audit": gettext_lazy("an audit certificate"),
}
_PROGRAM_STATUS = {
    "active": gettext_lazy("active"),
    "retired": gettext_lazy("retired"),
    "unpublished": gettext_lazy("unpublished"),
    "deleted": gettext_lazy("deleted"),
}


# --- Shared wording -----------------------------------------------------------------------------


def either(items: Iterable[str]) -> str:
    """``["verified", "professional", "masters"]`` -> ``"verified, professional or masters"``."""
    words = [str(item) for item in items]
    if len(words) < 2:
        return "".join(words)
    return _("%(items)s or %(last)s") % {"items": ", ".join(words[:-1]), "last": words[-1]}


def certificate_wording(applicable_seat_types: Iterable[str]) -> str:
    """The certificates that complete a course of the program, in words: "a verified certificate",
    "an accepted certificate (verified or professional)", or "(any type but audit)" without seat types."""
    types = list(dict.fromkeys(applicable_seat_types))
    if not types:
        return _("an accepted certificate (any type but audit)")
    if len(types) == 1:
        known = _ONE_CERTIFICATE.get(types[0])
        if known is not None:
            return str(known)
        return _("a %(type)s certificate") % {"type": types[0]}
    return _("an accepted certificate (%(types)s)") % {"types": either(types)}


def _long_date(value: datetime) -> str:
    # "14 January 2027": the month name is translated; no numeric day/month order to misread. The
    # format itself is translatable ("14 de enero de 2027").
    return _date_in_words(value.date(), pgettext("date format: day month year", "j F Y"), get_language())


def _month(value: datetime) -> str:
    return _date_in_words(value.date(), pgettext("date format: month year", "F Y"), get_language())


@lru_cache(maxsize=2048)
def _date_in_words(day: date, pattern: str, language: str | None) -> str:
    """``day`` written with the (translated) ``pattern`` in the active language. A program answer names
    the same few dates in many of its warnings; formatting each was a tenth of a 30-course program
    status (issue 17). ``language`` is the active one, part of the key only (month names)."""
    return date_format(day, pattern)


# --- Support's rendering (run keys, ISO dates) --------------------------------------------------


def _support_timing(run: ReasonRun) -> str:
    if run.timing == RunTiming.ENDED and run.end is not None:
        return _("ended %(date)s") % {"date": f"{run.end:%Y-%m-%d}"}
    if run.timing == RunTiming.UNSCHEDULED:
        return _("not scheduled yet")
    if run.timing == RunTiming.UPCOMING and run.start is not None:
        return _("starts %(date)s") % {"date": f"{run.start:%Y-%m-%d}"}
    return _("open now")


def _support_advice(warning: ProgramWarning) -> str:
    """Which run of the course does count: the one completing it, the one the learner is enrolled in,
    one open now or upcoming, or the latest that ended, and the message says which."""
    course_key = warning.course.key if warning.course else ""
    run = warning.counting_run
    if warning.course_completed and run is not None:
        return _("the course is complete through %(run)s, a counting run.") % {"run": run.key}
    if run is None:
        return _("no run of %(course)s counts toward this program at present.") % {"course": course_key}
    values = {"run": run.key, "timing": _support_timing(run)}
    if run.learner_enrolled:
        where = _("a counting run is %(run)s (%(timing)s; the learner is enrolled in it).") % values
    elif run.timing == RunTiming.ENDED:
        where = _("the latest counting run is %(run)s (%(timing)s; no counting run is open or upcoming).") % values
    else:
        where = _("a counting run is %(run)s (%(timing)s).") % values
    complete = _("%(course)s is complete once the learner earns %(certificate)s in a counting run.") % {
        "course": course_key,
        "certificate": certificate_wording(warning.applicable_seat_types),
    }
    return f"{where} {complete}"


@_per_language
def warning_for_support(warning: ProgramWarning) -> str:
    """Support's words: the run keys involved and which run counts instead."""
    if warning.code == ProgramWarningCode.PROGRAM_NOT_ACTIVE:
        return _(
            "This program is %(status)s: the learner's progress is shown as it stands, "
            "but the program is not open to new learners."
        ) % {"status": warning.program_status}
    run_key = warning.run.key if warning.run else warning.course_run_key
    if warning.code == ProgramWarningCode.COMPLETED_REMOVED_RUN:
        head = _(
            "The learner completed %(run)s, a run since removed from the catalog, which no longer counts "
            "toward this program; "
        ) % {"run": run_key}
    else:
        head = _("The learner completed %(run)s, which this program does not count; ") % {"run": run_key}
    return head + _support_advice(warning)


def warning_title_for_support(warning: ProgramWarning) -> str:
    """The short label of a warning in the console."""
    if warning.code == ProgramWarningCode.COMPLETED_EXCLUDED_RUN:
        return _("Completion does not count")
    if warning.code == ProgramWarningCode.COMPLETED_REMOVED_RUN:
        return _("Run removed")
    return _("Program %(status)s") % {"status": _status_word(warning.program_status)}


# --- The learner's rendering (titles, dates in words, what to do) -------------------------------


def _status_word(status: str) -> str:
    return str(_PROGRAM_STATUS.get(status, status))


def _run_name(run: ReasonRun) -> str:
    """ "the May 2023 run" when the run has a start date, else "the run Title"."""
    if run.start is not None:
        return _("the %(month)s run") % {"month": _month(run.start)}
    return _("the run “%(title)s”") % {"title": run.title or run.key}


def _the_one(run: ReasonRun) -> str:
    """How a counting run is pointed at: "the one starting 14 January 2027"."""
    if run.timing == RunTiming.UPCOMING and run.start is not None:
        return _("the one starting %(date)s") % {"date": _long_date(run.start)}
    if run.timing == RunTiming.OPEN:
        if run.end is not None:
            return _("the one open now, until %(date)s") % {"date": _long_date(run.end)}
        return _("the one open now")
    return _("one that is planned but not scheduled yet")


def _what_to_do(step: NextStep | None) -> str:
    """The second sentence of a learner's warning: how to complete the course."""
    if step is None:
        return ""
    certificate = certificate_wording(step.applicable_seat_types)
    run = step.run
    if step.code == NextStepCode.NONE and run is not None:
        return _("You have completed this course through %(run)s, which counts.") % {"run": _run_name(run)}
    if step.code == NextStepCode.AWAIT_CERTIFICATE and run is not None:
        return _awaiting(run)
    if step.code == NextStepCode.EARN_CERTIFICATE and run is not None:
        return _(
            "To complete the course, earn %(certificate)s in the run you are enrolled in (%(run)s), which counts."
        ) % {"certificate": certificate, "run": _run_name(run)}
    if step.code == NextStepCode.ENROLL and run is not None:
        return _("To complete the course, earn %(certificate)s in a run that counts, such as %(one)s.") % {
            "certificate": certificate,
            "one": _the_one(run),
        }
    if step.code == NextStepCode.NO_RUN_OPEN:
        return _("No run of this course is open now: every run that counts has ended.")
    return _("No run of this course counts toward this program at present.")


def _awaiting(run: ReasonRun) -> str:
    if run.certificate_available_date is not None:
        return _("Your certificate from %(run)s counts and will be available on %(date)s.") % {
            "run": _run_name(run),
            "date": _long_date(run.certificate_available_date),
        }
    return _("Your certificate from %(run)s counts and will be available soon.") % {"run": _run_name(run)}


@_per_language
def warning_for_learner(warning: ProgramWarning) -> str:
    """The learner's words: which certificate does not count, and what to do instead."""
    if warning.code == ProgramWarningCode.PROGRAM_NOT_ACTIVE:
        return _(
            "This program is %(status)s: your progress is shown as it stands, "
            "but the program is not open to new learners."
        ) % {"status": _status_word(warning.program_status)}
    course = warning.course.title if warning.course else ""
    values = {"run": _run_name(warning.run) if warning.run else "", "course": course}
    if warning.code == ProgramWarningCode.COMPLETED_REMOVED_RUN:
        head = (
            _(
                "Your certificate from %(run)s of %(course)s no longer counts toward this program: "
                "that run was removed from the catalog."
            )
            % values
        )
    else:
        head = _("Your certificate from %(run)s of %(course)s does not count toward this program.") % values
    return f"{head} {_what_to_do(warning.next_step)}".strip()


@_per_language
def next_step_for_learner(step: NextStep) -> str:
    """One line: what the learner does next in this course."""
    course = step.course.title
    run = step.run
    if step.code == NextStepCode.NONE:
        return _("You have completed %(course)s.") % {"course": course}
    if step.code == NextStepCode.AWAIT_CERTIFICATE and run is not None:
        return _awaiting(run)
    if step.code == NextStepCode.EARN_CERTIFICATE and run is not None:
        return _("Earn %(certificate)s in %(course)s, %(run)s you are enrolled in, to complete this course.") % {
            "certificate": certificate_wording(step.applicable_seat_types),
            "course": course,
            "run": _run_name(run),
        }
    if step.code == NextStepCode.ENROLL and run is not None:
        if run.timing == RunTiming.UPCOMING and run.start is not None:
            return _("Enroll in %(course)s, the run starting %(date)s, to complete this course.") % {
                "course": course,
                "date": _long_date(run.start),
            }
        if run.timing == RunTiming.OPEN:
            return _("Enroll in %(course)s, the run open now, to complete this course.") % {"course": course}
        return _("A run of %(course)s that counts is planned but not scheduled yet; enroll once it is.") % {
            "course": course
        }
    if step.code == NextStepCode.NO_RUN_OPEN and run is not None and run.end is not None:
        return _("No run of %(course)s is open now; the last run that counts ended on %(date)s.") % {
            "course": course,
            "date": _long_date(run.end),
        }
    return _("No run of %(course)s counts toward this program at present.") % {"course": course}


def course_status_label(course: ProgramCourseStatus) -> str:
    """A course's status in words; when every counting run has ended and the course is not complete,
    "No run of this course is open now" instead of "In progress" or "Not started"."""
    if course.status == CourseProgress.COMPLETED:
        return _("Completed")
    if course.next_step is not None and course.next_step.code == NextStepCode.NO_RUN_OPEN:
        return _("No run of this course is open now")
    if course.status == CourseProgress.IN_PROGRESS:
        return _("In progress")
    return _("Not started")


def program_next_step(answer: ProgramStatusAnswer) -> NextStep | None:
    """The step to show first: the first course (in program order) the learner can act on now
    (waiting for a certificate, earning one, enrolling), else the first course not complete."""
    steps = [course.next_step for course in answer.courses if course.next_step is not None]
    actionable = (NextStepCode.AWAIT_CERTIFICATE, NextStepCode.EARN_CERTIFICATE, NextStepCode.ENROLL)
    for step in steps:
        if step.code in actionable:
            return step
    return next((step for step in steps if step.code != NextStepCode.NONE), None)
