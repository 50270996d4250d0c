"""Reads of credit configuration and learners' credit standing, shaped as the credit API returns them.

Every read costs a fixed number of queries, however many requirements, eligibilities or requests
it returns.
"""

from collections.abc import Iterable

from django.utils import timezone

from core.models import User
from credit.data import (
    CreditProviderInfo,
    CreditProviderItem,
    CreditRequestSummary,
    Eligibility,
    Requirement,
    RequirementStatusItem,
)
from credit.keys import parse_credit_course_key
from credit.models import (
    CreditCourse,
    CreditEligibility,
    CreditProvider,
    CreditRequest,
    CreditRequirement,
    CreditRequirementStatus,
)


def credit_course_get(*, course_key: str) -> CreditCourse | None:
    """The credit course for this (validated) key, enabled or not; ``None`` when not configured."""
    return CreditCourse.objects.filter(course_key=parse_credit_course_key(course_key).key).first()


def credit_course_is_enabled(*, course_key: str) -> bool:
    return CreditCourse.objects.filter(course_key=parse_credit_course_key(course_key).key, enabled=True).exists()


def enabled_credit_courses(*, course_keys: Iterable[str]) -> dict[str, CreditCourse]:
    """The enabled credit courses among these (canonical) course run keys, by key: one query per 500 keys."""
    keys = sorted(set(course_keys))
    return {
        course.course_key: course
        for start in range(0, len(keys), 500)
        for course in CreditCourse.objects.filter(course_key__in=keys[start : start + 500], enabled=True)
    }


def _requirement_item(requirement: CreditRequirement) -> Requirement:
    return {
        "namespace": requirement.namespace,
        "name": requirement.name,
        "display_name": requirement.display_name,
        "criteria": requirement.criteria,
        "order": requirement.order,
    }


def _active_requirements(course_key: str, namespace: str | None = None) -> list[CreditRequirement]:
    requirements = CreditRequirement.objects.filter(
        course__course_key=parse_credit_course_key(course_key).key, active=True
    )
    if namespace is not None:
        requirements = requirements.filter(namespace=namespace)
    return list(requirements.order_by("order", "id"))


def credit_requirements(*, course_key: str, namespace: str | None = None) -> list[Requirement]:
    """The course's active requirements in order (optionally one namespace); ``[]`` for a non-credit course."""
    return [_requirement_item(requirement) for requirement in _active_requirements(course_key, namespace)]


def credit_requirement_statuses(*, course_key: str, username: str) -> list[RequirementStatusItem]:
    """One item per active requirement with the learner's status, ``None`` where not attempted. Two queries."""
    requirements = _active_requirements(course_key)
    statuses = {
        status.requirement_id: status
        for status in CreditRequirementStatus.objects.filter(
            requirement__in=[requirement.pk for requirement in requirements], learner__username=username
        )
    }
    items: list[RequirementStatusItem] = []
    for requirement in requirements:
        status = statuses.get(requirement.pk)
        items.append(
            {
                "namespace": requirement.namespace,
                "name": requirement.name,
                "display_name": requirement.display_name,
                "criteria": requirement.criteria,
                "reason": status.reason if status else None,
                "status": status.status if status else None,
                "status_date": status.modified if status else None,
                "order": requirement.order,
            }
        )
    return items


def _current_eligibilities(username: str, course_key: str | None = None):  # type: ignore[no-untyped-def]
    eligibilities = CreditEligibility.objects.filter(
        learner__username=username, course__enabled=True, deadline__gt=timezone.now()
    )
    if course_key is not None:
        eligibilities = eligibilities.filter(course__course_key=parse_credit_course_key(course_key).key)
    return eligibilities


def credit_eligibilities(*, username: str, course_key: str | None = None) -> list[Eligibility]:
    """The learner's current eligibilities: course enabled and deadline in the future. One query."""
    return [
        {"course_key": eligibility.course.course_key, "deadline": eligibility.deadline}
        for eligibility in _current_eligibilities(username, course_key)
        .select_related("course")
        .order_by("course__course_key")
    ]


def learner_is_eligible(*, username: str, course_key: str) -> bool:
    return _current_eligibilities(username, course_key).exists()


def learner_is_currently_eligible(*, learner: User, course: CreditCourse) -> bool:
    return CreditEligibility.objects.filter(
        learner=learner, course=course, course__enabled=True, deadline__gt=timezone.now()
    ).exists()


def credit_provider_item(provider: CreditProvider) -> CreditProviderItem:
    return {
        "id": provider.provider_id,
        "display_name": provider.display_name,
        "name": provider.display_name,
        "url": provider.provider_url,
        "status_url": provider.provider_status_url,
        "description": provider.description,
        "enable_integration": provider.enable_integration,
        "fulfillment_instructions": provider.fulfillment_instructions,
        "thumbnail_url": provider.thumbnail_url,
        "active": provider.active,
    }


def credit_providers(
    *, provider_ids: list[str] | None = None, include_inactive: bool = False
) -> list[CreditProviderItem]:
    """Providers (active ones unless ``include_inactive``), optionally only those in ``provider_ids``."""
    providers = CreditProvider.objects.all()
    if not include_inactive:
        providers = providers.filter(active=True)
    if provider_ids is not None:
        providers = providers.filter(provider_id__in=provider_ids)
    return [credit_provider_item(provider) for provider in providers.order_by("provider_id")]


def credit_provider_get(*, provider_id: str, include_inactive: bool = False) -> CreditProvider | None:
    providers = CreditProvider.objects.filter(provider_id=provider_id)
    if not include_inactive:
        providers = providers.filter(active=True)
    return providers.first()


def credit_provider_info(*, provider_id: str) -> CreditProviderInfo | dict[str, object]:
    """An active provider's data in the shape of Open edX ``get_credit_provider_info``; ``{}`` when unknown."""
    provider = credit_provider_get(provider_id=provider_id)
    if provider is None:
        return {}
    return {
        "provider_id": provider.provider_id,
        "display_name": provider.display_name,
        "provider_url": provider.provider_url,
        "provider_status_url": provider.provider_status_url,
        "provider_description": provider.description,
        "enable_integration": provider.enable_integration,
        "fulfillment_instructions": provider.fulfillment_instructions,
        "thumbnail_url": provider.thumbnail_url,
    }


def _request_summary(credit_request: CreditRequest) -> CreditRequestSummary:
    timestamp = credit_request.parameters.get("timestamp")
    return {
        "uuid": credit_request.uuid,
        "timestamp": timestamp if isinstance(timestamp, int) else int(credit_request.modified.timestamp()),
        "course_key": credit_request.course.course_key,
        "provider": {"id": credit_request.provider.provider_id, "display_name": credit_request.provider.display_name},
        "status": credit_request.status,
    }


def credit_requests_for_learner(*, username: str, course_key: str | None = None) -> list[CreditRequestSummary]:
    """The learner's credit requests (newest first) with their status. One query."""
    requests = CreditRequest.objects.filter(learner__username=username).select_related("course", "provider")
    if course_key is not None:
        requests = requests.filter(course__course_key=parse_credit_course_key(course_key).key)
    return [_request_summary(credit_request) for credit_request in requests.order_by("-modified", "-id")]


def credit_request_latest(*, username: str, course_key: str) -> CreditRequestSummary | dict[str, object]:
    """The learner's most recently changed request in the course, any provider; ``{}`` when none."""
    requests = credit_requests_for_learner(username=username, course_key=course_key)
    return requests[0] if requests else {}
