"""Serializer fields that refuse values of the wrong JSON type instead of coercing them."""

from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from core.course_keys import KEY_MAX_LENGTH, CourseRunKeyRefused, course_run_key_parse

# Integer columns are 64-bit signed on every supported database; a larger JSON integer must be a
# 400, not an OverflowError (SQLite) or "bigint out of range" (PostgreSQL) inside the query.
MAX_DB_INTEGER = 2**63 - 1


class RemembersAcceptedStrings(serializers.Field):
    """Validates each distinct string once per field instance; a repeat gets the value it got the first time.

    For fields whose verdict depends only on the string (a uuid, a course run key). DRF copies a
    serializer's fields for each request, so the memory lives for one request: a bulk request naming
    the same runs for a thousand learners then validates each run once, not once per mention (issue 17).
    Refused strings are not remembered: each occurrence gets its own error.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._accepted: dict[str, Any] = {}

    def run_validation(self, data: Any = empty) -> Any:
        if type(data) is not str:
            return super().run_validation(data)
        if data in self._accepted:
            return self._accepted[data]
        value = super().run_validation(data)
        self._accepted[data] = value
        return value


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
    """A JSON string: numbers and booleans are refused, not coerced.

    Over ``max_length`` it is refused here, before any subclass parses it or quotes it in a message
    (DRF checks the length only after ``to_internal_value``).
    """

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data.strip() if self.trim_whitespace else data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class CourseRunKeyField(StrictCharField):
    """A course run key as ``core.course_keys.course_run_key_parse`` accepts it (the value is kept as sent)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 4 * KEY_MAX_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            course_run_key_parse(value)
        except CourseRunKeyRefused as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


class StrictUUIDField(RemembersAcceptedStrings, serializers.UUIDField):
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


class BoundedListField(serializers.ListField):
    """A JSON list of at most ``max_length`` items (required), refused by its length before any item is validated.

    DRF's ListField validates every item and only then checks ``max_length``: a list far over the cap
    cost a worker one validation and one error message per item. Here the answer for an over-long
    list is one message, whatever its length.
    """

    default_error_messages = {"max_length": "At most {max_length:,} items; this list has {length:,}."}

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        self.cap = max_length
        super().__init__(max_length=max_length, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and len(data) > self.cap:
            self.fail("max_length", max_length=self.cap, length=len(data))
        return super().to_internal_value(data)


class BoundedDictField(serializers.DictField):
    """A JSON object of at most ``max_length`` keys (required), refused by its size before any value is validated."""

    default_error_messages = {"max_length": "At most {max_length:,} keys; this object has {length:,}."}

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[Any, Any]:
        if isinstance(data, dict) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length, length=len(data))
        return super().to_internal_value(data)


class BoundedListSerializer(serializers.ListSerializer):
    """A JSON list of objects (``many=True`` input) with every size cap checked before any object is.

    ``max_length`` (required) caps the number of objects. ``max_nested_items`` caps the total length
    of the ``nested_fields`` lists across all objects (the bulk status endpoint's keys): each object
    may be under its own caps while together they are not. Counting costs one ``len()`` per object
    and field, never a look at list items.
    """

    default_error_messages = {
        "max_length": "At most {max_length:,} items; this list has {length:,}.",
        "max_nested_items": (
            "At most {max_nested_items:,} {fields} across all items together; this request has {total:,}."
        ),
    }

    def __init__(
        self,
        *args: Any,
        max_length: int,
        max_nested_items: int | None = None,
        nested_fields: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        self.cap = max_length
        self.max_nested_items = max_nested_items
        self.nested_fields = nested_fields
        kwargs["max_length"] = max_length  # DRF's own check stays, after this class's
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list):
            if len(data) > self.cap:
                self._refuse("max_length", max_length=self.cap, length=len(data))
            if self.max_nested_items is not None:
                total = sum(
                    len(value)
                    for item in data
                    if isinstance(item, dict)
                    for value in (item.get(name) for name in self.nested_fields)
                    if isinstance(value, list)
                )
                if total > self.max_nested_items:
                    fields = " and ".join(self.nested_fields)
                    self._refuse("max_nested_items", max_nested_items=self.max_nested_items, fields=fields, total=total)
        return super().to_internal_value(data)

    def _refuse(self, key: str, **values: Any) -> None:
        # Keyed like DRF's own list-level errors, so the error envelope shows it under non_field_errors.
        message = self.error_messages[key].format(**values)
        raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}, code=key)
