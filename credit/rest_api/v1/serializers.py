"""Input and output serializers of the credit REST API (rules: docs/decisions/0006-credit.rst)."""

from typing import Any

from rest_framework import serializers

from core.fields import BoundedDictField, StrictBooleanField, StrictCharField
from credit.models import CreditRequestStatus, RequirementStatus, provider_id_validator

MAX_JSON_OBJECT_KEYS = 100
MAX_PROVIDER_IDS = 100


class JSONObjectField(BoundedDictField):
    """A JSON object of at most 100 keys, kept as given (values of any JSON type).

    Criteria and reasons are a few keys (``{"min_grade": 0.8}``); the cap keeps a huge object from
    costing one validation per key.
    """

    child = serializers.JSONField()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_JSON_OBJECT_KEYS)
        super().__init__(**kwargs)


# --- Providers ---------------------------------------------------------------------------------
class ProviderUpdateInput(serializers.Serializer):
    """A provider's fields; PATCH validates it with ``partial=True``."""

    display_name = StrictCharField(max_length=255)
    provider_url = serializers.URLField(max_length=255, allow_blank=True, required=False)
    provider_status_url = serializers.URLField(max_length=255, allow_blank=True, required=False)
    description = StrictCharField(allow_blank=True, required=False)
    enable_integration = StrictBooleanField(required=False)
    fulfillment_instructions = StrictCharField(allow_blank=True, trim_whitespace=False, required=False)
    thumbnail_url = serializers.URLField(max_length=255, allow_blank=True, required=False)
    active = StrictBooleanField(required=False)


class ProviderCreateInput(ProviderUpdateInput):
    provider_id = StrictCharField(max_length=255, validators=[provider_id_validator])


class ProviderListQuery(serializers.Serializer):
    provider_ids = serializers.CharField(required=False, help_text="Comma-separated provider ids (at most 100).")

    def validate_provider_ids(self, value: str) -> list[str]:
        # Counted before the split, like every other list cap (core.fields.BoundedListField).
        if value.count(",") >= MAX_PROVIDER_IDS:
            raise serializers.ValidationError(f"At most {MAX_PROVIDER_IDS} provider ids.")
        return [provider_id.strip() for provider_id in value.split(",") if provider_id.strip()]


class ProviderOutput(serializers.Serializer):
    id = serializers.CharField()
    display_name = serializers.CharField()
    name = serializers.CharField(help_text="Same as display_name (the Open edX credit API's name for it).")
    url = serializers.CharField()
    status_url = serializers.CharField()
    description = serializers.CharField()
    enable_integration = serializers.BooleanField()
    fulfillment_instructions = serializers.CharField()
    thumbnail_url = serializers.CharField()
    active = serializers.BooleanField()


# --- Courses and requirements ------------------------------------------------------------------
class CreditCourseInput(serializers.Serializer):
    enabled = StrictBooleanField()


class CreditCourseOutput(serializers.Serializer):
    course_key = serializers.CharField()
    enabled = serializers.BooleanField()


class RequirementInput(serializers.Serializer):
    namespace = StrictCharField(max_length=255)
    name = StrictCharField(max_length=255)
    display_name = StrictCharField(max_length=255)
    criteria = JSONObjectField()


class RequirementsQuery(serializers.Serializer):
    namespace = serializers.CharField(required=False)


class RequirementOutput(serializers.Serializer):
    namespace = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    criteria = serializers.JSONField()
    order = serializers.IntegerField()


# --- Requirement statuses -----------------------------------------------------------------------
class RequirementStatusRemoveInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    namespace = StrictCharField(max_length=255)
    name = StrictCharField(max_length=255)


class RequirementStatusSetInput(RequirementStatusRemoveInput):
    status = serializers.ChoiceField(choices=RequirementStatus.values)
    reason = JSONObjectField(required=False, default=dict)


class UsernameQuery(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class RequirementStatusOutput(serializers.Serializer):
    namespace = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    criteria = serializers.JSONField()
    reason = serializers.JSONField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    status_date = serializers.DateTimeField(allow_null=True)
    order = serializers.IntegerField()


class RequirementStatusSetOutput(serializers.Serializer):
    username = serializers.CharField()
    namespace = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField(allow_null=True, help_text="The stored status after the call.")
    reason = serializers.JSONField(allow_null=True)
    status_date = serializers.DateTimeField(allow_null=True)
    applied = serializers.BooleanField(help_text="False when a credit rule left the status unchanged.")
    outcome = serializers.CharField(
        help_text="recorded, unchanged, or the rule that left the status unchanged (requirement_not_found, "
        "enrollment_not_credit_eligible, satisfied_never_fails, eligible_never_fails, frozen_by_request)."
    )


# --- Eligibility and requests -------------------------------------------------------------------
class LearnerCourseQuery(UsernameQuery):
    course_key = serializers.CharField(required=False, max_length=255)

    def validate_course_key(self, value: str) -> str:
        # An unencoded '+' in a query string arrives as a space; course keys never contain spaces.
        return value.replace(" ", "+")


class EligibilityOutput(serializers.Serializer):
    username = serializers.CharField()
    course_key = serializers.CharField()
    deadline = serializers.DateTimeField()


class CreditRequestInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    course_key = StrictCharField(max_length=255)


class CreditRequestDescriptionOutput(serializers.Serializer):
    url = serializers.CharField()
    method = serializers.CharField()
    parameters = serializers.JSONField()


class ProviderCallbackInput(serializers.Serializer):
    """The provider's signed message; every key of the body (``signature`` aside) is signed."""

    request_uuid = StrictCharField(max_length=32)
    status = serializers.CharField(help_text=f"{CreditRequestStatus.APPROVED} or {CreditRequestStatus.REJECTED}")
    timestamp = serializers.JSONField(help_text="Seconds since the epoch (integer).")
    # Not required here: a missing signature is an authentication failure (403), not a malformed body.
    signature = serializers.JSONField(required=False, help_text="hex HMAC-SHA256 of the other fields.")


class ProviderCallbackOutput(serializers.Serializer):
    request_uuid = serializers.CharField(source="uuid")
    status = serializers.CharField()


class ProviderSummaryOutput(serializers.Serializer):
    id = serializers.CharField()
    display_name = serializers.CharField()


class CreditRequestOutput(serializers.Serializer):
    uuid = serializers.CharField()
    timestamp = serializers.IntegerField(allow_null=True)
    course_key = serializers.CharField()
    provider = ProviderSummaryOutput()
    status = serializers.CharField()
