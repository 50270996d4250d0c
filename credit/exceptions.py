"""Errors of the credit app: DRF exception classes, so the REST layer renders them as JSON.

Status codes are those of the LMS's credit views (docs/decisions/0006-credit.rst, 0010): invalid
input 400; a credit request the LMS refuses (learner not eligible, provider with integration but
no usable secret, request already approved or rejected) 400 ``invalid-credit-request`` with the
precise case in ``reason``; a bad callback signature 403; unknown objects 404.
"""

from rest_framework import exceptions, status

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


class InvalidCreditRequest(exceptions.APIException):
    """The LMS's 400 for a credit request it will not make; subclasses name the case (``reason``)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The credit request is invalid."
    default_code = "invalid_credit_request"


class UserIsNotEligible(InvalidCreditRequest):
    default_detail = "The learner is not eligible for credit in this course."
    default_code = "user_not_eligible"


class CreditProviderNotConfigured(InvalidCreditRequest):
    """Integration is on but no usable shared secret is configured for the provider."""

    default_detail = "The credit provider has no shared secret configured."
    default_code = "credit_provider_not_configured"


class CallbackSecretNotConfigured(exceptions.PermissionDenied):
    """A callback from a provider no usable secret is configured for: it cannot be authenticated (403, as the LMS)."""

    default_detail = "The credit provider has no shared secret configured; its callbacks cannot be verified."
    default_code = "credit_provider_not_configured"


class InvalidSignature(exceptions.PermissionDenied):
    default_detail = "The signature does not match."
    default_code = "invalid_signature"


class InvalidTimestamp(exceptions.ValidationError):
    default_detail = "The timestamp is not an integer or has expired."
    default_code = "invalid_timestamp"


class RequestAlreadyCompleted(InvalidCreditRequest):
    default_detail = "A credit request for this course and provider was already approved or rejected."
    default_code = "request_already_completed"


class LearnerProfileUnavailable(exceptions.APIException):
    """The LMS account API (country, mailing address) could not be read; nothing was sent or stored."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The learner's LMS account could not be read; try again later."
    default_code = "learner_profile_unavailable"


class CreditProviderExists(Conflict):
    default_detail = "A credit provider with this id already exists."
    default_code = "credit_provider_exists"
