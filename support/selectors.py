"""Reads of the support console that the learner status APIs do not already offer."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from core.models import User
from credentials_status.api import CourseRunCredential, Grade
from enrollments.api import Enrollment

MAX_SEARCH_RESULTS = 25
# ASCII digits only (str.isdigit also accepts "²" and other scripts' digits, which int() refuses or
# reads as another number), and short enough to fit lms_user_id's 64-bit column on every database.
LMS_USER_ID_TEXT = re.compile(r"[0-9]{1,18}")


def learners() -> QuerySet[User]:
    """Users who are learners: not staff, not holding a role, not a configured service account.

    Service accounts (the LMS's worker, a status reader, the retirement user) and support staff hold
    roles or staff status; they have no learner records and would crowd the console's results.
    """
    return (
        User.objects.filter(is_staff=False, is_superuser=False, groups__isnull=True)
        .exclude(username__in=settings.LEARNER_STATUS_WORKERS)
        .distinct()
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
