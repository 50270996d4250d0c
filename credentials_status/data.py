"""Plain values returned by the learner status selectors."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID


class LearnerRunStatus(StrEnum):
    """A learner's standing in one course run, strongest first (see ``status.run_status``)."""

    AWARDED = "awarded"
    PENDING_AVAILABILITY = "pending_availability"
    REVOKED = "revoked"
    ENROLLED = "enrolled"
    NOT_ENROLLED = "not_enrolled"


# Lower is stronger: the status a course reports is that of its learner's strongest run.
STATUS_RANK = {status: rank for rank, status in enumerate(LearnerRunStatus)}


@dataclass(frozen=True)
class GradeData:
    letter_grade: str
    percent_grade: Decimal
    verified: bool


@dataclass(frozen=True)
class RunRef:
    uuid: UUID | None
    key: str | None


@dataclass(frozen=True)
class StatusItem:
    course_uuid: UUID | None
    course_run: RunRef | None
    status: LearnerRunStatus
    type: str | None = None
    certificate_available_date: datetime | None = None
    grade: GradeData | None = None


@dataclass(frozen=True)
class StatusQuery:
    """What a learner_cert_status request asks: one learner id, and courses and/or runs."""

    lms_user_id: int | None = None
    username: str | None = None
    course_uuids: tuple[UUID, ...] = ()
    course_run_uuids: tuple[UUID, ...] = ()
    course_run_keys: tuple[str, ...] = ()
    include_incomplete: bool = False


@dataclass
class StatusAnswer:
    lms_user_id: int | None
    username: str | None
    status: list[StatusItem] = field(default_factory=list)
