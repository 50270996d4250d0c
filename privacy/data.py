"""What the privacy services return."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetirementResult:
    """The retired learner's row id, and whether an earlier call had retired them already."""

    learner_id: int
    already_retired: bool


@dataclass(frozen=True)
class UsernameReplacementResult:
    """The ``(old, new)`` mappings applied and those that failed, each in request order."""

    successful: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
