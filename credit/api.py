"""The credit Python API: what other apps may import (Open edX ``openedx.core.djangoapps.credit.api``).

The rules: docs/decisions/0006-credit.rst.

One function per function of the Open edX credit API, with its return shapes. Course keys are strings
(``course-v1:edX+DemoX+1T2015``) or ``CourseKey`` objects; a malformed key raises ``InvalidCourseKey``.
Errors are the DRF exception classes of ``credit.exceptions`` (re-exported here), so a view may let
them propagate and the client gets the right status and JSON body.
"""

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from core.models import User
from credit import selectors, services
from credit.data import (
    CreditProviderInfo,
    CreditProviderItem,
    CreditRequestDescription,
    CreditRequestSummary,
    Eligibility,
    Requirement,
    RequirementStatusItem,
    StatusOutcome,
)
from credit.exceptions import (
    CreditProviderNotConfigured,
    CreditProviderNotFound,
    CreditRequestNotFound,
    CreditRequirementNotFound,
    InvalidCourseKey,
    InvalidCreditCourse,
    InvalidCreditRequest,
    InvalidCreditRequirements,
    InvalidCreditStatus,
    LearnerProfileUnavailable,
    RequestAlreadyCompleted,
    UserIsNotEligible,
)
from credit.services import check_keys_exist
from credit.signature import get_shared_secret_key, signature

__all__ = [
    "CreditProviderNotConfigured",
    "CreditProviderNotFound",
    "CreditRequestNotFound",
    "CreditRequirementNotFound",
    "InvalidCourseKey",
    "InvalidCreditCourse",
    "InvalidCreditRequest",
    "InvalidCreditRequirements",
    "InvalidCreditStatus",
    "LearnerProfileUnavailable",
    "RequestAlreadyCompleted",
    "StatusOutcome",
    "UserIsNotEligible",
    "check_keys_exist",
    "create_credit_request",
    "credit_course_keys",
    "get_credit_provider_info",
    "get_credit_providers",
    "get_credit_request_status",
    "get_credit_requests_for_user",
    "get_credit_requirement_status",
    "get_credit_requirements",
    "get_eligibilities_for_user",
    "get_shared_secret_key",
    "is_credit_course",
    "is_user_eligible_for_credit",
    "learner_credit_pii_retire",
    "remove_credit_requirement_status",
    "set_credit_requirement_status",
    "set_credit_requirements",
    "signature",
    "update_credit_request_status",
]


# --- Eligibility -------------------------------------------------------------------------------
def set_credit_requirements(course_key: object, requirements: list[dict[str, Any]]) -> None:
    """Replace the requirements of an enabled credit course (missing ones become inactive).

    Each item needs non-empty ``namespace``, ``name``, ``display_name`` (at most 255 characters each)
    and a ``criteria`` object; at most 100 items. Learners the shorter list completes become eligible.
    Raises ``InvalidCreditRequirements`` (nothing changed) or ``InvalidCreditCourse``.
    """
    services.credit_requirements_set(course_key=str(course_key), requirements=requirements)


def get_credit_requirements(course_key: object, namespace: str | None = None) -> list[Requirement]:
    """The course's active requirements in order, optionally of one namespace; ``[]`` when none."""
    return selectors.credit_requirements(course_key=str(course_key), namespace=namespace)


def set_credit_requirement_status(
    user: User | str,
    course_key: object,
    req_namespace: str,
    req_name: str,
    status: str = "satisfied",
    reason: dict[str, Any] | None = None,
) -> StatusOutcome:
    """Record ``satisfied``, ``failed`` or ``declined``; grant eligibility when every active requirement is satisfied.

    Updates the rules forbid (satisfied -> failed, failing an eligible learner, any change after a
    credit request) are ignored, as in Open edX; the returned outcome says which rule applied.
    Raises ``InvalidCreditStatus`` or ``InvalidCreditCourse``; a requirement the course does not have is skipped.
    """
    outcome, _ = services.requirement_status_set(
        learner=user,
        course_key=str(course_key),
        namespace=req_namespace,
        name=req_name,
        status=status,
        reason=reason,
    )
    return outcome


def remove_credit_requirement_status(username: str, course_key: object, req_namespace: str, req_name: str) -> None:
    """Delete the learner's status on the requirement; an eligibility already granted stays."""
    services.requirement_status_remove(
        username=username, course_key=str(course_key), namespace=req_namespace, name=req_name
    )


def get_credit_requirement_status(
    course_key: object, username: str, namespace: str | None = None, name: str | None = None
) -> list[RequirementStatusItem]:
    """The learner's status per active requirement (``status`` ``None`` when not attempted), filtered if asked."""
    items = selectors.credit_requirement_statuses(course_key=str(course_key), username=username)
    return [
        item
        for item in items
        if (namespace is None or item["namespace"] == namespace) and (name is None or item["name"] == name)
    ]


def get_eligibilities_for_user(username: str, course_key: object | None = None) -> list[Eligibility]:
    """``[{"course_key", "deadline"}]`` for the learner's current eligibilities (enabled course, deadline ahead)."""
    return selectors.credit_eligibilities(username=username, course_key=None if course_key is None else str(course_key))


def is_user_eligible_for_credit(username: str, course_key: object) -> bool:
    return selectors.learner_is_eligible(username=username, course_key=str(course_key))


def is_credit_course(course_key: object) -> bool:
    """True when the course is configured for credit and enabled."""
    return selectors.credit_course_is_enabled(course_key=str(course_key))


def credit_course_keys(course_keys: Iterable[str]) -> set[str]:
    """Which of these course run keys are enabled credit courses (``is_credit_course`` for many, one query)."""
    return set(selectors.enabled_credit_courses(course_keys=course_keys))


# --- Providers and requests --------------------------------------------------------------------
def create_credit_request(course_key: object, provider_id: str, username: str) -> CreditRequestDescription:
    """``{"url", "method", "parameters"}`` for the learner's browser to send to the provider.

    Without integration: ``{"url": provider_url, "method": "GET", "parameters": {}}``, nothing stored.
    With integration: a POST with signed parameters; a pending request is reused (same uuid,
    refreshed parameters). Raises ``UserIsNotEligible`` (also when the grade requirement has no final
    grade), ``CreditProviderNotFound``, ``CreditProviderNotConfigured``, ``RequestAlreadyCompleted``
    (the three ``InvalidCreditRequest`` cases, 400 over REST) or ``LearnerProfileUnavailable`` (the LMS
    account API failed).
    """
    return services.credit_request_create(course_key=str(course_key), provider_id=provider_id, username=username)


def update_credit_request_status(request_uuid: str, provider_id: str, status: str) -> None:
    """Approve or reject a request; the same status twice is a no-op. Does NOT check authorization.

    Raises ``InvalidCreditStatus`` or ``CreditRequestNotFound``.
    """
    services.credit_request_status_update(request_uuid=request_uuid, provider_id=provider_id, status=status)


def get_credit_requests_for_user(username: str) -> list[CreditRequestSummary]:
    """``[{"uuid", "timestamp", "course_key", "provider": {"id", "display_name"}, "status"}]``, newest first."""
    return selectors.credit_requests_for_learner(username=username)


def get_credit_request_status(username: str, course_key: object) -> CreditRequestSummary | dict[str, object]:
    """The learner's latest request in the course (any provider), or ``{}``."""
    return selectors.credit_request_latest(username=username, course_key=str(course_key))


def get_credit_providers(providers_list: list[str] | None = None) -> list[CreditProviderItem]:
    """Active providers, optionally only those whose ids are in ``providers_list``."""
    return selectors.credit_providers(provider_ids=providers_list)


def get_credit_provider_info(request: HttpRequest | None, provider_id: str) -> CreditProviderInfo | dict[str, object]:
    """An active provider's data (``provider_id``, ``provider_url`` ...); ``{}`` when unknown. ``request`` is unused."""
    return selectors.credit_provider_info(provider_id=provider_id)


# --- Learner privacy ----------------------------------------------------------------------------
def learner_credit_pii_retire(*, learner_id: int, retired_username: str, retired_email: str) -> int:
    """Retirement: the learner's PII in credit request parameters (and their history) replaced; outcomes kept."""
    return services.learner_credit_pii_retire(
        learner_id=learner_id, retired_username=retired_username, retired_email=retired_email
    )
