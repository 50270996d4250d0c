"""The learner status API (wire-compatible with Open edX Credentials) and learner record ingest."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from edx_django_utils.monitoring import set_custom_attribute
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsCredentialIssuer, IsReaderOrSelf, LearnerIdentity
from core.rendering import render, render_many
from core.schema import LEARNER_IDENTITY_CONFLICT
from core.selectors import learner_find
from credentials_status.cert_status import learner_cert_status, learner_cert_statuses
from credentials_status.data import GradeReport
from credentials_status.rest_api.v1.serializers import (
    CourseRunCredentialInput,
    CourseRunCredentialOutput,
    GradeRecordInput,
    GradeRecordOutput,
    LearnerCertStatusInput,
    LearnerCertStatusOutput,
    LearnerProgramStatusInput,
    LearnerProgramStatusOutput,
    LearnerProgramSummaryOutput,
    OwnProgramStatusOutput,
    bulk_learner_cert_status_input,
    query_from_validated,
)
from credentials_status.selectors import learner_program_status, learner_programs
from credentials_status.services import course_run_credential_ingest, grade_upsert


def _learner_asked(item: dict[str, Any]) -> LearnerIdentity:
    return LearnerIdentity(username=item.get("username"), lms_user_id=item.get("lms_user_id"))


def _courses_asked(item: dict[str, Any]) -> int:
    """Courses plus course runs one learner_cert_status query names (a monitoring attribute)."""
    return len(item.get("courses") or []) + len(item.get("course_runs") or [])


class LearnerCertStatusView(APIView):
    """A learner's awarded, visible course-run certificates in the given courses and runs."""

    permission_classes = [IsReaderOrSelf]

    @extend_schema(request=LearnerCertStatusInput, responses={200: LearnerCertStatusOutput})
    def post(self, request: Request) -> Response:
        body = LearnerCertStatusInput(data=request.data)
        body.is_valid(raise_exception=True)
        self.check_object_permissions(request, _learner_asked(body.validated_data))
        set_custom_attribute("credentials_status.courses_asked", _courses_asked(body.validated_data))
        return Response(render(LearnerCertStatusOutput, learner_cert_status(query_from_validated(body.validated_data))))


class BulkLearnerCertStatusView(APIView):
    """Up to 1,000 learner_cert_status requests in one call; answers in request order.

    The requests together name at most 10,000 entries of ``courses`` and ``course_runs``; a body over
    either cap is a 400 before any request in it is validated.
    """

    permission_classes = [IsReaderOrSelf]

    @extend_schema(request=LearnerCertStatusInput(many=True), responses={200: LearnerCertStatusOutput(many=True)})
    def post(self, request: Request) -> Response:
        body = bulk_learner_cert_status_input(request.data)
        body.is_valid(raise_exception=True)
        for item in body.validated_data:
            self.check_object_permissions(request, _learner_asked(item))
        set_custom_attribute("credentials_status.bulk_size", len(body.validated_data))
        set_custom_attribute(
            "credentials_status.courses_asked", sum(_courses_asked(item) for item in body.validated_data)
        )
        answers = learner_cert_statuses([query_from_validated(item) for item in body.validated_data])
        return Response(render_many(LearnerCertStatusOutput, answers))


class CourseRunCredentialIngestView(APIView):
    """Record a learner's certificate in a run (201 created, 200 updated)."""

    permission_classes = [IsCredentialIssuer]

    @extend_schema(
        request=CourseRunCredentialInput,
        responses={200: CourseRunCredentialOutput, 201: CourseRunCredentialOutput, 409: LEARNER_IDENTITY_CONFLICT},
    )
    def post(self, request: Request) -> Response:
        body = CourseRunCredentialInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        grade = data.pop("grade", None)
        credential, created = course_run_credential_ingest(**data, grade=GradeReport(**grade) if grade else None)
        return Response(
            CourseRunCredentialOutput(credential).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class GradeIngestView(APIView):
    """Record a learner's grade in a run (201 created, 200 updated)."""

    permission_classes = [IsCredentialIssuer]

    @extend_schema(
        request=GradeRecordInput,
        responses={200: GradeRecordOutput, 201: GradeRecordOutput, 409: LEARNER_IDENTITY_CONFLICT},
    )
    def post(self, request: Request) -> Response:
        body = GradeRecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        grade, created = grade_upsert(**body.validated_data)
        return Response(
            GradeRecordOutput(grade).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class LearnerProgramStatusView(APIView):
    """A learner's status in every course and run of one program, with excluded runs flagged."""

    permission_classes = [IsReaderOrSelf]

    @extend_schema(
        request=LearnerProgramStatusInput,
        responses={200: LearnerProgramStatusOutput, 404: OpenApiResponse(description="Unknown program.")},
    )
    def post(self, request: Request) -> Response:
        body = LearnerProgramStatusInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.check_object_permissions(request, _learner_asked(data))
        answer = learner_program_status(
            program_uuid=data["program_uuid"], username=data.get("username"), lms_user_id=data.get("lms_user_id")
        )
        set_custom_attribute("credentials_status.program_courses", answer.total_courses)
        return Response(render(LearnerProgramStatusOutput, answer))


class LearnerProgramsView(APIView):
    """Every program the learner touches (enrolled in or holding a credential of one of its runs)."""

    permission_classes = [IsReaderOrSelf]

    @extend_schema(request=None, responses={200: LearnerProgramSummaryOutput(many=True)})
    def get(self, request: Request, username: str) -> Response:
        self.check_object_permissions(request, LearnerIdentity(username=username))
        answers = learner_programs(learner_find(username=username), username=username)
        return Response(render_many(LearnerProgramSummaryOutput, answers))


class OwnProgramsView(APIView):
    """The signed-in learner's programs (those they touch), each with the structured reasons, every
    course's next step and the program's next step, in the request's language (``Accept-Language`` or
    the LMS language cookie). For MFEs and the LMS dashboard; the learner page shows the same."""

    @extend_schema(request=None, responses={200: OwnProgramStatusOutput(many=True)})
    def get(self, request: Request) -> Response:
        user = request.user
        answers = learner_programs(user, username=user.get_username())  # type: ignore[arg-type]
        return Response(render_many(OwnProgramStatusOutput, answers))
