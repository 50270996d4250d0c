"""Reads of the support console that the learner status APIs do not already offer."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.models import User
from core.records import RecordRow
from core.selectors import LMS_USER_ID_TEXT
from credentials_status.api import (
    learner_credential_history,
    learner_credential_records,
    learner_grade_history,
    learner_grade_records,
)
from enrollments.api import learner_enrollment_history, learner_enrollment_records

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
    rows_read = limit * 5
    last: dict[tuple[str, int | None], Any] = {}
    for kind, rows, state in (
        ("credential", learner_credential_history, lambda row: row.values["status"]),
        ("enrollment", learner_enrollment_history, lambda row: "enrolled" if row.values["is_active"] else "unenrolled"),
        ("grade", learner_grade_history, lambda row: row.values["percent_grade"]),
    ):
        for row in rows(learner_id=learner.pk, limit=rows_read):
            value = state(row)
            key = (kind, row.course_run_id)
            if row.history_type == "-" or last.get(key, object()) == value:
                continue
            first = key not in last
            last[key] = value
            if kind == "grade":
                name = "grade recorded" if first else "grade changed"
                detail = f"{row.values['letter_grade']} {float(value) * 100:.0f}%".strip()
            else:
                name, detail = str(value), row.values["type"] if kind == "credential" else row.values["mode"]
            events.append(
                TimelineEvent(
                    at=row.at,  # type: ignore[arg-type]  # every history row has its time
                    event=name,
                    run_key=row.course_run_key,
                    detail=detail,
                    source=row.source,
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

    def record(kind: str, row: RecordRow, state: str) -> LearnerRecord:
        return LearnerRecord(kind, row.course_run_key, state.strip(), row.source, row.source_time, row.changed_by)

    records = [
        record("certificate", row, f"{row.values['status']} {row.values['type']}")
        for row in learner_credential_records(learner_id=learner.pk)
    ]
    records += [
        record("grade", row, f"{row.values['percent_grade']} {row.values['letter_grade']}")
        for row in learner_grade_records(learner_id=learner.pk)
    ]
    records += [
        record("enrollment", row, f"{row.values['mode']} {'active' if row.values['is_active'] else 'inactive'}")
        for row in learner_enrollment_records(learner_id=learner.pk)
    ]
    return sorted(records, key=lambda record: (record.course_run_key, record.kind))
