"""Reads of the support console that the learner status APIs do not already offer."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.models import User
from core.selectors import LMS_USER_ID_TEXT
from credentials_status.api import CourseRunCredential, Grade
from enrollments.api import Enrollment
from programs.models import ProgramExcludedCourseRun

MAX_SEARCH_RESULTS = 25


def learners() -> QuerySet[User]:
    """Users who are learners: not staff, not holding a role, not a configured service account.

    Service accounts (the LMS's worker, a status reader, the retirement user) and support staff hold
    roles or staff status; they have no learner records and would crowd the console's results.
    """
    # NOT EXISTS rather than a join on groups + DISTINCT: the search stays on core_user's indexes.
    holds_a_role = User.groups.through.objects.filter(user_id=OuterRef("pk"))
    return User.objects.filter(~Exists(holds_a_role), is_staff=False, is_superuser=False).exclude(
        username__in=settings.LEARNER_STATUS_WORKERS
    )


def learner_search(text: str) -> list[User]:
    """Learners whose username, email or LMS user id is ``text``; else whose username or email contains it.

    Exact matches come first and alone, so typing a known username lands on one learner. Only up to
    18 ASCII digits are read as an LMS user id; any other text is matched as a username or email.
    """
    text = text.strip()
    if not text:
        return []
    exact = Q(username__iexact=text) | Q(email__iexact=text)
    if LMS_USER_ID_TEXT.fullmatch(text):
        exact |= Q(lms_user_id=int(text))
    found = list(learners().filter(exact).order_by("username")[:MAX_SEARCH_RESULTS])
    if found:
        return found
    partial = Q(username__icontains=text) | Q(email__icontains=text)
    return list(learners().filter(partial).order_by("username")[:MAX_SEARCH_RESULTS])


@dataclass(frozen=True)
class ExclusionOrigin:
    """Since when a program excludes a run and what excluded it (a history row's source)."""

    program_uuid: UUID
    run_key: str
    since: datetime | None  # None: excluded before history was kept
    source: str

    @property
    def line(self) -> str:
        """``excluded since 2024-05-02 by Discovery sync #42``, as the console shows it."""
        if self.since is None:
            return "excluded since before history was kept"
        return f"excluded since {self.since:%Y-%m-%d} by {self.source or 'an unrecorded change'}"


def exclusion_origins(*, program_uuids: Iterable[UUID]) -> dict[UUID, list[ExclusionOrigin]]:
    """The current exclusions of these programs with their origin, by program uuid, run keys in order.

    The origin is the latest ``+`` history row of the exclusion (an exclusion removed and added again
    is excluded since it came back). Two queries, whatever the number of programs and runs.
    """
    rows = list(
        ProgramExcludedCourseRun.objects.filter(program__uuid__in=list(program_uuids))
        .order_by("program_id", "courserun__key")
        .values_list("program_id", "courserun_id", "program__uuid", "courserun__key")
    )
    if not rows:
        return {}
    added: dict[tuple[int, int], tuple[datetime, str]] = {}
    history = ProgramExcludedCourseRun.history.filter(  # type: ignore[attr-defined]
        program_id__in={row[0] for row in rows}, history_type="+"
    ).order_by("history_date", "history_id")
    for program_id, run_id, date, source in history.values_list(
        "program_id", "courserun_id", "history_date", "history_source"
    ):
        added[(program_id, run_id)] = (date, source)
    origins: dict[UUID, list[ExclusionOrigin]] = {}
    for program_id, run_id, program_uuid, run_key in rows:
        since, source = added.get((program_id, run_id), (None, ""))
        origins.setdefault(program_uuid, []).append(
            ExclusionOrigin(program_uuid=program_uuid, run_key=run_key, since=since, source=source)
        )
    return origins


@dataclass(frozen=True)
class TimelineEvent:
    """One change of a learner's record: what happened, to which run, when, and what made it."""

    at: datetime
    event: str  # awarded, revoked, enrolled, unenrolled, grade recorded, grade changed
    run_key: str
    detail: str
    source: str


def learner_record_timeline(*, learner: User, limit: int = 100) -> list[TimelineEvent]:
    """The learner's credential, enrollment and grade changes, newest first (at most ``limit``).

    Built from the history rows: a change that leaves the status as it was (a replayed award, an
    enrollment's mode) is not an event. Three queries.
    """
    events: list[TimelineEvent] = []
    credentials = CourseRunCredential.history.filter(learner=learner)  # type: ignore[attr-defined]
    enrollments = Enrollment.history.filter(learner=learner)  # type: ignore[attr-defined]
    grades = Grade.history.filter(learner=learner)  # type: ignore[attr-defined]
    last: dict[tuple[str, int], Any] = {}
    for kind, rows, state in (
        ("credential", credentials, lambda row: row.status),
        ("enrollment", enrollments, lambda row: "enrolled" if row.is_active else "unenrolled"),
        ("grade", grades, lambda row: row.percent_grade),
    ):
        ordered = rows.select_related("course_run").order_by("history_date", "history_id")
        for row in ordered[: limit * 5]:
            value = state(row)
            key = (kind, row.course_run_id)
            if row.history_type == "-" or last.get(key, object()) == value:
                continue
            first = key not in last
            last[key] = value
            if kind == "grade":
                name = "grade recorded" if first else "grade changed"
                detail = f"{row.letter_grade} {float(value) * 100:.0f}%".strip()
            else:
                name, detail = str(value), row.type if kind == "credential" else row.mode
            events.append(
                TimelineEvent(
                    at=row.history_date,
                    event=name,
                    run_key=row.course_run.key if row.course_run else "",
                    detail=detail,
                    source=row.history_source,
                )
            )
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:limit]


@dataclass(frozen=True)
class LearnerRecord:
    """One of the learner's records as support sees it: what it says, where it came from and when."""

    kind: str  # certificate, grade, enrollment
    course_run_key: str
    state: str
    source: str
    source_time: datetime | None
    changed_by: str


def learner_records(learner: User) -> list[LearnerRecord]:
    """The learner's credentials, grades and enrollments with their source and time, by run; three queries."""
    records = [
        LearnerRecord("certificate", c.course_run.key, f"{c.status} {c.type}", c.source, c.source_time, c.changed_by)
        for c in CourseRunCredential.objects.filter(learner=learner).select_related("course_run")
    ]
    records += [
        LearnerRecord(
            "grade",
            g.course_run.key,
            f"{g.percent_grade} {g.letter_grade}".strip(),
            g.source,
            g.source_time,
            g.changed_by,
        )
        for g in Grade.objects.filter(learner=learner).select_related("course_run")
    ]
    records += [
        LearnerRecord(
            "enrollment",
            e.course_run.key,
            f"{e.mode} {'active' if e.is_active else 'inactive'}",
            e.source,
            e.source_time,
            e.changed_by,
        )
        for e in Enrollment.objects.filter(learner=learner).select_related("course_run")
    ]
    return sorted(records, key=lambda record: (record.course_run_key, record.kind))
