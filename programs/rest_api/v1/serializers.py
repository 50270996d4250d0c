"""Input and output serializers of the programs API (outputs are plain Serializers: their shape is a contract)."""

from typing import Any

from rest_framework import serializers

from core.fields import BoundedListField, StrictBooleanField, StrictCharField, StrictUUIDField
from programs.models import ProgramStatus

MAX_PROGRAM_COURSES = 200
MAX_EXCLUSIONS = 1000


class CourseRunPutInput(serializers.Serializer):
    """Every field optional: one left out is kept; ``start``/``end`` null clears it. The order of the
    dates is checked by the service, against the stored ones too."""

    title = StrictCharField(required=False, allow_blank=True, max_length=255)
    start = serializers.DateTimeField(required=False, allow_null=True)
    end = serializers.DateTimeField(required=False, allow_null=True)


class CourseRunOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    key = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    course_key = serializers.CharField(source="course.key")
    course_uuid = serializers.UUIDField(source="course.uuid")
    organization_key = serializers.CharField(source="course.organization.key")
    removed = serializers.BooleanField(source="is_removed")


# --- Catalog lists -------------------------------------------------------------------------------
class OrganizationOutput(serializers.Serializer):
    uuid = serializers.UUIDField(allow_null=True)
    key = serializers.CharField()
    name = serializers.CharField()


class CourseOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    key = serializers.CharField()
    title = serializers.CharField()
    organization_key = serializers.CharField(source="organization.key")
    uuid_from_discovery = serializers.BooleanField()


class CourseRunListOutput(CourseRunOutput):
    status = serializers.CharField()
    type = serializers.CharField()
    restriction_type = serializers.CharField()
    hidden = serializers.BooleanField()
    uuid_from_discovery = serializers.BooleanField()


class CourseFilterInput(serializers.Serializer):
    organization = serializers.CharField(required=False, max_length=255)


class CourseRunFilterInput(serializers.Serializer):
    course = serializers.CharField(required=False, max_length=255)
    organization = serializers.CharField(required=False, max_length=255)


# --- Programs ------------------------------------------------------------------------------------
class ProgramFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProgramStatus.choices, required=False)
    type = serializers.CharField(required=False, max_length=64)
    organization = serializers.CharField(required=False, max_length=255)
    course_run_key = serializers.CharField(required=False, max_length=255)


class ProgramWriteInput(serializers.Serializer):
    """Body of POST (title required) and PATCH (everything optional) for programs defined here."""

    uuid = StrictUUIDField(required=False)
    title = StrictCharField(max_length=255)
    type = StrictCharField(required=False, allow_blank=True, max_length=64)
    type_slug = serializers.SlugField(required=False, allow_blank=True, max_length=64)
    status = serializers.ChoiceField(choices=ProgramStatus.choices, required=False)
    applicable_seat_types = BoundedListField(child=StrictCharField(max_length=64), required=False, max_length=20)
    authoring_organizations = BoundedListField(
        child=StrictCharField(max_length=255),
        required=False,
        max_length=100,
        help_text="Organization keys.",
        source="organization_keys",
    )
    courses = BoundedListField(
        child=StrictCharField(max_length=255),
        required=False,
        source="course_keys",
        max_length=MAX_PROGRAM_COURSES,
        help_text="Course keys, in program order.",
    )
    excluded_course_run_keys = BoundedListField(
        child=StrictCharField(max_length=255),
        required=False,
        max_length=MAX_EXCLUSIONS,
        help_text="Runs of the program's courses that do not count toward it.",
    )


class ProgramPatchInput(ProgramWriteInput):
    uuid = None  # type: ignore[assignment]
    title = StrictCharField(max_length=255, required=False)


class ExclusionsPutInput(serializers.Serializer):
    course_run_keys = BoundedListField(
        child=StrictCharField(max_length=255), allow_empty=True, max_length=MAX_EXCLUSIONS
    )


class ProgramSummaryOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.CharField()  # type: ignore[assignment]
    type_slug = serializers.CharField()
    status = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    data_modified_timestamp = serializers.DateTimeField(allow_null=True)
    authoring_organizations = OrganizationOutput(many=True)


class ProgramCourseRunOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    key = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    type = serializers.CharField()
    removed = serializers.BooleanField(source="is_removed")
    excluded = serializers.SerializerMethodField()

    def get_excluded(self, run: Any) -> bool:
        return run.pk in self.context["excluded_ids"]


class ProgramCourseOutput(serializers.Serializer):
    uuid = serializers.UUIDField(source="course.uuid")
    key = serializers.CharField(source="course.key")
    title = serializers.CharField(source="course.title")
    position = serializers.IntegerField()
    course_runs = ProgramCourseRunOutput(source="course.course_runs.all", many=True)


class ProgramDetailOutput(ProgramSummaryOutput):
    applicable_seat_types = serializers.ListField(child=serializers.CharField())
    missing_upstream_since = serializers.DateTimeField(allow_null=True)
    courses = ProgramCourseOutput(source="program_courses.all", many=True)
    excluded_course_run_keys = serializers.SerializerMethodField()

    def get_excluded_course_run_keys(self, program: Any) -> list[str]:
        return [run.key for run in program.excluded_course_runs.all()]


def program_detail_data(program: Any) -> dict[str, Any]:
    """The detail answer of a program fetched with ``programs.selectors.program_get``."""
    excluded_ids = {run.pk for run in program.excluded_course_runs.all()}
    return ProgramDetailOutput(program, context={"excluded_ids": excluded_ids}).data


# --- Syncs ---------------------------------------------------------------------------------------
class SyncCreateInput(serializers.Serializer):
    dry_run = StrictBooleanField(required=False, default=False)
    program_uuids = BoundedListField(child=StrictUUIDField(), required=False, max_length=100)


class SyncRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    dry_run = serializers.BooleanField()
    program_uuids = serializers.ListField(child=serializers.CharField())
    trigger = serializers.CharField()
    requested_by = serializers.CharField()
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()
    created = serializers.IntegerField(source="counts.created", allow_null=True, default=None)
    updated = serializers.IntegerField(source="counts.updated", allow_null=True, default=None)
    unchanged = serializers.IntegerField(source="counts.unchanged", allow_null=True, default=None)
    retired = serializers.IntegerField(source="counts.retired", allow_null=True, default=None)
    errors = serializers.IntegerField(source="counts.errors", allow_null=True, default=None)  # type: ignore[assignment]
    counts = serializers.DictField()
    error = serializers.CharField()
    changes = serializers.ListField(child=serializers.CharField())


def paginated(output: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page envelope of ``core.pagination.DefaultPagination`` around ``output`` (for the OpenAPI schema)."""
    return type(
        f"Paginated{output.__name__}",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": output(many=True),
        },
    )
