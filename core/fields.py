"""Serializer fields that refuse values of the wrong JSON type instead of coercing them."""

from typing import Any
from uuid import UUID

from rest_framework import serializers

# Integer columns are 64-bit signed on every supported database; a larger JSON integer must be a
# 400, not an OverflowError (SQLite) or "bigint out of range" (PostgreSQL) inside the query.
MAX_DB_INTEGER = 2**63 - 1


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer that fits a database integer: ``"7"``, ``7.5``, ``true`` and ``2**63`` are refused."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", MAX_DB_INTEGER)
        kwargs.setdefault("min_value", -MAX_DB_INTEGER - 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string: numbers and booleans are refused, not coerced."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a JSON string: ``5`` is refused, where DRF would read it as ``UUID(int=5)``."""

    def to_internal_value(self, data: Any) -> UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``: ``"yes"``, ``1`` and ``"true"`` are refused, not coerced."""

    default_error_messages = {"invalid": "Must be a JSON boolean (true or false)."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
