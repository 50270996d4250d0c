"""Input and output serializers of the credentials_status API (shapes fixed by the API contract)."""

from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.course_keys import is_course_run_key
from core.fields import (
    BoundedListField,
    BoundedListSerializer,
    CourseRunKeyField,
    RemembersAcceptedStrings,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from core.rendering import remembered_by_value, remembered_per_language, written_with_part
from credentials_status.data import NextStepCode, RunTiming, StatusQuery
from credentials_status.models import CertificateType, CredentialStatus

MAX_ITEMS_PER_LIST = 1000
#: The most ``courses`` and ``course_runs`` entries one bulk status request may name, all items together.
MAX_KEYS_PER_BULK_REQUEST = 10_000


class LearnerIdentityInput(serializers.Serializer):
    """Exactly one of ``lms_user_id`` and ``username``; an explicit ``null`` counts as not given.

    Credentials' own clients send the unused identifier as ``null`` (ADR 0010).
    """

    lms_user_id = StrictIntegerField(required=False, min_value=1, allow_null=True)
    username = StrictCharField(required=False, max_length=150, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = {name: value for name, value in attrs.items() if value is not None}
        given = [name for name in ("lms_user_id", "username") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Give exactly one of lms_user_id or username.")]}, code="learner_identity"
            )
        return attrs


class CourseRunRefField(RemembersAcceptedStrings, StrictCharField):
    """A course run uuid or course run key (at most 255 characters, the longest a stored key can be)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Checked by StrictCharField on the string; not as a validator, which would see the parsed UUID.
        self.max_length = 255

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)  # refuses an over-long string before it is quoted below
        try:
            return UUID(value)
        except ValueError:
            pass
        if not is_course_run_key(value):
            raise serializers.ValidationError(
                _("%(value)r is neither a course run uuid nor a course run key.") % {"value": value}
            )
        return value


class LearnerCertStatusInput(LearnerIdentityInput):
    courses = BoundedListField(child=StrictUUIDField(), required=False, max_length=MAX_ITEMS_PER_LIST)
    course_runs = BoundedListField(child=CourseRunRefField(), required=False, max_length=MAX_ITEMS_PER_LIST)
    include_incomplete = StrictBooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs.get("courses") and not attrs.get("course_runs"):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Give a non-empty list of courses and/or course_runs.")]}, code="no_courses"
            )
        return attrs


def query_from_validated(data: dict[str, Any]) -> StatusQuery:
    """The selector's query for one validated learner_cert_status body (duplicates dropped)."""
    runs = data.get("course_runs", [])
    return StatusQuery(
        lms_user_id=data.get("lms_user_id"),
        username=data.get("username"),
        course_uuids=tuple(dict.fromkeys(data.get("courses", []))),
        course_run_uuids=tuple(dict.fromkeys(r for r in runs if isinstance(r, UUID))),
        course_run_keys=tuple(dict.fromkeys(r for r in runs if isinstance(r, str))),
        include_incomplete=data.get("include_incomplete", False),
    )


def bulk_learner_cert_status_input(data: Any) -> BoundedListSerializer:
    """A list of 1 to 1,000 learner_cert_status bodies naming at most 10,000 courses and runs in all.

    Both caps are checked before any item is; errors are keyed by item index.
    """
    return BoundedListSerializer(
        child=LearnerCertStatusInput(),
        data=data,
        max_length=MAX_ITEMS_PER_LIST,
        max_nested_items=MAX_KEYS_PER_BULK_REQUEST,
        nested_fields=("courses", "course_runs"),
        allow_empty=False,
    )


class GradeOutput(serializers.Serializer):
    letter_grade = serializers.CharField()
    percent_grade = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=False)
    verified = serializers.BooleanField()


class RunRefOutput(serializers.Serializer):
    uuid = serializers.UUIDField(allow_null=True)
    key = serializers.CharField(allow_null=True)


class StatusItemOutput(serializers.Serializer):
    course_uuid = serializers.UUIDField(allow_null=True)
    course_run = RunRefOutput(allow_null=True)
    status = serializers.CharField()
    type = serializers.CharField(allow_null=True)
    certificate_available_date = serializers.DateTimeField(allow_null=True)
    grade = GradeOutput(allow_null=True)


class LearnerCertStatusOutput(serializers.Serializer):
    lms_user_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    status = StatusItemOutput(many=True)


class GradeInput(serializers.Serializer):
    letter_grade = StrictCharField(required=False, allow_blank=True, max_length=32, default="")
    percent_grade = serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1)
    verified = StrictBooleanField(required=False, default=False)


class LearnerRecordInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    lms_user_id = StrictIntegerField(required=False, min_value=1, allow_null=True)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    course_run_key = CourseRunKeyField()


class CourseRunCredentialInput(LearnerRecordInput):
    status = serializers.ChoiceField(choices=CredentialStatus.choices)
    type = serializers.ChoiceField(choices=CertificateType.choices)
    certificate_available_date = serializers.DateTimeField(required=False, allow_null=True)
    grade = GradeInput(required=False, allow_null=True)


class GradeRecordInput(LearnerRecordInput, GradeInput):
    pass


class CourseRunCredentialOutput(serializers.Serializer):
    username = serializers.CharField(source="learner.username")
    lms_user_id = serializers.IntegerField(source="learner.lms_user_id", allow_null=True)
    course_run_key = serializers.CharField(source="course_run.key")
    course_uuid = serializers.UUIDField(source="course_run.course.uuid")
    status = serializers.CharField()
    type = serializers.CharField()
    certificate_available_date = serializers.DateTimeField(allow_null=True)
    awarded_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    modified = serializers.DateTimeField()


class GradeRecordOutput(serializers.Serializer):
    username = serializers.CharField(source="learner.username")
    course_run_key = serializers.CharField(source="course_run.key")
    letter_grade = serializers.CharField()
    percent_grade = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=False)
    verified = serializers.BooleanField()


class LearnerProgramStatusInput(LearnerIdentityInput):
    program_uuid = StrictUUIDField()


class ProgramRefOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()


@remembered_by_value
class RunLearnerStatusOutput(serializers.Serializer):
    status = serializers.CharField()
    type = serializers.CharField(allow_null=True)
    certificate_available_date = serializers.DateTimeField(allow_null=True)
    grade = GradeOutput(allow_null=True)


# The program's side of a run's status, the same for every learner (``RunInProgram``). A comment, not a docstring:
# drf-spectacular would describe ``ProgramRunStatus`` in the schema with its subclass's inherited docstring.
class RunInProgramOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    key = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    excluded = serializers.BooleanField()
    removed = serializers.BooleanField(help_text="The LMS deleted this run; the learner's records in it are kept.")
    counts_toward_program = serializers.BooleanField()


@written_with_part("in_program", RunInProgramOutput)
class ProgramRunStatusOutput(RunInProgramOutput):
    learner = RunLearnerStatusOutput()


class ProgramCourseStatusOutput(serializers.Serializer):
    course_uuid = serializers.UUIDField()
    key = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    completed_only_in_excluded_run = serializers.BooleanField()
    course_runs = ProgramRunStatusOutput(many=True)


class CourseRefOutput(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()


class ReasonRunOutput(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    timing = serializers.ChoiceField(
        choices=[timing.value for timing in RunTiming],
        help_text="Where the run stands now: ended, open, upcoming or unscheduled.",
    )
    learner_enrolled = serializers.BooleanField()
    certificate_available_date = serializers.DateTimeField(allow_null=True)


@remembered_per_language
class NextStepOutput(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[code.value for code in NextStepCode], help_text="What the learner does next."
    )
    course = CourseRefOutput()
    run = ReasonRunOutput(
        allow_null=True, help_text="The run to use; for none the run completing the course; for no_run_open the last."
    )
    accepted_certificate_types = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField(source="learner_message", help_text="The step in the learner's words.")


@remembered_per_language
class ProgramWarningOutput(serializers.Serializer):
    code = serializers.CharField()
    course_run_key = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text="Support's words: run keys and the run that counts instead.")
    learner_message = serializers.CharField(help_text="The learner's words: titles, dates and what to do.")
    program_title = serializers.CharField()
    course = CourseRefOutput(allow_null=True, help_text="The course the warning is about.")
    run = ReasonRunOutput(allow_null=True, help_text="The run whose completion does not count.")
    counting_run = ReasonRunOutput(
        allow_null=True,
        help_text="A run that counts: the one completing the course, the learner's, the soonest open or the last.",
    )
    course_completed = serializers.BooleanField(help_text="The course is complete through a counting run.")
    accepted_certificate_types = serializers.ListField(child=serializers.CharField())
    next_step = NextStepOutput(allow_null=True)


class LearnerProgramStatusOutput(serializers.Serializer):
    lms_user_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    program = ProgramRefOutput()
    is_complete = serializers.BooleanField()
    completed_courses = serializers.IntegerField()
    total_courses = serializers.IntegerField()
    accepted_certificate_types = serializers.ListField(child=serializers.CharField())
    courses = ProgramCourseStatusOutput(many=True)
    warnings = ProgramWarningOutput(many=True)


class LearnerProgramSummaryOutput(serializers.Serializer):
    program = ProgramRefOutput()
    is_complete = serializers.BooleanField()
    completed_courses = serializers.IntegerField()
    total_courses = serializers.IntegerField()
    excluded_completions = serializers.IntegerField()


class OwnCourseStatusOutput(ProgramCourseStatusOutput):
    status_label = serializers.CharField(
        help_text="The course's status in the learner's words: 'No run of this course is open now' when every "
        "counting run has ended."
    )
    next_step = NextStepOutput(allow_null=True)


class OwnProgramStatusOutput(LearnerProgramStatusOutput):
    """``learner_program_status``'s answer for the signed-in learner, with each course's next step and the
    program's (the first course the learner can act on)."""

    courses = OwnCourseStatusOutput(many=True)
    next_step = NextStepOutput(allow_null=True)
