"""Writes of credit configuration, learners' requirement statuses, eligibilities and credit requests.

The rules (docs/decisions/0006-credit.rst):
- setting a course's requirements replaces the list: missing ones become inactive, never deleted;
- ``satisfied`` never becomes ``failed``; an eligible learner is never marked ``failed``; once the
  learner has a credit request for the course, statuses are frozen;
- eligibility is granted once, when every active requirement is satisfied, and mailed after commit;
- a pending credit request is reused; a completed one forbids a new one.
"""

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Subquery
from django.utils import timezone

from core.db import retry_on_integrity_error
from core.history import history_bulk_record
from core.models import User
from core.services import learner_get_or_create
from core.tasks import task_enqueue
from credit.data import CreditRequestDescription, StatusOutcome
from credit.exceptions import (
    CallbackSecretNotConfigured,
    CreditProviderExists,
    CreditProviderNotConfigured,
    CreditProviderNotFound,
    CreditRequestNotFound,
    InvalidCreditCourse,
    InvalidCreditRequirements,
    InvalidCreditStatus,
    InvalidSignature,
    InvalidTimestamp,
    LearnerProfileUnavailable,
    RequestAlreadyCompleted,
    UserIsNotEligible,
)
from credit.keys import parse_credit_course_key
from credit.models import (
    REQUIREMENT_TEXT_MAX_LENGTH,
    CreditCourse,
    CreditEligibility,
    CreditProvider,
    CreditRequest,
    CreditRequestStatus,
    CreditRequirement,
    CreditRequirementStatus,
    RequirementStatus,
)
from credit.selectors import enabled_credit_courses, learner_is_currently_eligible
from credit.signature import shared_secret_keys, signature, signature_is_valid, signing_key
from enrollments import api as enrollments_api

log = logging.getLogger(__name__)

REQUIRED_REQUIREMENT_TEXT = ("namespace", "name", "display_name")
# A course's requirement list is short in practice (a grade, a few proctored exams); the cap keeps
# one PUT from writing thousands of rows. docs/decisions/0006-credit.rst.
MAX_REQUIREMENTS_PER_COURSE = 100
# Enrollment modes in which a learner can earn credit (the LMS's CourseMode.CREDIT_ELIGIBLE_MODES).
CREDIT_ELIGIBLE_MODES = frozenset({"verified", "professional", "no-id-professional", "executive-education"})
# Learners locked and granted per transaction when a new requirement list completes them.
ELIGIBILITY_GRANT_BATCH = 500
PROVIDER_FIELDS = (
    "display_name",
    "provider_url",
    "provider_status_url",
    "description",
    "enable_integration",
    "fulfillment_instructions",
    "thumbnail_url",
    "active",
)


# --- Credit courses and requirements ----------------------------------------------------------
def credit_course_set(*, course_key: str, enabled: bool) -> tuple[CreditCourse, bool]:
    """Mark a course run for credit (or disable it). Returns ``(course, created)``; replays are harmless."""
    key = parse_credit_course_key(course_key).key

    def write() -> tuple[CreditCourse, bool]:
        return CreditCourse.objects.update_or_create(course_key=key, defaults={"enabled": enabled})

    course, created = retry_on_integrity_error(write)
    log.info("credit_course_set", extra={"course_key": key, "enabled": enabled, "was_created": created})
    return course, created


def enabled_credit_course(course_key: str) -> CreditCourse:
    """The enabled credit course for this key, or ``InvalidCreditCourse`` (404)."""
    course = CreditCourse.objects.filter(course_key=parse_credit_course_key(course_key).key, enabled=True).first()
    if course is None:
        raise InvalidCreditCourse(f"{course_key!r} is not an enabled credit course.")
    return course


def _validated_requirements(requirements: object) -> list[dict[str, Any]]:
    if not isinstance(requirements, list):
        raise InvalidCreditRequirements({"requirements": ["Expected a list of requirements."]})
    if len(requirements) > MAX_REQUIREMENTS_PER_COURSE:
        raise InvalidCreditRequirements(
            {
                "requirements": [
                    f"A course has at most {MAX_REQUIREMENTS_PER_COURSE} requirements; got {len(requirements)}."
                ]
            }
        )
    errors: dict[str, dict[str, list[str]]] = {}
    for index, item in enumerate(requirements):
        if not isinstance(item, dict):
            errors[str(index)] = {"non_field_errors": ["Expected an object."]}
            continue
        item_errors: dict[str, list[str]] = {}
        for field in REQUIRED_REQUIREMENT_TEXT:
            value = item.get(field)
            if not isinstance(value, str) or not value.strip():
                item_errors[field] = ["This field must be a non-empty string."]
            elif len(value) > REQUIREMENT_TEXT_MAX_LENGTH:
                item_errors[field] = [f"Ensure this field has no more than {REQUIREMENT_TEXT_MAX_LENGTH} characters."]
        if "criteria" not in item:
            item_errors["criteria"] = ["This field is required."]
        elif not isinstance(item["criteria"], dict):
            item_errors["criteria"] = ["Expected an object."]
        if item_errors:
            errors[str(index)] = item_errors
    if errors:
        raise InvalidCreditRequirements(errors)
    return requirements  # type: ignore[return-value]


def credit_requirements_set(*, course_key: str, requirements: list[dict[str, Any]]) -> list[CreditRequirement]:
    """Replace the course's requirement list; returns the active requirements in order.

    Requirements missing from the list become inactive (their statuses are kept); a
    ``(namespace, name)`` given twice is stored once (the last values, at its first position).
    At most ``MAX_REQUIREMENTS_PER_COURSE`` items. Rows are written in bulk: a fixed number of
    queries however long the list. Learners who, under the new list, have satisfied every active
    requirement are granted eligibility right after (see ``_eligibilities_grant_for_course``).
    Raises ``InvalidCreditRequirements`` (400, nothing changed) or ``InvalidCreditCourse`` (404).
    """
    items = _validated_requirements(requirements)
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        unique[(item["namespace"], item["name"])] = item
    with transaction.atomic():
        course = enabled_credit_course(course_key)
        # One writer per course at a time: the list is read, compared and written as a whole.
        CreditCourse.objects.select_for_update().filter(pk=course.pk).first()
        existing = {(req.namespace, req.name): req for req in CreditRequirement.objects.filter(course=course)}
        now = timezone.now()
        created: list[CreditRequirement] = []
        changed: list[CreditRequirement] = []
        for order, (natural_key, item) in enumerate(unique.items()):
            requirement = existing.pop(natural_key, None)
            values = {"display_name": item["display_name"], "criteria": item["criteria"], "order": order}
            if requirement is None:
                namespace, name = natural_key
                created.append(CreditRequirement(course=course, namespace=namespace, name=name, active=True, **values))
                continue
            if requirement.active and all(getattr(requirement, field) == value for field, value in values.items()):
                continue
            for field, value in values.items():
                setattr(requirement, field, value)
            requirement.active = True
            requirement.modified = now  # bulk_update does not apply auto_now
            changed.append(requirement)
        CreditRequirement.objects.bulk_create(created)
        CreditRequirement.objects.bulk_update(changed, ["display_name", "criteria", "order", "active", "modified"])
        deactivated = [req.pk for req in existing.values() if req.active]
        CreditRequirement.objects.filter(pk__in=deactivated).update(active=False, modified=now)
        kept = list(CreditRequirement.objects.filter(course=course, active=True).order_by("order", "id"))
    log.info(
        "credit_requirements_set",
        extra={
            "course_key": course.course_key,
            "active": len(kept),
            "added": len(created),
            "changed": len(changed),
            "deactivated": len(deactivated),
        },
    )
    if deactivated:
        # Only a removed requirement can complete a learner; an added or reactivated one adds a condition.
        # After commit, also when the caller holds a transaction: the grant locks learners' rows, and
        # must not do so while this course's lock is still held (ADR 0006).
        transaction.on_commit(lambda: _eligibilities_grant_for_course(course))
    return kept


# --- Requirement statuses and eligibility -----------------------------------------------------
def _active_requirement(course: CreditCourse, namespace: str, name: str) -> CreditRequirement | None:
    return CreditRequirement.objects.filter(course=course, namespace=namespace, name=name, active=True).first()


def _enrollment_can_earn_credit(learner: User, course: CreditCourse) -> bool:
    """False only when this service knows the learner's enrollment in the run and it cannot earn credit.

    The LMS ignores statuses of learners not actively enrolled in a credit-eligible mode. This service
    may not know every enrollment (the LMS is their system of record), so an unknown one does not
    block (ADR 0010).
    """
    enrollment = enrollments_api.learner_enrollment_in_run(learner_id=learner.pk, course_run_key=course.course_key)
    if enrollment is None:
        return True
    mode, is_active = enrollment
    return is_active and mode in CREDIT_ELIGIBLE_MODES


def requirement_status_set(
    *,
    learner: User | str,
    course_key: str,
    namespace: str,
    name: str,
    status: str = RequirementStatus.SATISFIED,
    reason: dict[str, Any] | None = None,
) -> tuple[StatusOutcome, CreditRequirementStatus | None]:
    """Record a learner's status on a requirement and grant eligibility when all are satisfied.

    ``learner`` is a user or a username; an unknown username becomes a learner row (once the course
    and requirement are known to exist). Returns what happened and the stored status row (``None``
    when there is none). The rules that leave a status unchanged (satisfied never fails, eligible
    never fails, frozen by a request, an enrollment that cannot earn credit, a requirement the course
    does not have) are not errors: the outcome names the rule, as Open edX silently ignores such updates.
    ``InvalidCreditCourse`` (404) when the course is not an enabled credit course.
    """
    if status not in RequirementStatus.values:
        raise InvalidCreditStatus({"status": [f"{status!r} is not one of {', '.join(RequirementStatus.values)}."]})
    reason = reason or {}
    course = enabled_credit_course(course_key)
    requirement = _active_requirement(course, namespace, name)
    if requirement is None:
        log.warning(
            "credit_requirement_status_for_unknown_requirement",
            extra={"course_key": course.course_key, "namespace": namespace, "requirement_name": name},
        )
        return StatusOutcome.REQUIREMENT_NOT_FOUND, None
    if not isinstance(learner, User):
        learner = learner_get_or_create(username=learner)
    if not _enrollment_can_earn_credit(learner, course):
        log.info(
            "credit_requirement_status_unchanged",
            extra={
                "learner_id": learner.pk,
                "requirement_id": requirement.pk,
                "outcome": StatusOutcome.ENROLLMENT_NOT_CREDIT_ELIGIBLE.value,
            },
        )
        current = CreditRequirementStatus.objects.filter(learner=learner, requirement=requirement).first()
        return StatusOutcome.ENROLLMENT_NOT_CREDIT_ELIGIBLE, current
    return _status_write(learner, course, requirement, status, reason)


def _status_write(
    learner: User, course: CreditCourse, requirement: CreditRequirement, status: str, reason: dict[str, Any]
) -> tuple[StatusOutcome, CreditRequirementStatus | None]:
    """``requirement_status_set``'s write, under the learner's lock, once the requirement and enrollment allow it."""
    with transaction.atomic():
        # One writer per learner at a time, so two requirements satisfied at once cannot both miss
        # the moment every requirement is satisfied.
        User.objects.select_for_update().filter(pk=learner.pk).first()
        current = CreditRequirementStatus.objects.filter(learner=learner, requirement=requirement).first()
        outcome = _status_rule(learner, course, current, status)
        if outcome is not None:
            log.info(
                "credit_requirement_status_unchanged",
                extra={"learner_id": learner.pk, "requirement_id": requirement.pk, "outcome": outcome.value},
            )
            return outcome, current
        unchanged = current is not None and current.status == status and current.reason == reason
        if not unchanged:
            if current is None:
                current = CreditRequirementStatus(learner=learner, requirement=requirement)
            current.status = status
            current.reason = reason
            current.save()
        if status == RequirementStatus.SATISFIED:
            # Also when unchanged: the requirement list may have changed since the status was
            # first recorded, and a repeated ``satisfied`` is how the LMS says "check again".
            _eligibilities_grant_if_complete(course=course, learner_ids=[learner.pk])
    assert current is not None  # set above, or unchanged (which needs a row)
    if unchanged:
        return StatusOutcome.UNCHANGED, current
    log.info(
        "credit_requirement_status_set",
        extra={"learner_id": learner.pk, "requirement_id": requirement.pk, "status": status},
    )
    return StatusOutcome.RECORDED, current


def _status_rule(
    learner: User, course: CreditCourse, current: CreditRequirementStatus | None, status: str
) -> StatusOutcome | None:
    if CreditRequest.objects.filter(learner=learner, course=course).exists():
        return StatusOutcome.FROZEN_BY_REQUEST
    if status == RequirementStatus.FAILED:
        if current is not None and current.status == RequirementStatus.SATISFIED:
            return StatusOutcome.SATISFIED_NEVER_FAILS
        if learner_is_currently_eligible(learner=learner, course=course):
            return StatusOutcome.ELIGIBLE_NEVER_FAILS
    return None


def _complete_learners(course: CreditCourse) -> QuerySet[CreditRequirementStatus, int]:
    """Ids of learners with a ``satisfied`` status on every active requirement and no eligibility (even expired).

    One aggregate query however many learners; empty when the course has no active requirement.
    """
    required = CreditRequirement.objects.filter(course=course, active=True).values("course").annotate(n=Count("id"))
    return (
        CreditRequirementStatus.objects.filter(
            requirement__course=course, requirement__active=True, status=RequirementStatus.SATISFIED
        )
        .exclude(learner__in=CreditEligibility.objects.filter(course=course).values("learner"))
        .values("learner")
        .annotate(satisfied=Count("id"))
        .filter(satisfied=Subquery(required.values("n")))
        .values_list("learner", flat=True)
    )


def _eligibilities_grant_if_complete(*, course: CreditCourse, learner_ids: list[int]) -> list[int]:
    """Grant eligibility to those of ``learner_ids`` whose every active requirement is satisfied.

    The caller holds the learners' row locks (as every status writer does), so nobody else can
    grant them meanwhile: the rows found after the insert are exactly the new grants, and each is
    mailed once, after commit. A learner with an eligibility, even expired, is not granted again.
    A fixed number of queries for the whole batch. Returns the new eligibility ids.
    """
    complete = list(_complete_learners(course).filter(learner__in=learner_ids))
    if not complete:
        return []
    deadline = timezone.now() + timedelta(days=settings.CREDIT_ELIGIBILITY_EXPIRATION_DAYS)
    CreditEligibility.objects.bulk_create(
        [CreditEligibility(learner_id=learner_id, course=course, deadline=deadline) for learner_id in complete]
    )
    rows = list(CreditEligibility.objects.filter(course=course, learner__in=complete))
    history_bulk_record(rows, CreditEligibility)
    granted = [row.pk for row in rows]
    log.info(
        "credit_eligibility_granted",
        extra={"learner_ids": complete, "course_key": course.course_key, "count": len(granted)},
    )
    transaction.on_commit(lambda: _eligibility_emails_queue(granted))
    return granted


def _eligibilities_grant_for_course(course: CreditCourse) -> int:
    """After the requirement list changed: grant every learner who now has all active requirements satisfied.

    Open edX waits for the learner's next status write; a learner who has finished the course may
    never get one. Runs after the requirement transaction committed, so its course lock is not held
    while learners are locked (status writers lock the learner first, then touch the course and
    requirement rows: the other order could deadlock against them). In batches of
    ``ELIGIBILITY_GRANT_BATCH`` learners, each a few queries under those learners' row locks, which
    is what keeps a concurrent status write from granting the same learner. Returns how many were granted.
    """
    candidates = list(_complete_learners(course))
    granted = 0
    for start in range(0, len(candidates), ELIGIBILITY_GRANT_BATCH):
        batch = candidates[start : start + ELIGIBILITY_GRANT_BATCH]
        with transaction.atomic():
            locked = list(
                User.objects.select_for_update().filter(pk__in=batch).order_by("pk").values_list("pk", flat=True)
            )
            granted += len(_eligibilities_grant_if_complete(course=course, learner_ids=locked))
    return granted


def _eligibility_emails_queue(eligibility_ids: list[int]) -> None:
    from credit.tasks import credit_eligibility_email_send_task

    for eligibility_id in eligibility_ids:
        task_enqueue(credit_eligibility_email_send_task, eligibility_id)


def credit_eligibility_email_send(*, eligibility_id: int) -> bool:
    """Mail the learner that they are eligible for credit. Failures are logged, never raised. True when sent."""
    eligibility = CreditEligibility.objects.select_related("learner", "course").filter(pk=eligibility_id).first()
    if eligibility is None or not eligibility.learner.email or eligibility.learner.retired_at is not None:
        log.warning("credit_eligibility_email_skipped", extra={"eligibility_id": eligibility_id})
        return False
    learner = eligibility.learner
    course_key = eligibility.course.course_key
    try:
        send_mail(
            subject=f"You are eligible for credit in {course_key}",
            message=(
                f"Hello {learner.full_name or learner.get_username()},\n\n"
                f"You have met every requirement for credit in {course_key}. You may request credit "
                f"from a credit provider until {eligibility.deadline:%Y-%m-%d}.\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[learner.email],
        )
    except Exception:  # SMTP, DNS or socket failures: the grant stands; the log says what was lost.
        log.exception("credit_eligibility_email_failed", extra={"eligibility_id": eligibility_id})
        return False
    log.info("credit_eligibility_email_sent", extra={"eligibility_id": eligibility_id})
    return True


def requirement_status_remove(*, username: str, course_key: str, namespace: str, name: str) -> bool:
    """Delete the learner's status on a requirement (eligibility already granted stays). True when one existed.

    A requirement the course does not have changes nothing (False), as in the LMS.
    """
    course = enabled_credit_course(course_key)
    requirement = _active_requirement(course, namespace, name)
    if requirement is None:
        log.warning(
            "credit_requirement_status_for_unknown_requirement",
            extra={"course_key": course.course_key, "namespace": namespace, "requirement_name": name},
        )
        return False
    deleted, _ = CreditRequirementStatus.objects.filter(requirement=requirement, learner__username=username).delete()
    log.info(
        "credit_requirement_status_removed",
        extra={"requirement_id": requirement.pk, "username": username, "was_present": bool(deleted)},
    )
    return bool(deleted)


def grade_requirements_update(*, grades: Sequence[tuple[str, str, Decimal | float]]) -> None:
    """``grade_requirement_update`` for each ``(username, course run key, percent grade)``, in order.

    One query finds which of the runs are enabled credit courses; grades of other runs cost nothing more.
    """
    courses = enabled_credit_courses(course_keys=(course_run_key for _, course_run_key, _ in grades))
    for username, course_run_key, percent_grade in grades:
        if course_run_key in courses:
            _grade_requirement_apply(courses[course_run_key], username=username, percent_grade=percent_grade)


def grade_requirement_update(*, username: str, course_run_key: str, percent_grade: Decimal | float) -> None:
    """Satisfy the course's ``grade`` requirements the grade meets (``percent_grade >= criteria.min_grade``).

    A grade below the minimum changes nothing: a later, better grade may still satisfy it. A run that
    is not an enabled credit course, or has no grade requirement, is ignored.
    """
    course = CreditCourse.objects.filter(course_key=course_run_key, enabled=True).first()
    if course is not None:
        _grade_requirement_apply(course, username=username, percent_grade=percent_grade)


def _grade_requirement_apply(course: CreditCourse, *, username: str, percent_grade: Decimal | float) -> None:
    grade = Decimal(str(percent_grade))
    for requirement in CreditRequirement.objects.filter(course=course, namespace="grade", active=True):
        try:
            min_grade = Decimal(str(requirement.criteria.get("min_grade")))
        except (InvalidOperation, AttributeError):
            log.warning("credit_grade_requirement_without_min_grade", extra={"requirement_id": requirement.pk})
            continue
        if grade < min_grade:
            continue
        learner = User.objects.filter(username=username).first()
        if learner is None:
            return
        requirement_status_set(
            learner=learner,
            course_key=course.course_key,
            namespace=requirement.namespace,
            name=requirement.name,
            status=RequirementStatus.SATISFIED,
            reason={"final_grade": float(grade)},
        )


# --- Providers ---------------------------------------------------------------------------------
def credit_provider_create(*, provider_id: str, **fields: Any) -> CreditProvider:
    """Create a provider; ``CreditProviderExists`` (409) when the id is taken."""
    unknown = set(fields) - set(PROVIDER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown provider fields: {sorted(unknown)}")
    try:
        with transaction.atomic():
            provider = CreditProvider.objects.create(provider_id=provider_id, **fields)
    except IntegrityError as exc:
        raise CreditProviderExists(f"A credit provider {provider_id!r} already exists.") from exc
    log.info("credit_provider_created", extra={"provider_id": provider_id})
    return provider


def credit_provider_update(*, provider_id: str, **fields: Any) -> CreditProvider:
    """Change some fields of a provider (active or not); ``CreditProviderNotFound`` (404) when unknown."""
    unknown = set(fields) - set(PROVIDER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown provider fields: {sorted(unknown)}")
    provider = CreditProvider.objects.filter(provider_id=provider_id).first()
    if provider is None:
        raise CreditProviderNotFound(f"No credit provider has the id {provider_id!r}.")
    for field, value in fields.items():
        setattr(provider, field, value)
    provider.save()
    log.info("credit_provider_updated", extra={"provider_id": provider_id, "fields": sorted(fields)})
    return provider


# --- Credit requests ---------------------------------------------------------------------------
def check_keys_exist(shared_secret_key: str | Sequence[str | None] | None, provider_id: str) -> None:
    """``CreditProviderNotConfigured`` (400) unless a usable secret is configured (single key or list)."""
    if not shared_secret_key or (not isinstance(shared_secret_key, str) and not any(shared_secret_key)):
        raise CreditProviderNotConfigured(f"Credit provider {provider_id!r} has no secret key configured.")


def _final_grade(learner: User, course: CreditCourse) -> str:
    """The final grade recorded with the learner's satisfied grade requirement, as the provider receives it.

    "" when the course has no active grade requirement. ``UserIsNotEligible`` (400) when it has one
    but the learner's status on it is not ``satisfied`` with a numeric ``final_grade``: the LMS
    refuses such a request rather than send a provider no grade.
    """
    grade_requirements = CreditRequirement.objects.filter(course=course, namespace="grade", active=True)
    if not grade_requirements.exists():
        return ""
    status = (
        CreditRequirementStatus.objects.filter(
            learner=learner, requirement__in=grade_requirements, status=RequirementStatus.SATISFIED
        )
        .order_by("requirement__order")
        .first()
    )
    grade = status.reason.get("final_grade") if status and isinstance(status.reason, dict) else None
    if isinstance(grade, bool) or not isinstance(grade, (int, float)):
        log.warning("credit_request_without_final_grade", extra={"learner_id": learner.pk, "course_id": course.pk})
        raise UserIsNotEligible(f"{learner.username!r} has no final grade recorded in {course.course_key}.")
    # Open edX caps the rendering at seven characters (a provider relies on it).
    return f"{grade:.5f}" if len(str(grade)) > 7 else str(grade)


def _learner_profile(learner: User) -> tuple[str, str, str]:
    """``(full name, country code, mailing address)`` for the provider: the stored JWT name, and the LMS account.

    Without the LMS configured, country and mailing address are "" (ADR 0010).
    ``LearnerProfileUnavailable`` (503) when the LMS cannot answer.
    """
    try:
        profile = enrollments_api.lms_account_profile(username=learner.username)
    except enrollments_api.UpstreamError as exc:
        log.warning("credit_request_profile_unavailable", extra={"learner_id": learner.pk, "error": str(exc)})
        raise LearnerProfileUnavailable() from exc
    full_name = learner.full_name or (profile.name if profile else "") or learner.get_full_name()
    if profile is None:
        return full_name, "", ""
    return full_name, profile.country, profile.mailing_address


def credit_request_create(*, course_key: str, provider_id: str, username: str) -> CreditRequestDescription:
    """Start (or resume) an eligible learner's request for credit; see ``credit.api.create_credit_request``."""
    parsed = parse_credit_course_key(course_key)
    provider = CreditProvider.objects.filter(provider_id=provider_id, active=True).first()
    if provider is None:
        raise CreditProviderNotFound(f"No active credit provider has the id {provider_id!r}.")
    learner = User.objects.filter(username=username).first()
    course = CreditCourse.objects.filter(course_key=parsed.key, enabled=True).first()
    if learner is None or course is None or not learner_is_currently_eligible(learner=learner, course=course):
        raise UserIsNotEligible(f"{username!r} is not eligible for credit in {parsed.key}.")
    if not provider.enable_integration:
        return {"url": provider.provider_url, "method": "GET", "parameters": {}}
    secret = signing_key(provider.provider_id)
    if secret is None:
        raise CreditProviderNotConfigured(f"Credit provider {provider_id!r} has no usable secret key configured.")
    final_grade = _final_grade(learner, course)
    # Read before the write: an LMS outage leaves no request behind that was never sent.
    full_name, country, mailing_address = _learner_profile(learner)

    def write() -> CreditRequest:
        credit_request = (
            CreditRequest.objects.select_for_update().filter(learner=learner, course=course, provider=provider).first()
        )
        if credit_request is None:
            credit_request = CreditRequest(learner=learner, course=course, provider=provider, uuid=uuid.uuid4().hex)
        elif credit_request.status != CreditRequestStatus.PENDING:
            raise RequestAlreadyCompleted(
                f"The request {credit_request.uuid} was already {credit_request.status}; no new request is allowed."
            )
        credit_request.parameters = {
            "request_uuid": credit_request.uuid,
            "timestamp": int(time.time()),
            "course_org": parsed.org,
            "course_num": parsed.course,
            "course_run": parsed.run,
            "final_grade": final_grade,
            "user_username": learner.username,
            "user_email": learner.email,
            "user_full_name": full_name,
            "user_mailing_address": mailing_address,
            "user_country": country,
        }
        credit_request.save()
        return credit_request

    credit_request = retry_on_integrity_error(write)
    parameters = dict(credit_request.parameters)
    parameters["signature"] = signature(parameters, secret)
    log.info(
        "credit_request_created",
        extra={"request_uuid": credit_request.uuid, "provider_id": provider_id, "learner_id": learner.pk},
    )
    return {"url": provider.provider_url, "method": "POST", "parameters": parameters}


def credit_request_status_update(
    *, request_uuid: str, provider_id: str, status: str, provider_timestamp: int | None = None
) -> CreditRequest:
    """Approve or reject a request. Idempotent: the same status again changes nothing.

    A callback older than the last one applied (``provider_timestamp``) changes nothing, so a replayed
    old callback cannot undo a newer decision. Authorization is the caller's job.
    """
    if status not in (CreditRequestStatus.APPROVED, CreditRequestStatus.REJECTED):
        raise InvalidCreditStatus({"status": [f"{status!r} is not one of approved, rejected."]})
    with transaction.atomic():
        credit_request = (
            CreditRequest.objects.select_for_update()
            .filter(uuid=request_uuid, provider__provider_id=provider_id)
            .first()
        )
        if credit_request is None:
            raise CreditRequestNotFound(f"Provider {provider_id!r} has no credit request {request_uuid!r}.")
        newer = provider_timestamp is not None and (
            credit_request.provider_timestamp is None or provider_timestamp > credit_request.provider_timestamp
        )
        stale = (
            provider_timestamp is not None
            and credit_request.provider_timestamp is not None
            and provider_timestamp < credit_request.provider_timestamp
        )
        if stale or credit_request.status == status:
            if credit_request.status == status and newer:
                # The same decision, sent later: the status and ``modified`` stay, but a delayed
                # older callback with the other status must now count as stale.
                CreditRequest.objects.filter(pk=credit_request.pk).update(provider_timestamp=provider_timestamp)
                credit_request.provider_timestamp = provider_timestamp
            log.info(
                "credit_request_status_unchanged",
                extra={"request_uuid": request_uuid, "status": status, "stale": stale},
            )
            return credit_request
        credit_request.status = status
        if provider_timestamp is not None:
            credit_request.provider_timestamp = provider_timestamp
        credit_request.save()
    log.info("credit_request_status_updated", extra={"request_uuid": request_uuid, "status": status})
    return credit_request


def _timestamp(value: object) -> int:
    if isinstance(value, bool):
        raise InvalidTimestamp({"timestamp": ["Expected an integer number of seconds since the epoch."]})
    try:
        timestamp = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise InvalidTimestamp({"timestamp": ["Expected an integer number of seconds since the epoch."]}) from exc
    if isinstance(value, float) and value != timestamp:
        raise InvalidTimestamp({"timestamp": ["Expected an integer number of seconds since the epoch."]})
    # Integer arithmetic: a float of a 400-digit timestamp would overflow.
    if abs(int(time.time()) - timestamp) > settings.CREDIT_PROVIDER_TIMESTAMP_EXPIRATION:
        raise InvalidTimestamp({"timestamp": ["The timestamp has expired (or is too far in the future)."]})
    return timestamp


def credit_provider_callback(*, provider_id: str, parameters: dict[str, Any]) -> CreditRequest:
    """Apply a provider's signed ``{request_uuid, status, timestamp, signature}``; changes nothing on any error.

    Checks, in order: provider known (404), a secret configured (403, as the LMS's callback), signature matches any
    secret (403), timestamp an integer within ``CREDIT_PROVIDER_TIMESTAMP_EXPIRATION`` (400),
    status approved/rejected (400), request known for this provider (404).
    """
    if not CreditProvider.objects.filter(provider_id=provider_id).exists():
        raise CreditProviderNotFound(f"No credit provider has the id {provider_id!r}.")
    if not shared_secret_keys(provider_id):
        raise CallbackSecretNotConfigured(f"Credit provider {provider_id!r} has no secret key configured.")
    if not signature_is_valid(parameters, provider_id):
        log.warning("credit_callback_bad_signature", extra={"provider_id": provider_id})
        raise InvalidSignature()
    timestamp = _timestamp(parameters.get("timestamp"))
    return credit_request_status_update(
        request_uuid=str(parameters.get("request_uuid")),
        provider_id=provider_id,
        status=str(parameters.get("status")),
        provider_timestamp=timestamp,
    )


# The parameters of a credit request that name the learner, and what retirement leaves in them.
_REQUEST_PII_PARAMETERS = ("user_username", "user_email", "user_full_name", "user_mailing_address", "user_country")


def learner_credit_pii_retire(*, learner_id: int, retired_username: str, retired_email: str) -> int:
    """Replace the learner's PII in their credit requests' parameters, and in those rows' history.

    Username and email take their retired forms; full name, mailing address and country become
    empty. Statuses, eligibilities and request outcomes stay (credit statistics do not change).
    Idempotent. Returns the number of requests whose parameters changed.
    """
    replacement = {
        "user_username": retired_username,
        "user_email": retired_email,
        "user_full_name": "",
        "user_mailing_address": "",
        "user_country": "",
    }

    def scrubbed(parameters: Any) -> Any:
        if not isinstance(parameters, dict):
            return parameters
        return {**parameters, **{key: replacement[key] for key in _REQUEST_PII_PARAMETERS if key in parameters}}

    changed = 0
    for credit_request in CreditRequest.objects.select_for_update().filter(learner_id=learner_id):
        new = scrubbed(credit_request.parameters)
        if new != credit_request.parameters:
            credit_request.parameters = new
            credit_request.save(update_fields=["parameters", "modified"])
            changed += 1
    history = CreditRequest.history.model  # type: ignore[attr-defined]
    stale = [row for row in history.objects.filter(learner_id=learner_id) if scrubbed(row.parameters) != row.parameters]
    for row in stale:
        row.parameters = scrubbed(row.parameters)
    if stale:
        history.objects.bulk_update(stale, ["parameters"], batch_size=1000)
    return changed
