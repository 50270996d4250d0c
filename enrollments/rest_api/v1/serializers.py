from typing import Any

from rest_framework import serializers

from core.fields import StrictCharField, StrictIntegerField
from programs.keys import is_course_run_key


class EnrollmentRecordInput(serializers.Serializer):
    """One enrollment as the LMS reports it; the learner by username, LMS user id and/or email."""

    username = StrictCharField(required=False, max_length=150)
    lms_user_id = StrictIntegerField(required=False, min_value=1)
    email = serializers.EmailField(required=False)
    course_run_key = StrictCharField(max_length=255)
    mode = StrictCharField(max_length=100, required=False, default="audit")
    is_active = serializers.BooleanField(required=False, default=True)

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
