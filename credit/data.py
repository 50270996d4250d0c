"""The plain shapes the credit API returns (those of Open edX's credit Python API, docs/decisions/0006-credit.rst)."""

from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict


class Requirement(TypedDict):
    namespace: str
    name: str
    display_name: str
    criteria: dict[str, Any]
    order: int


class RequirementStatusItem(TypedDict):
    namespace: str
    name: str
    display_name: str
    criteria: dict[str, Any]
    reason: dict[str, Any] | None
    status: str | None
    status_date: datetime | None
    order: int


class Eligibility(TypedDict):
    course_key: str
    deadline: datetime


class ProviderSummary(TypedDict):
    id: str
    display_name: str


class CreditRequestSummary(TypedDict):
    uuid: str
    timestamp: int | None
    course_key: str
    provider: ProviderSummary
    status: str


class CreditProviderItem(TypedDict):
    id: str
    display_name: str
    name: str
    url: str
    status_url: str
    description: str
    enable_integration: bool
    fulfillment_instructions: str
    thumbnail_url: str
    active: bool


class CreditProviderInfo(TypedDict):
    provider_id: str
    display_name: str
    provider_url: str
    provider_status_url: str
    provider_description: str
    enable_integration: bool
    fulfillment_instructions: str
    thumbnail_url: str


class CreditRequestDescription(TypedDict):
    url: str
    method: str
    parameters: dict[str, Any]


class StatusOutcome(StrEnum):
    """What ``set_credit_requirement_status`` did: applied, or which rule left the status unchanged."""

    RECORDED = "recorded"
    UNCHANGED = "unchanged"
    SATISFIED_NEVER_FAILS = "satisfied_never_fails"
    ELIGIBLE_NEVER_FAILS = "eligible_never_fails"
    FROZEN_BY_REQUEST = "frozen_by_request"
    #: The learner's known enrollment in the run cannot earn credit (audit, honor, or inactive).
    ENROLLMENT_NOT_CREDIT_ELIGIBLE = "enrollment_not_credit_eligible"
    #: The course has no active requirement with this namespace and name (the LMS logs and skips).
    REQUIREMENT_NOT_FOUND = "requirement_not_found"
