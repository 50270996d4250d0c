"""Errors of the catalog."""

from rest_framework import exceptions


class InvalidCourseRunKey(exceptions.ValidationError):
    default_detail = "Not a valid course run key."
    default_code = "invalid_course_run_key"
