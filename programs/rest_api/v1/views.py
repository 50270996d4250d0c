"""Catalog ingest from the LMS (seed 001)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsCatalogPublisher
from programs.models import CourseRun
from programs.rest_api.v1.serializers import CourseRunOutput, CourseRunPutInput
from programs.services import course_run_remove, course_run_upsert


class CourseRunIngestView(APIView):
    """PUT: idempotent upsert of a run pushed by the LMS. DELETE: the run stops counting; records stay."""

    permission_classes = [IsCatalogPublisher]

    @extend_schema(request=CourseRunPutInput, responses={200: CourseRunOutput, 201: CourseRunOutput})
    def put(self, request: Request, course_run_key: str) -> Response:
        body = CourseRunPutInput(data=request.data if request.data else {})
        body.is_valid(raise_exception=True)
        run, created = course_run_upsert(key=course_run_key, **body.validated_data)
        run = CourseRun.objects.select_related("course__organization").get(pk=run.pk)
        return Response(CourseRunOutput(run).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, course_run_key: str) -> Response:
        course_run_remove(key=course_run_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
