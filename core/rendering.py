"""Render plain answers (data classes) through an output serializer's fields, without a serializer per object.

An output serializer documents an answer's shape (drf-spectacular reads it) and says how each value is
written. DRF applies it by copying every nested serializer's fields for each object, and asks for the
current time zone at every date: on a 30-course program status that was most of the request's CPU
(issue 17). ``render(SerializerClass, answer)`` reads the same fields, once per class, and gives exactly
``SerializerClass(answer).data`` for data classes: every leaf is written by the serializer's own
field, so formats cannot drift; dates are moved to the current time zone looked up once per answer.
``tests/core/test_rendering.py`` and the endpoints' tests compare both on the same answers.

Only output serializers of plain objects qualify: no ``SerializerMethodField``, no model managers.
"""

from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from rest_framework import ISO_8601, fields, serializers
from rest_framework.settings import api_settings

# A leaf or nested writer: (value that is not None, time zone of this answer) -> JSON-ready value.
Writer = Callable[[Any, Any], Any]


def render(serializer_class: type[serializers.Serializer], instance: Any) -> dict[str, Any]:
    """``serializer_class(instance).data``, as a plain dict."""
    return _object_writer_of(serializer_class)(instance, timezone.get_current_timezone())  # type: ignore[no-any-return]


def render_many(serializer_class: type[serializers.Serializer], instances: Any) -> list[dict[str, Any]]:
    """``serializer_class(instances, many=True).data``, as a list of plain dicts."""
    write, zone = _object_writer_of(serializer_class), timezone.get_current_timezone()
    return [write(instance, zone) for instance in instances]


@cache
def _object_writer_of(serializer_class: type[serializers.Serializer]) -> Writer:
    return _object_writer(serializer_class())


def _object_writer(serializer: serializers.Serializer) -> Writer:
    plan = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.SerializerMethodField):
            raise TypeError(f"{type(serializer).__name__}.{name}: a method field needs the serializer itself")
        if not field.write_only:
            attribute = field.source_attrs[0] if len(field.source_attrs) == 1 else None
            plan.append((name, attribute, field.source_attrs, _writer(field)))

    def write(instance: Any, zone: Any) -> dict[str, Any]:
        answer = {}
        direct = not isinstance(instance, Mapping)
        for name, attribute, source_attrs, write_value in plan:
            # A data class's plain attribute is read directly; DRF's lookup (mappings, dotted sources,
            # methods to call) serves everything else.
            if direct and attribute:
                value = getattr(instance, attribute)
                if callable(value):
                    value = fields.get_attribute(instance, source_attrs)
            else:
                value = fields.get_attribute(instance, source_attrs)
            answer[name] = None if value is None else write_value(value, zone)
        return answer

    return write


def _writer(field: fields.Field) -> Writer:
    if isinstance(field, serializers.ListSerializer):
        write_child = _object_writer(field.child)  # type: ignore[arg-type]
        return lambda values, zone: [write_child(value, zone) for value in values]
    if isinstance(field, serializers.Serializer):
        return _object_writer(field)
    if isinstance(field, fields.ListField):
        write_item = _writer(field.child)
        return lambda values, zone: [None if value is None else write_item(value, zone) for value in values]
    if isinstance(field, fields.DateTimeField):
        return _datetime_writer(field)
    write_leaf = field.to_representation
    # The exact classes whose to_representation is one builtin call (a subclass may change it).
    if type(field) is fields.CharField or (type(field) is fields.UUIDField and field.uuid_format == "hex_verbose"):
        return lambda value, zone: str(value)
    if type(field) is fields.IntegerField:
        return lambda value, zone: int(value)
    if type(field) is fields.BooleanField:
        return lambda value, zone: value if value is True or value is False else write_leaf(value)
    if type(field) is fields.DecimalField and field.decimal_places is not None:
        # Quantized, equal numbers are written alike; grades repeat a few values many times.
        return _memoized(write_leaf)
    return lambda value, zone: write_leaf(value)


def _memoized(write_leaf: Callable[[Any], Any]) -> Writer:
    remembered = lru_cache(maxsize=4096, typed=True)(write_leaf)
    return lambda value, zone: remembered(value)


def _datetime_writer(field: fields.DateTimeField) -> Writer:
    """``DateTimeField.to_representation`` for aware datetimes, in the answer's time zone, ISO 8601."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if hasattr(field, "timezone") or output_format is None or output_format.lower() != ISO_8601:
        return lambda value, zone: field.to_representation(value)

    def write(value: Any, zone: ZoneInfo) -> Any:
        if isinstance(value, str) or not timezone.is_aware(value):
            return field.to_representation(value)  # DRF's own handling of strings and naive values
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write
