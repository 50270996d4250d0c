"""What other apps may use of ``core``: learner identity and roles."""

from core.exceptions import LearnerIdentityConflict
from core.models import User
from core.records import RecordChange
from core.roles import Role, user_has_role
from core.selectors import learner_find, learner_find_by_email, learners_find_many
from core.services import LearnerAccount, learner_get_or_create, learners_get_or_create_many

__all__ = [
    "LearnerAccount",
    "LearnerIdentityConflict",
    "RecordChange",
    "Role",
    "User",
    "learner_find",
    "learner_find_by_email",
    "learner_get_or_create",
    "learners_find_many",
    "learners_get_or_create_many",
    "user_has_role",
]
