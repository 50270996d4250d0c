"""What every enrollment backend takes and returns."""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from core.models import User
from enrollments.data import (
    BulkEnrollmentItem,
    EnrollmentNotification,
    Outcome,
)
from enrollments.selectors import RunRow

__all__ = ["BackendResult", "EnrollmentBackend", "Outcome", "PreparedPair", "first_pair_per_learner"]

L = TypeVar("L", bound=Hashable)


@dataclass(frozen=True)
class PreparedPair:
    """A distinct, syntactically valid pair: email normalised, run key canonical, mode decided.

    ``run`` is the local catalog row, ``None`` when this service does not know the run (only the
    ``lms`` backend accepts those: the LMS decides).
    """

    index: int
    item: BulkEnrollmentItem
    run: RunRow | None
    mode: str


@dataclass
class BackendResult:
    outcomes: dict[int, Outcome] = field(default_factory=dict)  # by PreparedPair.index
    notifications: list[EnrollmentNotification] = field(default_factory=list)
    #: ``{index: index of the first pair}`` for pairs naming a learner and run an earlier pair already
    #: named in another way (email vs user_id): handled and reported once, no outcome of their own.
    duplicate_of: dict[int, int] = field(default_factory=dict)


class EnrollmentBackend(Protocol):
    name: str
    #: Refuse pairs whose run this service does not know (the local backend cannot enroll in them).
    requires_known_runs: bool

    def enroll(self, *, pairs: list[PreparedPair]) -> BackendResult:
        """Enroll every pair it can; one outcome per pair. Never raises for a single pair's failure."""
        ...

    def unenroll(self, *, learner: User, course_run_key: str) -> bool:
        """Deactivate the learner's enrollment. True when an active enrollment was deactivated."""
        ...


def first_pair_per_learner(
    result: BackendResult, resolved: Iterable[tuple[PreparedPair, L]]
) -> list[tuple[PreparedPair, L]]:
    """The pairs, with the learner each resolved to, that name a (learner, run) no earlier pair named.

    ``bulk_enroll`` drops repeats of one ``(email, user_id, run)``; only a backend knows that an email
    and a ``user_id`` are one learner. Both backends call this with ``learner`` values equal exactly
    when they are the same learner, before they enroll anyone, so the learner is enrolled (and the
    LMS called) once; each later pair is recorded in ``result.duplicate_of`` and shares the first
    one's outcome.
    """
    first: dict[tuple[L, str], int] = {}
    kept: list[tuple[PreparedPair, L]] = []
    for pair, learner in resolved:
        key = (learner, pair.item.course_run_key)
        if key in first:
            result.duplicate_of[pair.index] = first[key]
        else:
            first[key] = pair.index
            kept.append((pair, learner))
    return kept
