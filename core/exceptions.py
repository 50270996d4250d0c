"""Exception classes shared by every app; ``core.errors`` renders them."""

from rest_framework import exceptions, status


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class LearnerIdentityConflict(Conflict):
    default_detail = "The username and LMS user id name different learners."
    default_code = "learner_identity_conflict"


class InvalidLearnerIdentity(exceptions.ValidationError):
    """Identifiers no learner row can hold (empty or over-long username, NUL, out-of-range id): a 400."""

    default_detail = "The learner's identifiers are not valid."
    default_code = "invalid_learner_identity"
