"""Errors of the privacy services, rendered by ``core.errors``."""

from rest_framework import exceptions


class LearnerNotFound(exceptions.NotFound):
    """The retirement driver named a learner this service never knew: a 404 it treats as done."""

    default_detail = "No such learner."
    default_code = "learner_not_found"
