"""The credit REST API under /api/credit/v1/ (docs/decisions/0006-credit.rst). Views stay thin.

Configuration (providers, courses, requirements, statuses) needs ``credit_admins`` or staff; reading
providers, courses and requirements needs only a login. A learner reads their own statuses,
eligibility and requests and starts their own credit request; ``learner_status_readers`` read anyone's.
The provider callback has no login: its signature is the authentication.
"""

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import BoundedListSerializer
from core.permissions import IsCreditAdmin, LearnerIdentity
from core.throttling import ScopedRateThrottle
from credit import selectors, services
from credit.data import StatusOutcome
from credit.exceptions import CreditProviderNotFound, InvalidCreditCourse
from credit.models import CreditCourse
from credit.rest_api.v1.permissions import IsCreditReaderOrSelf, can_request_credit_for
from credit.rest_api.v1.serializers import (
    CreditCourseInput,
    CreditCourseOutput,
    CreditRequestDescriptionOutput,
    CreditRequestInput,
    CreditRequestOutput,
    EligibilityOutput,
    LearnerCourseQuery,
    ProviderCallbackInput,
    ProviderCallbackOutput,
    ProviderCreateInput,
    ProviderListQuery,
    ProviderOutput,
    ProviderUpdateInput,
    RequirementInput,
    RequirementOutput,
    RequirementsQuery,
    RequirementStatusOutput,
    RequirementStatusRemoveInput,
    RequirementStatusSetInput,
    RequirementStatusSetOutput,
    UsernameQuery,
)


class _WritesNeedCreditAdmin(APIView):
    """Reads need a login; writes need ``credit_admins`` (or staff)."""

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [IsAuthenticated()]
        return [IsCreditAdmin()]


def _configured_course(course_key: str) -> CreditCourse:
    course = selectors.credit_course_get(course_key=course_key)
    if course is None:
        raise InvalidCreditCourse(f"{course_key!r} is not configured for credit.")
    return course


# --- Providers ---------------------------------------------------------------------------------
class ProvidersView(_WritesNeedCreditAdmin):
    """GET: providers (learners see active ones; credit admins all). POST: create one (credit_admins)."""

    @extend_schema(
        parameters=[OpenApiParameter("provider_ids", str, description="Comma-separated provider ids.")],
        responses={200: ProviderOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = ProviderListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        providers = selectors.credit_providers(
            provider_ids=query.validated_data.get("provider_ids"),
            include_inactive=IsCreditAdmin().has_permission(request, self),
        )
        return Response(ProviderOutput(providers, many=True).data)

    @extend_schema(
        request=ProviderCreateInput,
        responses={201: ProviderOutput, 409: OpenApiResponse(description="A provider with this id exists.")},
    )
    def post(self, request: Request) -> Response:
        body = ProviderCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        provider = services.credit_provider_create(**body.validated_data)
        return Response(ProviderOutput(selectors.credit_provider_item(provider)).data, status=status.HTTP_201_CREATED)


class ProviderDetailView(_WritesNeedCreditAdmin):
    """GET: one provider (inactive ones only for credit admins). PATCH: change it (credit_admins)."""

    @extend_schema(responses={200: ProviderOutput})
    def get(self, request: Request, provider_id: str) -> Response:
        provider = selectors.credit_provider_get(
            provider_id=provider_id, include_inactive=IsCreditAdmin().has_permission(request, self)
        )
        if provider is None:
            raise CreditProviderNotFound()
        return Response(ProviderOutput(selectors.credit_provider_item(provider)).data)

    @extend_schema(request=ProviderUpdateInput, responses={200: ProviderOutput})
    def patch(self, request: Request, provider_id: str) -> Response:
        body = ProviderUpdateInput(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        provider = services.credit_provider_update(provider_id=provider_id, **body.validated_data)
        return Response(ProviderOutput(selectors.credit_provider_item(provider)).data)


# --- Courses and requirements ------------------------------------------------------------------
class CreditCourseView(_WritesNeedCreditAdmin):
    """PUT ``{"enabled"}``: mark a course run for credit (201 first time, 200 after). GET: its state."""

    @extend_schema(responses={200: CreditCourseOutput})
    def get(self, request: Request, course_key: str) -> Response:
        return Response(CreditCourseOutput(_configured_course(course_key)).data)

    @extend_schema(request=CreditCourseInput, responses={200: CreditCourseOutput, 201: CreditCourseOutput})
    def put(self, request: Request, course_key: str) -> Response:
        body = CreditCourseInput(data=request.data)
        body.is_valid(raise_exception=True)
        course, created = services.credit_course_set(course_key=course_key, enabled=body.validated_data["enabled"])
        return Response(
            CreditCourseOutput(course).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class RequirementsView(_WritesNeedCreditAdmin):
    """PUT a list: replace the requirements (missing ones become inactive). GET: the active ones in order."""

    @extend_schema(
        parameters=[OpenApiParameter("namespace", str)],
        responses={200: RequirementOutput(many=True)},
    )
    def get(self, request: Request, course_key: str) -> Response:
        query = RequirementsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        course = _configured_course(course_key)
        requirements = selectors.credit_requirements(
            course_key=course.course_key, namespace=query.validated_data.get("namespace")
        )
        return Response(RequirementOutput(requirements, many=True).data)

    @extend_schema(request=RequirementInput(many=True), responses={200: RequirementOutput(many=True)})
    def put(self, request: Request, course_key: str) -> Response:
        # The cap is checked before any item is validated.
        body = BoundedListSerializer(
            child=RequirementInput(),
            data=request.data,
            allow_empty=True,
            max_length=services.MAX_REQUIREMENTS_PER_COURSE,
        )
        body.is_valid(raise_exception=True)
        services.credit_requirements_set(course_key=course_key, requirements=body.validated_data)
        return Response(RequirementOutput(selectors.credit_requirements(course_key=course_key), many=True).data)


class RequirementStatusView(_WritesNeedCreditAdmin):
    """PUT/DELETE: set or remove a learner's status (credit_admins). GET ``?username=``: the status per requirement.

    GET is further limited to the learner, readers and credit admins.
    """

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [IsCreditReaderOrSelf()]
        return super().get_permissions()

    @extend_schema(
        parameters=[OpenApiParameter("username", str, required=True)],
        responses={200: RequirementStatusOutput(many=True)},
    )
    def get(self, request: Request, course_key: str) -> Response:
        query = UsernameQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        username = query.validated_data["username"]
        self.check_object_permissions(request, LearnerIdentity(username=username))
        course = _configured_course(course_key)
        items = selectors.credit_requirement_statuses(course_key=course.course_key, username=username)
        return Response(RequirementStatusOutput(items, many=True).data)

    @extend_schema(request=RequirementStatusSetInput, responses={200: RequirementStatusSetOutput})
    def put(self, request: Request, course_key: str) -> Response:
        body = RequirementStatusSetInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        outcome, row = services.requirement_status_set(
            learner=data["username"],
            course_key=course_key,
            namespace=data["namespace"],
            name=data["name"],
            status=data["status"],
            reason=data["reason"],
        )
        answer: dict[str, Any] = {
            "username": data["username"],
            "namespace": data["namespace"],
            "name": data["name"],
            "status": row.status if row else None,
            "reason": row.reason if row else None,
            "status_date": row.modified if row else None,
            "applied": outcome in (StatusOutcome.RECORDED, StatusOutcome.UNCHANGED),
            "outcome": outcome.value,
        }
        return Response(RequirementStatusSetOutput(answer).data)

    @extend_schema(request=RequirementStatusRemoveInput, responses={204: None})
    def delete(self, request: Request, course_key: str) -> Response:
        body = RequirementStatusRemoveInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.requirement_status_remove(course_key=course_key, **body.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Eligibility and requests -------------------------------------------------------------------
class EligibilityView(APIView):
    """GET ``?username=[&course_key=]``: the learner's current eligibilities."""

    permission_classes = [IsCreditReaderOrSelf]

    @extend_schema(
        parameters=[OpenApiParameter("username", str, required=True), OpenApiParameter("course_key", str)],
        responses={200: EligibilityOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = LearnerCourseQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        username = query.validated_data["username"]
        self.check_object_permissions(request, LearnerIdentity(username=username))
        eligibilities = selectors.credit_eligibilities(
            username=username, course_key=query.validated_data.get("course_key")
        )
        return Response(EligibilityOutput([{**item, "username": username} for item in eligibilities], many=True).data)


class CreditRequestCreateView(APIView):
    """POST ``{"username", "course_key"}``: start or resume the learner's credit request with this provider."""

    @extend_schema(
        request=CreditRequestInput,
        responses={
            200: CreditRequestDescriptionOutput,
            503: OpenApiResponse(description="The learner's LMS account (country, mailing address) could not be read."),
        },
        description=(
            "400 ``invalid-credit-request`` as the LMS answers it, with ``reason`` ``user_not_eligible`` (also when "
            "the satisfied grade requirement has no final grade), ``credit_provider_not_configured`` (integration "
            "on, no usable secret) or ``request_already_completed`` (approved or rejected already). An unknown "
            "provider is 404 before the body is read."
        ),
    )
    def post(self, request: Request, provider_id: str) -> Response:
        # As the LMS: the provider first, whatever the body.
        if selectors.credit_provider_get(provider_id=provider_id, include_inactive=False) is None:
            raise CreditProviderNotFound(f"No active credit provider has the id {provider_id!r}.")
        body = CreditRequestInput(data=request.data)
        body.is_valid(raise_exception=True)
        if not can_request_credit_for(request.user, username=body.validated_data["username"]):
            raise PermissionDenied("You may request credit only for yourself.")
        description = services.credit_request_create(provider_id=provider_id, **body.validated_data)
        return Response(CreditRequestDescriptionOutput(description).data)


class ProviderCallbackView(APIView):
    """POST ``{request_uuid, status, timestamp, signature}`` from the provider: approve or reject a request.

    No login: the HMAC signature under the provider's shared secret authenticates the message.
    Throttled with the ``credit_callback`` rate.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # JSON only (the project's one parser), as Open edX's callback: a form body would turn every value
    # into a list and change what is signed. Anything else is the JSON 415 error.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "credit_callback"

    @extend_schema(
        request=ProviderCallbackInput,
        responses={200: ProviderCallbackOutput},
        auth=[],
        description=(
            "Also served without the trailing slash (``.../callback``), as the LMS serves it. An unknown provider "
            "is 404 before the body is read; a missing secret or a bad signature 403."
        ),
    )
    def post(self, request: Request, provider_id: str) -> Response:
        # As the LMS: the provider first, whatever the body.
        if selectors.credit_provider_get(provider_id=provider_id, include_inactive=True) is None:
            raise CreditProviderNotFound(f"No credit provider has the id {provider_id!r}.")
        body = ProviderCallbackInput(data=request.data)
        body.is_valid(raise_exception=True)
        # The signature covers every key of the posted JSON object, so the service gets that object
        # itself (the serializer refused anything but an object), not the serializer's subset of it.
        parameters = cast(dict[str, Any], request.data)
        credit_request = services.credit_provider_callback(provider_id=provider_id, parameters=parameters)
        return Response(ProviderCallbackOutput(credit_request).data)


class CreditRequestsView(APIView):
    """GET ``?username=[&course_key=]``: the learner's credit requests with their status, newest first."""

    permission_classes = [IsCreditReaderOrSelf]

    @extend_schema(
        parameters=[OpenApiParameter("username", str, required=True), OpenApiParameter("course_key", str)],
        responses={200: CreditRequestOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = LearnerCourseQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        username = query.validated_data["username"]
        self.check_object_permissions(request, LearnerIdentity(username=username))
        requests = selectors.credit_requests_for_learner(
            username=username, course_key=query.validated_data.get("course_key")
        )
        return Response(CreditRequestOutput(requests, many=True).data)
