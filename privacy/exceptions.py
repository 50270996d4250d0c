"""Errors of the privacy services, rendered by ``core.errors``."""

from rest_framework import exceptions, status


class LearnerNotFound(exceptions.NotFound):
    """The retirement driver named a learner this service never knew: a 404 it treats as done."""

    default_detail = "No such learner."
    default_code = "learner_not_found"


class RetirementNotConfigured(exceptions.APIException):
    """``RETIRED_USER_SALTS`` is empty: no retired form can be computed. Nothing was changed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Retirement is not configured here (RETIRED_USER_SALTS is empty)."
    default_code = "retirement_not_configured"
