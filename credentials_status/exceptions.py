"""Errors of the credentials_status app, rendered by ``core.errors.json_exception_handler``."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status


class ProgramNotFound(exceptions.NotFound):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = _("No program has this uuid.")
    default_code = "program_not_found"
