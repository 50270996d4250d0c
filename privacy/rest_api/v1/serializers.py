"""Input and output shapes of retire_user/ and replace_usernames/ (the Open edX IDA contracts)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import BoundedListField, StrictCharField, StrictIntegerField
from core.identifiers import username_invalid_reason
from core.models import USERNAME_MAX_LENGTH

# Replacements per call: the LMS's replacement job sends batches well under this.
MAX_USERNAME_MAPPINGS = 1000


class RetireUserInput(serializers.Serializer):
    lms_user_id = StrictIntegerField(min_value=1)
    original_username = StrictCharField(max_length=USERNAME_MAX_LENGTH)


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1, "maxProperties": 1}
)
class UsernameMappingField(serializers.Field):
    """One ``{"old": "new"}`` object: exactly one key, both usernames non-empty strings that fit a row."""

    default_error_messages = {
        "invalid": 'Each mapping is one {{"current username": "new username"}} object.',
        "too_long": f"Usernames are at most {USERNAME_MAX_LENGTH} characters.",
    }

    def to_internal_value(self, data: Any) -> tuple[str, str]:
        if not isinstance(data, dict) or len(data) != 1:
            self.fail("invalid")
        ((old, new),) = data.items()
        if not isinstance(new, str) or not old or not new:
            self.fail("invalid")
        if len(old) > USERNAME_MAX_LENGTH or len(new) > USERNAME_MAX_LENGTH:
            self.fail("too_long")
        reason = username_invalid_reason(new)
        if reason:  # the new name must be one a learner row may hold (core's one username rule)
            raise serializers.ValidationError(reason)
        return old, new

    def to_representation(self, value: tuple[str, str]) -> dict[str, str]:
        old, new = value
        return {old: new}


class UsernameReplacementInput(serializers.Serializer):
    username_mappings = BoundedListField(
        child=UsernameMappingField(), allow_empty=False, max_length=MAX_USERNAME_MAPPINGS
    )


class UsernameReplacementOutput(serializers.Serializer):
    successful_replacements = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    failed_replacements = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
