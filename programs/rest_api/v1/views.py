"""The programs API: catalog ingest from the LMS, catalog lists, programs and exclusions, Discovery syncs.

Views stay thin: an input serializer validates, a service or selector does the work, an output
serializer renders. Reads need any authenticated user; writes need catalog_publishers (see
``permissions``).
"""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import DefaultPagination
from core.permissions import IsCatalogPublisher
from programs.models import CourseRun, Program, SyncRun
from programs.rest_api.v1.permissions import ReadCatalogOrPublish
from programs.rest_api.v1.serializers import (
    CourseFilterInput,
    CourseOutput,
    CourseRunFilterInput,
    CourseRunListOutput,
    CourseRunOutput,
    CourseRunPutInput,
    ExclusionsPutInput,
    OrganizationOutput,
    ProgramDetailOutput,
    ProgramFilterInput,
    ProgramPatchInput,
    ProgramSummaryOutput,
    ProgramWriteInput,
    SyncCreateInput,
    SyncRunOutput,
    paginated,
    program_detail_data,
)
from programs.selectors import (
    course_list,
    course_run_list,
    organization_list,
    program_get,
    program_list,
    sync_run_get,
    sync_run_list,
)
from programs.services import (
    course_run_remove,
    course_run_upsert,
    program_create,
    program_delete,
    program_exclusions_set,
    program_update,
    sync_run_request,
)

CONFLICT_SYNCED = OpenApiResponse(description="The program is synced from Discovery, its source of truth.")
CONFLICT_UUID = OpenApiResponse(description="A program with this uuid exists.")
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number (from 1)."),
    OpenApiParameter("page_size", int, description="Items per page (default 100, at most 1000)."),
]


def _page(request: Request, view: APIView, queryset: QuerySet, output: type[serializers.Serializer]) -> Response:
    paginator = DefaultPagination()
    items = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(output(items, many=True).data)


def _filters(request: Request, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    query = serializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _program_or_404(uuid: UUID) -> Program:
    program = program_get(uuid=uuid)
    if program is None:
        raise NotFound(f"No program {uuid}.")
    return program


class CourseRunIngestView(APIView):
    """PUT: idempotent upsert of a run pushed by the LMS. DELETE: the run stops counting; records stay."""

    permission_classes = [IsCatalogPublisher]

    @extend_schema(request=CourseRunPutInput, responses={200: CourseRunOutput, 201: CourseRunOutput})
    def put(self, request: Request, course_run_key: str) -> Response:
        body = CourseRunPutInput(data=request.data)  # as sent: [] or null is a 400
        body.is_valid(raise_exception=True)
        run, created = course_run_upsert(key=course_run_key, **body.validated_data)
        run = CourseRun.objects.select_related("course__organization").get(pk=run.pk)
        return Response(CourseRunOutput(run).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, course_run_key: str) -> Response:
        course_run_remove(key=course_run_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganizationListView(APIView):
    """Organizations, by key (paginated)."""

    @extend_schema(
        operation_id="programs_v1_organizations_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(OrganizationOutput)},
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, organization_list(), OrganizationOutput)


class CourseListView(APIView):
    """Courses, by key (paginated); ``?organization=KEY`` filters."""

    @extend_schema(
        operation_id="programs_v1_courses_list",
        parameters=[CourseFilterInput, *PAGE_PARAMETERS],
        responses={200: paginated(CourseOutput)},
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, course_list(**_filters(request, CourseFilterInput)), CourseOutput)


class CourseRunListView(APIView):
    """Course runs, by key (paginated); ``?course=KEY`` and ``?organization=KEY`` filter."""

    @extend_schema(
        operation_id="programs_v1_course_runs_list",
        parameters=[CourseRunFilterInput, *PAGE_PARAMETERS],
        responses={200: paginated(CourseRunListOutput)},
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, course_run_list(**_filters(request, CourseRunFilterInput)), CourseRunListOutput)


class ProgramListView(APIView):
    """GET: programs (paginated, filtered). POST: define a program in this service (catalog publishers)."""

    permission_classes = [ReadCatalogOrPublish]

    @extend_schema(
        operation_id="programs_v1_programs_list",
        parameters=[ProgramFilterInput, *PAGE_PARAMETERS],
        responses={200: paginated(ProgramSummaryOutput)},
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, program_list(**_filters(request, ProgramFilterInput)), ProgramSummaryOutput)

    @extend_schema(request=ProgramWriteInput, responses={201: ProgramDetailOutput, 409: CONFLICT_UUID})
    def post(self, request: Request) -> Response:
        body = ProgramWriteInput(data=request.data)
        body.is_valid(raise_exception=True)
        program = program_create(**body.validated_data)
        return Response(program_detail_data(_program_or_404(program.uuid)), status=status.HTTP_201_CREATED)


class ProgramDetailView(APIView):
    """GET: a program with its ordered courses, all their runs and an ``excluded`` flag per run.
    PATCH / DELETE: programs defined here only; a Discovery program answers 409."""

    permission_classes = [ReadCatalogOrPublish]

    @extend_schema(responses={200: ProgramDetailOutput})
    def get(self, request: Request, uuid: UUID) -> Response:
        return Response(program_detail_data(_program_or_404(uuid)))

    @extend_schema(request=ProgramPatchInput, responses={200: ProgramDetailOutput, 409: CONFLICT_SYNCED})
    def patch(self, request: Request, uuid: UUID) -> Response:
        program = _program_or_404(uuid)
        body = ProgramPatchInput(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        program_update(program=program, **body.validated_data)
        return Response(program_detail_data(_program_or_404(uuid)))

    @extend_schema(request=None, responses={204: None, 409: CONFLICT_SYNCED})
    def delete(self, request: Request, uuid: UUID) -> Response:
        program_delete(program=_program_or_404(uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProgramExclusionsView(APIView):
    """PUT ``{"course_run_keys": [...]}``: replace a local program's excluded runs (each a run of its courses)."""

    permission_classes = [IsCatalogPublisher]

    @extend_schema(request=ExclusionsPutInput, responses={200: ProgramDetailOutput, 409: CONFLICT_SYNCED})
    def put(self, request: Request, uuid: UUID) -> Response:
        program = _program_or_404(uuid)
        body = ExclusionsPutInput(data=request.data)
        body.is_valid(raise_exception=True)
        program_exclusions_set(program=program, course_run_keys=body.validated_data["course_run_keys"])
        return Response(program_detail_data(_program_or_404(uuid)))


class SyncListView(APIView):
    """POST: queue a Discovery sync (202 ``{"id", "status", ...}``; 503 ``sync-not-configured`` when
    DISCOVERY_API_URL is unset, 503 ``sync-queue-unavailable`` when the task broker is down, the
    SyncRun then recorded as failed). GET: recent syncs (paginated)."""

    permission_classes = [IsCatalogPublisher]

    @extend_schema(
        request=SyncCreateInput,
        responses={
            202: SyncRunOutput,
            503: OpenApiResponse(description="Discovery is not configured, or the task queue cannot be reached."),
        },
    )
    def post(self, request: Request) -> Response:
        body = SyncCreateInput(data=request.data)  # as sent: [] or null is a 400, not an empty object
        body.is_valid(raise_exception=True)
        sync_run = sync_run_request(
            requested_by=request.user.get_username(),
            dry_run=body.validated_data["dry_run"],
            program_uuids=[str(u) for u in body.validated_data.get("program_uuids", [])],
        )
        sync_run.refresh_from_db()  # without a broker the sync already ran in this process
        return Response(SyncRunOutput(sync_run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="programs_v1_syncs_list", parameters=PAGE_PARAMETERS, responses={200: paginated(SyncRunOutput)}
    )
    def get(self, request: Request) -> Response:
        return _page(request, self, sync_run_list(), SyncRunOutput)


class SyncDetailView(APIView):
    """A sync's status and counts (created/updated/unchanged/retired/errors)."""

    permission_classes = [IsCatalogPublisher]

    @extend_schema(parameters=[OpenApiParameter("sync_id", int, OpenApiParameter.PATH)], responses={200: SyncRunOutput})
    def get(self, request: Request, sync_id: int) -> Response:
        sync_run: SyncRun | None = sync_run_get(sync_run_id=sync_id)
        if sync_run is None:
            raise NotFound(f"No sync {sync_id}.")
        return Response(SyncRunOutput(sync_run).data)
