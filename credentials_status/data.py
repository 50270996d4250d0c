"""Plain values returned by the learner status selectors.

The values built once per run or per answered item (a bulk answer holds tens of thousands, a program
answer a few per run) are ``NamedTuple``s: as immutable and hashable as the frozen data classes, and built
five times faster, which was a fifth of a bulk status request (issue 17). The rest are frozen data classes.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

from programs.data import CourseFacts, ProgramFacts, RunFacts, RunInProgram

# The catalog side of a program status, read by programs.
__all__ = ["CourseFacts", "ProgramFacts", "RunFacts", "RunInProgram"]

# ``in_field_order(SomeNamedTuple, values)``: the NamedTuple of these values, every field given in order,
# built in C where the NamedTuple's generated ``__new__`` is a Python call: on the hot paths that build one
# per run or per record at every request (issue 17). No defaults and no checks: every field, in order.
in_field_order = tuple.__new__


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
class GradeReport:
    """A grade sent along with a certificate (the credential ingest's optional ``grade``)."""

    percent_grade: Decimal
    letter_grade: str = ""
    verified: bool = False


@dataclass(frozen=True)
class RecordedGrade:
    """A grade committed, as ``signals.grades_recorded`` tells it."""

    learner_id: int
    username: str
    course_run_key: str
    percent_grade: Decimal


class GradeData(NamedTuple):
    letter_grade: str
    percent_grade: Decimal
    verified: bool


class RunRef(NamedTuple):
    uuid: UUID | None
    key: str | None


class StatusItem(NamedTuple):
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


class RunTiming(StrEnum):
    """Where a run stands at the time of the answer."""

    ENDED = "ended"
    OPEN = "open"
    UPCOMING = "upcoming"
    UNSCHEDULED = "unscheduled"


class NextStepCode(StrEnum):
    """What the learner does next to complete a course of the program."""

    NONE = "none"  # the course is complete
    AWAIT_CERTIFICATE = "await_certificate"  # a counting certificate is awarded but not yet available
    EARN_CERTIFICATE = "earn_certificate"  # enrolled in a counting run that has not ended
    ENROLL = "enroll"  # a counting run is open, upcoming or planned
    NO_RUN_OPEN = "no_run_open"  # every counting run has ended
    NO_COUNTING_RUN = "no_counting_run"  # the program counts no run of the course


class CourseProgress(StrEnum):
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"


class CredentialFacts(NamedTuple):
    status: str
    type: str
    certificate_available_date: datetime | None = None


class EnrollmentFacts(NamedTuple):
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


class RunLearnerStatus(NamedTuple):
    status: LearnerRunStatus
    type: str | None = None
    certificate_available_date: datetime | None = None
    grade: GradeData | None = None


class ProgramRunStatus(NamedTuple):
    """A run of a program's answer: the program's side, the same for every learner and shared by their answers
    (``in_program``, from the program's facts), and the learner's. The program's side reads as this status's own
    (``status.key``...), as the answer writes it."""

    in_program: RunInProgram
    learner: RunLearnerStatus

    @property
    def uuid(self) -> UUID:
        return self.in_program.uuid

    @property
    def key(self) -> str:
        return self.in_program.key

    @property
    def title(self) -> str:
        return self.in_program.title

    @property
    def start(self) -> datetime | None:
        return self.in_program.start

    @property
    def end(self) -> datetime | None:
        return self.in_program.end

    @property
    def excluded(self) -> bool:
        return self.in_program.excluded

    @property
    def removed(self) -> bool:
        return self.in_program.removed

    @property
    def counts_toward_program(self) -> bool:
        return self.in_program.counts_toward_program


class ReasonRun(NamedTuple):
    """A run named in a reason, with what a reader needs to recognise it. Reasons are tuples: their
    words are remembered per reason (``explanations._per_language``), and a tuple hashes and compares
    in C, a data class field by field in Python."""

    key: str
    title: str
    start: datetime | None
    end: datetime | None
    timing: RunTiming
    learner_enrolled: bool = False
    certificate_available_date: datetime | None = None


class CourseRef(NamedTuple):
    key: str
    title: str


class NextStep(NamedTuple):
    """The learner's next step in one course: ``run`` is the run to use (for ``none``, the run that
    completed the course; for ``no_run_open``, the counting run that ended last). A tuple, as ``ReasonRun``."""

    code: NextStepCode
    course: CourseRef
    run: ReasonRun | None
    # The program's seat types as configured (empty: every type but audit) and as resolved.
    applicable_seat_types: tuple[str, ...]
    accepted_certificate_types: tuple[str, ...]

    @property
    def learner_message(self) -> str:
        from credentials_status import explanations

        return explanations.next_step_for_learner(self)


@dataclass(frozen=True)
class ProgramCourseStatus:
    course_uuid: UUID
    key: str
    title: str
    status: CourseProgress
    completed_only_in_excluded_run: bool
    course_runs: list[ProgramRunStatus]
    next_step: NextStep | None = None

    @property
    def status_label(self) -> str:
        """The course's status in words; "No run of this course is open now" instead of "In progress"
        when every counting run has ended."""
        from credentials_status import explanations

        return explanations.course_status_label(self)


class ProgramWarning(NamedTuple):
    """One structured reason. ``message`` is support's rendering (run keys), ``learner_message`` the
    learner's (titles and dates); both are rendered in the active language when read. A tuple, as
    ``ReasonRun``: it is the key of what is remembered of it (its written form,
    ``core.rendering.remembered_per_language``; its words, ``explanations._per_language``), and a data class
    hashed and compared its eleven fields in Python each time."""

    code: ProgramWarningCode
    course_run_key: str | None
    program_title: str
    program_status: str
    applicable_seat_types: tuple[str, ...]
    accepted_certificate_types: tuple[str, ...]
    course: CourseRef | None = None
    run: ReasonRun | None = None
    # The counting run support names: the one completing the course, else the run the learner is
    # enrolled in, else the soonest open or upcoming one, else the latest that ended.
    counting_run: ReasonRun | None = None
    course_completed: bool = False
    next_step: NextStep | None = None

    @property
    def message(self) -> str:
        from credentials_status import explanations

        return explanations.warning_for_support(self)

    @property
    def learner_message(self) -> str:
        from credentials_status import explanations

        return explanations.warning_for_learner(self)


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
    def next_step(self) -> NextStep | None:
        """The step to show first (``explanations.program_next_step``); None once every course is complete."""
        from credentials_status import explanations

        return explanations.program_next_step(self)

    @property
    def excluded_completions(self) -> int:
        """Completions the program does not count because their run is excluded."""
        return sum(1 for w in self.warnings if w.code == ProgramWarningCode.COMPLETED_EXCLUDED_RUN)
