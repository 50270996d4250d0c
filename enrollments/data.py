"""Plain data the enrollments services take and return."""

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

MAX_BULK_ENROLLMENT_PAIRS = 10_000
#: The longest email a pending enrollment can hold (``PendingEnrollment.email``, RFC 5321's path limit).
MAX_EMAIL_LENGTH = 254


class FailureCode(StrEnum):
    """Stable machine-readable reasons a pair was not enrolled (``failures[].code``)."""

    INVALID_EMAIL = "invalid_email"
    UNKNOWN_USER_ID = "unknown_user_id"
    LEARNER_MISMATCH = "learner_mismatch"
    AMBIGUOUS_EMAIL = "ambiguous_email"
    INACTIVE_LEARNER = "inactive_learner"
    INVALID_COURSE_RUN_KEY = "invalid_course_run_key"
    UNKNOWN_COURSE_RUN = "unknown_course_run"
    COURSE_RUN_REMOVED = "course_run_removed"
    COURSE_RUN_ENDED = "course_run_ended"
    LMS_REFUSED = "lms_refused"
    LMS_UNKNOWN_USER = "lms_unknown_user"
    LMS_UNAVAILABLE = "lms_unavailable"


@dataclass(frozen=True)
class BulkEnrollmentItem:
    """One requested pair as the caller sent it (email already trimmed and lower-cased)."""

    course_run_key: str
    email: str | None = None
    user_id: int | None = None
    license_uuid: UUID | None = None
    mode: str | None = None
    #: Set by edx-enterprise's path (``/enterprise/api/v1/enterprise-customer/{uuid}/...``); kept with the rows.
    enterprise_customer_uuid: UUID | None = None


@dataclass(frozen=True)
class EnrollmentSuccess:
    email: str | None
    user_id: int | None
    course_run_key: str
    created: bool


@dataclass(frozen=True)
class EnrollmentPending:
    email: str
    course_run_key: str
    created: bool


@dataclass(frozen=True)
class EnrollmentFailure:
    email: str | None
    user_id: int | None
    course_run_key: str
    code: FailureCode
    reason: str

    @classmethod
    def of(cls, item: BulkEnrollmentItem, code: FailureCode, reason: str) -> "EnrollmentFailure":
        """The failure of one requested pair, named as the caller sent it (the one way to build one)."""
        return cls(email=item.email, user_id=item.user_id, course_run_key=item.course_run_key, code=code, reason=reason)


@dataclass(frozen=True)
class EnrollmentNotification:
    """One email to one learner: the runs they were newly enrolled in, or are pending for.

    ``learner_id`` names the learner newly enrolled (None for a pending email). The task that sends
    these is queued with ids only (``enrollments.notifications.enrollment_notices``), never the email.
    """

    email: str
    course_runs: list[tuple[str, str]]  # (run key, title)
    pending: bool
    learner_id: int | None = None


Outcome = EnrollmentSuccess | EnrollmentPending | EnrollmentFailure


@dataclass
class BulkEnrollmentResult:
    successes: list[EnrollmentSuccess] = field(default_factory=list)
    pending: list[EnrollmentPending] = field(default_factory=list)
    failures: list[EnrollmentFailure] = field(default_factory=list)
    notifications: list[EnrollmentNotification] = field(default_factory=list)
    #: One outcome per requested item, in request order; a repeated pair shares its first outcome.
    item_outcomes: list[Outcome] = field(default_factory=list)
