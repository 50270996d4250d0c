"""Errors of the credit app: DRF exception classes, so the REST layer renders them as JSON.

Status codes (docs/decisions/0006-credit.rst): invalid input 400, not eligible and unconfigured
provider 403, unknown objects 404, a request already completed 409.
"""

from rest_framework import exceptions

from core.exceptions import Conflict


class InvalidCourseKey(exceptions.ValidationError):
    default_detail = "Not a valid course run key."
    default_code = "invalid_course_key"


class InvalidCreditRequirements(exceptions.ValidationError):
    default_detail = "The credit requirements are invalid."
    default_code = "invalid_credit_requirements"


class InvalidCreditStatus(exceptions.ValidationError):
    default_detail = "Not a valid status."
    default_code = "invalid_credit_status"


class InvalidCreditCourse(exceptions.NotFound):
    """The course is not a credit course, or its credit is disabled."""

    default_detail = "The course is not an enabled credit course."
    default_code = "invalid_credit_course"


class CreditRequirementNotFound(exceptions.NotFound):
    default_detail = "The course has no active requirement with this namespace and name."
    default_code = "credit_requirement_not_found"


class CreditProviderNotFound(exceptions.NotFound):
    default_detail = "No active credit provider has this id."
    default_code = "credit_provider_not_found"


class CreditRequestNotFound(exceptions.NotFound):
    default_detail = "The provider has no credit request with this uuid."
    default_code = "credit_request_not_found"


class UserIsNotEligible(exceptions.PermissionDenied):
    default_detail = "The learner is not eligible for credit in this course."
    default_code = "user_not_eligible"


class CreditProviderNotConfigured(exceptions.PermissionDenied):
    """Integration is on but no usable shared secret is configured for the provider."""

    default_detail = "The credit provider has no shared secret configured."
    default_code = "credit_provider_not_configured"


class InvalidSignature(exceptions.PermissionDenied):
    default_detail = "The signature does not match."
    default_code = "invalid_signature"


class InvalidTimestamp(exceptions.ValidationError):
    default_detail = "The timestamp is not an integer or has expired."
    default_code = "invalid_timestamp"


class RequestAlreadyCompleted(Conflict):
    default_detail = "A credit request for this course and provider was already approved or rejected."
    default_code = "request_already_completed"


class CreditProviderExists(Conflict):
    default_detail = "A credit provider with this id already exists."
    default_code = "credit_provider_exists"
