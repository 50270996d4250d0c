"""Enrollment ingest: the LMS (or an operator) records a learner's enrollment in a run."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import User
from core.permissions import IsCredentialIssuer
from core.services import learner_get_or_create
from enrollments.rest_api.v1.serializers import EnrollmentOutput, EnrollmentRecordInput
from enrollments.services import enrollment_upsert
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

    @extend_schema(request=EnrollmentRecordInput, responses={200: EnrollmentOutput, 201: EnrollmentOutput})
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
