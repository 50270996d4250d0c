"""Enrollment ingest (the LMS records a learner's enrollment) and bulk enrollment (admins enroll many)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import User
from core.permissions import IsCredentialIssuer, IsEnrollmentAdmin
from core.schema import LEARNER_IDENTITY_CONFLICT
from core.services import learner_get_or_create
from enrollments.data import BulkEnrollmentResult
from enrollments.rest_api.v1.serializers import (
    BulkEnrollmentInput,
    BulkEnrollmentOutput,
    EnrollmentOutput,
    EnrollmentRecordInput,
)
from enrollments.services import bulk_enroll, enrollment_upsert
from programs.services import course_run_ensure


def _learner(data: dict) -> User:
    if data.get("username"):
        return learner_get_or_create(
            username=data["username"], lms_user_id=data.get("lms_user_id"), email=data.get("email")
        )
    users = User.objects.all()
    learner = (
        users.filter(lms_user_id=data["lms_user_id"]).first()
        if data.get("lms_user_id")
        else users.filter(email__iexact=data["email"]).first()
    )
    if learner is None:
        raise ValidationError({"non_field_errors": ["No learner with that lms_user_id or email; send the username."]})
    return learner


class EnrollmentIngestView(APIView):
    permission_classes = [IsCredentialIssuer]

    @extend_schema(
        request=EnrollmentRecordInput,
        responses={200: EnrollmentOutput, 201: EnrollmentOutput, 409: LEARNER_IDENTITY_CONFLICT},
    )
    def post(self, request: Request) -> Response:
        body = EnrollmentRecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        learner = _learner(data)
        run = course_run_ensure(key=data["course_run_key"])
        enrollment, created = enrollment_upsert(
            learner=learner, course_run=run, mode=data["mode"], is_active=data["is_active"]
        )
        return Response(
            EnrollmentOutput(enrollment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def _bulk_status(result: BulkEnrollmentResult) -> int:
    if result.failures:
        return status.HTTP_409_CONFLICT
    if result.pending:
        return status.HTTP_202_ACCEPTED
    return status.HTTP_201_CREATED


class BulkEnrollView(APIView):
    """Enroll many (learner, course run) pairs at once; best effort (docs/decisions/0007)."""

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
    def post(self, request: Request) -> Response:
        body = BulkEnrollmentInput(data=request.data)
        body.is_valid(raise_exception=True)
        result = bulk_enroll(items=body.to_items(), notify=body.validated_data["notify"])
        code = _bulk_status(result)
        data = dict(BulkEnrollmentOutput(result).data)
        if code == status.HTTP_409_CONFLICT:
            # The error envelope's code and message, alongside the per-pair lists callers read.
            data["code"] = "bulk_enrollment_failures"
            data["detail"] = (
                f"{len(result.failures)} pair(s) failed; {len(result.successes)} enrolled and "
                f"{len(result.pending)} pending were committed."
            )
        return Response(data, status=code)
