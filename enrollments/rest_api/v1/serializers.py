from typing import Any

from rest_framework import serializers

from core.fields import (
    BoundedListSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from enrollments.data import MAX_BULK_ENROLLMENT_PAIRS, BulkEnrollmentItem
from programs.keys import is_course_run_key


class EnrollmentRecordInput(serializers.Serializer):
    """One enrollment as the LMS reports it; the learner by username, LMS user id and/or email."""

    username = StrictCharField(required=False, max_length=150)
    lms_user_id = StrictIntegerField(required=False, min_value=1)
    email = serializers.EmailField(required=False)
    course_run_key = StrictCharField(max_length=255)
    mode = StrictCharField(max_length=100, required=False, default="audit")
    is_active = StrictBooleanField(required=False, default=True)

    def validate_course_run_key(self, value: str) -> str:
        if not is_course_run_key(value):
            raise serializers.ValidationError(f"{value!r} is not a valid course run key.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(name) for name in ("username", "lms_user_id", "email")):
            raise serializers.ValidationError(
                {"non_field_errors": ["Name the learner by username, lms_user_id or email."]}
            )
        return attrs


class EnrollmentOutput(serializers.Serializer):
    username = serializers.CharField(source="learner.username")
    lms_user_id = serializers.IntegerField(source="learner.lms_user_id", allow_null=True)
    course_run_key = serializers.CharField(source="course_run.key")
    mode = serializers.CharField()
    is_active = serializers.BooleanField()
    license_uuid = serializers.UUIDField(allow_null=True)
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()


class BulkEnrollmentItemInput(serializers.Serializer):
    """One pair. The email's syntax and length and the run key are checked per pair (a failure, not a 400).

    ``email`` is bounded at 320 characters (the longest address email syntax allows) only to keep
    absurd input out; 255 to 320 characters is an ``invalid_email`` failure of that pair.
    """

    email = StrictCharField(required=False, max_length=320, trim_whitespace=True)
    user_id = StrictIntegerField(required=False, min_value=1)  # at most core.fields.MAX_DB_INTEGER
    course_run_key = StrictCharField(max_length=255)
    license_uuid = StrictUUIDField(required=False, allow_null=True)
    mode = StrictCharField(required=False, max_length=100)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and attrs.get("user_id") is None:
            raise serializers.ValidationError({"non_field_errors": ["Name the learner by email and/or user_id."]})
        return attrs


class BulkEnrollmentInput(serializers.Serializer):
    enrollments_info = BoundedListSerializer(
        child=BulkEnrollmentItemInput(),
        allow_empty=False,
        max_length=MAX_BULK_ENROLLMENT_PAIRS,
        error_messages={
            "max_length": f"At most {MAX_BULK_ENROLLMENT_PAIRS:,} pairs per request; split larger batches.",
            "empty": "Send at least one pair.",
        },
    )
    notify = StrictBooleanField(required=False, default=False)

    def to_items(self) -> list[BulkEnrollmentItem]:
        return [
            BulkEnrollmentItem(
                course_run_key=item["course_run_key"],
                email=item.get("email") or None,
                user_id=item.get("user_id"),
                license_uuid=item.get("license_uuid"),
                mode=item.get("mode"),
            )
            for item in self.validated_data["enrollments_info"]
        ]


class BulkEnrollmentSuccessOutput(serializers.Serializer):
    email = serializers.CharField(allow_null=True)
    user_id = serializers.IntegerField(allow_null=True)
    course_run_key = serializers.CharField()
    created = serializers.BooleanField()


class BulkEnrollmentPendingOutput(serializers.Serializer):
    email = serializers.CharField()
    course_run_key = serializers.CharField()
    created = serializers.BooleanField()


class BulkEnrollmentFailureOutput(serializers.Serializer):
    email = serializers.CharField(allow_null=True)
    user_id = serializers.IntegerField(allow_null=True)
    course_run_key = serializers.CharField()
    reason = serializers.CharField()
    code = serializers.CharField(help_text="Stable reason slug, e.g. invalid_email, unknown_course_run.")


class BulkEnrollmentOutput(serializers.Serializer):
    successes = BulkEnrollmentSuccessOutput(many=True)
    pending = BulkEnrollmentPendingOutput(many=True)
    failures = BulkEnrollmentFailureOutput(many=True)
