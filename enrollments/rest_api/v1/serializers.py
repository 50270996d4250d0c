from collections.abc import Mapping
from typing import Any
from uuid import UUID

from rest_framework import serializers

from core.fields import (
    BoundedListSerializer,
    CourseRunKeyField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from enrollments.data import MAX_BULK_ENROLLMENT_PAIRS, BulkEnrollmentItem


class EnrollmentRecordInput(serializers.Serializer):
    """One enrollment as the LMS reports it; the learner by username, LMS user id and/or email."""

    username = StrictCharField(required=False, max_length=150)
    lms_user_id = StrictIntegerField(required=False, min_value=1)
    email = serializers.EmailField(required=False)
    course_run_key = CourseRunKeyField()
    mode = StrictCharField(max_length=100, required=False, default="audit")
    is_active = StrictBooleanField(required=False, default=True)

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
    enterprise_customer_uuid = serializers.UUIDField(allow_null=True)
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
    activation_link = serializers.URLField(
        required=False, allow_null=True, max_length=2048, help_text="Echoed in this pair's answer (license-manager)."
    )

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
    # Only for the schema: a body with licenses_info is read as enrollments_info (to_internal_value).
    licenses_info = BoundedListSerializer(
        child=BulkEnrollmentItemInput(),
        required=False,
        max_length=MAX_BULK_ENROLLMENT_PAIRS,
        help_text="Synonym of enrollments_info, as license-manager sends it; not both.",
    )

    def to_internal_value(self, data: Any) -> Any:
        """``licenses_info`` (edx-enterprise's other name) is validated as ``enrollments_info``; both is a 400."""
        if not (isinstance(data, Mapping) and "licenses_info" in data):
            return super().to_internal_value(data)
        if "enrollments_info" in data:
            raise serializers.ValidationError(
                {"licenses_info": ["Send the pairs as enrollments_info or as licenses_info, not both."]}
            )
        renamed = {key: value for key, value in data.items() if key != "licenses_info"}
        renamed["enrollments_info"] = data["licenses_info"]
        try:
            return super().to_internal_value(renamed)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict) and "enrollments_info" in exc.detail:
                exc.detail["licenses_info"] = exc.detail.pop("enrollments_info")
            raise

    def to_items(self, *, enterprise_customer_uuid: UUID | None = None) -> list[BulkEnrollmentItem]:
        return [
            BulkEnrollmentItem(
                course_run_key=item["course_run_key"],
                email=item.get("email") or None,
                user_id=item.get("user_id"),
                license_uuid=item.get("license_uuid"),
                mode=item.get("mode"),
                enterprise_customer_uuid=enterprise_customer_uuid,
            )
            for item in self.validated_data["enrollments_info"]
        ]


ACTIVATION_LINK_HELP = (
    "The activation_link sent with the pair (license-manager's unactivated licenses); absent otherwise."
)


class BulkEnrollmentSuccessOutput(serializers.Serializer):
    email = serializers.CharField(allow_null=True)
    user_id = serializers.IntegerField(allow_null=True)
    course_run_key = serializers.CharField()
    created = serializers.BooleanField()
    # Not an attribute of the outcome: skipped here, added by the view when the pair came with one.
    activation_link = serializers.CharField(required=False, help_text=ACTIVATION_LINK_HELP)


class BulkEnrollmentPendingOutput(serializers.Serializer):
    email = serializers.CharField()
    course_run_key = serializers.CharField()
    created = serializers.BooleanField()
    # Not an attribute of the outcome: skipped here, added by the view when the pair came with one.
    activation_link = serializers.CharField(required=False, help_text=ACTIVATION_LINK_HELP)


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
    # Not attributes of the result: skipped here, added by the view when not empty (as edx-enterprise does).
    invalid_email_addresses = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Each email some pair failed with invalid_email, once; present only when not empty.",
    )
    invalid_user_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Each user_id some pair failed with unknown_user_id, once; present only when not empty.",
    )
