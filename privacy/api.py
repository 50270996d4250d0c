"""What other apps (and the admin) may use of privacy."""

from privacy.data import RetirementResult, UsernameReplacementResult
from privacy.exceptions import LearnerNotFound
from privacy.services import learner_retire, retired_email, retired_username, usernames_replace

__all__ = [
    "LearnerNotFound",
    "RetirementResult",
    "UsernameReplacementResult",
    "learner_retire",
    "retired_email",
    "retired_username",
    "usernames_replace",
]
