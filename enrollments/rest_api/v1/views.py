"""Enrollment ingest (the LMS records a learner's enrollment) and bulk enrollment (admins enroll many).

Bulk enrollment also answers at edx-enterprise's path, so license-manager works unchanged (ADR 0010).
"""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsCredentialIssuer, IsEnrollmentAdmin
from core.schema import LEARNER_IDENTITY_CONFLICT
from enrollments.data import BulkEnrollmentResult, FailureCode
from enrollments.rest_api.v1.serializers import (
    BulkEnrollmentInput,
    BulkEnrollmentOutput,
    EnrollmentOutput,
    EnrollmentRecordInput,
)
from enrollments.services import bulk_enroll, enrollment_ingest


class EnrollmentIngestView(APIView):
    permission_classes = [IsCredentialIssuer]

    @extend_schema(
        request=EnrollmentRecordInput,
        responses={200: EnrollmentOutput, 201: EnrollmentOutput, 409: LEARNER_IDENTITY_CONFLICT},
    )
    def post(self, request: Request) -> Response:
        body = EnrollmentRecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        enrollment, created = enrollment_ingest(**body.validated_data)
        return Response(
            EnrollmentOutput(enrollment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def _bulk_status(result: BulkEnrollmentResult) -> int:
    if result.failures:
        return status.HTTP_409_CONFLICT
    if result.pending:
        return status.HTTP_202_ACCEPTED
    return status.HTTP_201_CREATED


def _bulk_answer(
    result: BulkEnrollmentResult, activation_links: list[str | None], *, edx_enterprise_lists_only: bool
) -> dict[str, Any]:
    """The answer body: the project's lists plus edx-enterprise's ``invalid_*`` lists and activation links.

    As edx-enterprise: ``invalid_email_addresses`` and ``invalid_user_ids`` only when not empty, and an
    item's ``activation_link`` when its pair came with one.

    ``activation_links`` holds the link sent with each request item, in request order. With
    ``edx_enterprise_lists_only`` (edx-enterprise's path) a pair listed under ``invalid_email_addresses``
    or ``invalid_user_ids`` is not repeated under ``failures``, as edx-enterprise answers.
    """
    link_of: dict[int, str] = {}
    for outcome, link in zip(result.item_outcomes, activation_links, strict=False):
        if link and id(outcome) not in link_of:
            link_of[id(outcome)] = link
    invalid_emails = [f.email for f in result.failures if f.code == FailureCode.INVALID_EMAIL and f.email]
    invalid_ids = [f.user_id for f in result.failures if f.code == FailureCode.UNKNOWN_USER_ID and f.user_id]
    data = dict(BulkEnrollmentOutput(result).data)
    for name, outcomes in (("successes", result.successes), ("pending", result.pending)):
        for item, listed_outcome in zip(data[name], outcomes, strict=True):
            if id(listed_outcome) in link_of:
                item["activation_link"] = link_of[id(listed_outcome)]
    if edx_enterprise_lists_only:
        listed = {FailureCode.INVALID_EMAIL.value, FailureCode.UNKNOWN_USER_ID.value}
        data["failures"] = [item for item in data["failures"] if item["code"] not in listed]
    if invalid_emails:
        data["invalid_email_addresses"] = list(dict.fromkeys(invalid_emails))
    if invalid_ids:
        data["invalid_user_ids"] = list(dict.fromkeys(invalid_ids))
    return data


class BulkEnrollView(APIView):
    """Enroll many (learner, course run) pairs at once; best effort (docs/decisions/0007).

    Also served at edx-enterprise's ``enroll_learners_in_courses`` path (``EnterpriseBulkEnrollView``).
    """

    permission_classes = [IsEnrollmentAdmin]

    @extend_schema(
        request=BulkEnrollmentInput,
        responses={
            201: OpenApiResponse(BulkEnrollmentOutput, description="Every pair enrolled."),
            202: OpenApiResponse(BulkEnrollmentOutput, description="Some pairs pending, none failed."),
            409: OpenApiResponse(
                BulkEnrollmentOutput, description="Some pairs failed; the successes and pending are committed."
            ),
            503: OpenApiResponse(description="The enrollment backend is not configured."),
        },
    )
    def post(self, request: Request, enterprise_customer_uuid: UUID | None = None) -> Response:
        body = BulkEnrollmentInput(data=request.data)
        body.is_valid(raise_exception=True)
        items = body.to_items(enterprise_customer_uuid=enterprise_customer_uuid)
        result = bulk_enroll(items=items, notify=body.validated_data["notify"])
        code = _bulk_status(result)
        links = [item.get("activation_link") for item in body.validated_data["enrollments_info"]]
        data = _bulk_answer(result, links, edx_enterprise_lists_only=enterprise_customer_uuid is not None)
        if code == status.HTTP_409_CONFLICT:
            # The error envelope's code and message, alongside the per-pair lists callers read.
            data["code"] = "bulk_enrollment_failures"
            data["detail"] = (
                f"{len(result.failures)} pair(s) failed; {len(result.successes)} enrolled and "
                f"{len(result.pending)} pending were committed."
            )
        return Response(data, status=code)


class EnterpriseBulkEnrollView(BulkEnrollView):
    """edx-enterprise's ``POST /enterprise/api/v1/enterprise-customer/{uuid}/enroll_learners_in_courses/``.

    The same handler as ``bulk_enroll/``, so license-manager works when its enterprise API URL points
    here; the customer uuid is recorded with each enrollment and pending enrollment.
    """

    @extend_schema(
        operation_id="enterprise_customer_enroll_learners_in_courses",
        tags=["enrollments"],
        request=BulkEnrollmentInput,
        responses={
            201: OpenApiResponse(BulkEnrollmentOutput, description="Every pair enrolled."),
            202: OpenApiResponse(BulkEnrollmentOutput, description="Some pairs pending, none failed."),
            409: OpenApiResponse(
                BulkEnrollmentOutput,
                description="Some pairs failed (or were listed as invalid); the successes and pending are committed.",
            ),
            503: OpenApiResponse(description="The enrollment backend is not configured."),
        },
    )
    def post(self, request: Request, enterprise_customer_uuid: UUID | None = None) -> Response:
        return super().post(request, enterprise_customer_uuid=enterprise_customer_uuid)
