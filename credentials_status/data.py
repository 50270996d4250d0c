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


# --- Learner program status ---------------------------------------------------------------------
# The facts the reconciliation reads (``*Facts``, loaded by ``selectors``) and the answer it builds.
# Runs are identified by their database id inside one reconciliation.


class ProgramWarningCode(StrEnum):
    COMPLETED_EXCLUDED_RUN = "completed_excluded_run"
    COMPLETED_REMOVED_RUN = "completed_removed_run"
    PROGRAM_NOT_ACTIVE = "program_not_active"


class CourseProgress(StrEnum):
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"


@dataclass(frozen=True)
class RunFacts:
    id: int
    uuid: UUID
    key: str
    title: str
    start: datetime | None
    end: datetime | None
    removed: bool = False


@dataclass(frozen=True)
class CourseFacts:
    uuid: UUID
    key: str
    title: str
    runs: tuple[RunFacts, ...] = ()


@dataclass(frozen=True)
class ProgramFacts:
    """A program as the reconciliation sees it: ordered courses, every run of them, exclusions."""

    id: int
    uuid: UUID
    title: str
    type: str
    status: str
    applicable_seat_types: tuple[str, ...] = ()
    courses: tuple[CourseFacts, ...] = ()
    excluded_run_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CredentialFacts:
    status: str
    type: str
    certificate_available_date: datetime | None = None


@dataclass(frozen=True)
class EnrollmentFacts:
    mode: str
    is_active: bool


@dataclass(frozen=True)
class LearnerRecords:
    """One learner's records keyed by run id. An unknown learner has none and the identifier asked for."""

    lms_user_id: int | None
    username: str | None
    credentials: dict[int, CredentialFacts] = field(default_factory=dict)
    enrollments: dict[int, EnrollmentFacts] = field(default_factory=dict)
    grades: dict[int, GradeData] = field(default_factory=dict)


@dataclass(frozen=True)
class RunLearnerStatus:
    status: LearnerRunStatus
    type: str | None = None
    certificate_available_date: datetime | None = None
    grade: GradeData | None = None


@dataclass(frozen=True)
class ProgramRunStatus:
    uuid: UUID
    key: str
    title: str
    start: datetime | None
    end: datetime | None
    excluded: bool
    removed: bool
    counts_toward_program: bool
    learner: RunLearnerStatus


@dataclass(frozen=True)
class ProgramCourseStatus:
    course_uuid: UUID
    key: str
    title: str
    status: CourseProgress
    completed_only_in_excluded_run: bool
    course_runs: list[ProgramRunStatus]


@dataclass(frozen=True)
class ProgramWarning:
    code: ProgramWarningCode
    course_run_key: str | None
    message: str


@dataclass(frozen=True)
class ProgramRef:
    uuid: UUID
    title: str
    type: str
    status: str


@dataclass(frozen=True)
class ProgramStatusAnswer:
    lms_user_id: int | None
    username: str | None
    program: ProgramRef
    is_complete: bool
    completed_courses: int
    total_courses: int
    courses: list[ProgramCourseStatus]
    warnings: list[ProgramWarning]
    accepted_certificate_types: list[str]

    @property
    def excluded_completions(self) -> int:
        """Completions the program does not count because their run is excluded."""
        return sum(1 for w in self.warnings if w.code == ProgramWarningCode.COMPLETED_EXCLUDED_RUN)
