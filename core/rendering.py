"""Render plain answers (data classes) through an output serializer's fields, without a serializer per object.

An output serializer documents an answer's shape (drf-spectacular reads it) and says how each value is
written. DRF applies it by copying every nested serializer's fields for each object, and asks for the
current time zone at every date: on a 30-course program status that was most of the request's CPU
(issue 17). ``render(SerializerClass, answer)`` reads the same fields, once per class, and gives exactly
``SerializerClass(answer).data`` for data classes: every leaf is written by the serializer's own
field, so formats cannot drift; dates are moved to the current time zone looked up once per answer.
``tests/core/test_rendering.py`` and the endpoints' tests compare both on the same answers. For each class
of value met, the plan becomes one generated function (``_compiled_writer``), as ``dataclasses`` generates
``__init__``: a per-field loop cost more than the values it wrote. A serializer marked ``remembered_by_value``
has what it wrote remembered per value and time zone, one marked ``remembered_per_language`` per language as
well; one marked ``written_with_part`` has its leading fields written once per shared part object (a
program's runs).

Only output serializers of plain objects qualify: no ``SerializerMethodField``, no model managers.
"""

import inspect
import keyword
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, NamedTuple, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language
from rest_framework import ISO_8601, fields, serializers
from rest_framework.settings import api_settings

# A leaf or nested writer: (value that is not None, time zone of this answer) -> JSON-ready value.
Writer = Callable[[Any, Any], Any]


def render(serializer_class: type[serializers.Serializer], instance: Any) -> dict[str, Any]:
    """``serializer_class(instance).data``, as a plain dict."""
    language = _ANSWER_LANGUAGE.set(get_language())
    try:
        return _object_writer_of(serializer_class)(instance, timezone.get_current_timezone())  # type: ignore[no-any-return]
    finally:
        _ANSWER_LANGUAGE.reset(language)


def render_many(serializer_class: type[serializers.Serializer], instances: Any) -> list[dict[str, Any]]:
    """``serializer_class(instances, many=True).data``, as a list of plain dicts."""
    write, zone = _object_writer_of(serializer_class), timezone.get_current_timezone()
    language = _ANSWER_LANGUAGE.set(get_language())
    try:
        return [write(instance, zone) for instance in instances]
    finally:
        _ANSWER_LANGUAGE.reset(language)


# The active language, looked up once per answer for what is remembered per language: ``get_language`` reads
# asgiref's context-local storage (about 1 us), and a 100-course program status asked it for each of its 200
# warnings and next steps (issue 17). ``None`` outside ``render``: the writers then ask Django themselves.
_ANSWER_LANGUAGE: ContextVar[str | None] = ContextVar("rendering_answer_language", default=None)


@cache
def _object_writer_of(serializer_class: type[serializers.Serializer]) -> Writer:
    return _object_writer(serializer_class())


def _object_writer(serializer: serializers.Serializer) -> Writer:
    plan = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.SerializerMethodField):
            raise TypeError(f"{type(serializer).__name__}.{name}: a method field needs the serializer itself")
        if not field.write_only:
            plan.append(_Step(name, field.source_attrs, _writer(field), _inline(field), field))
    part = _part_of(serializer)
    by_type: dict[type, Writer] = {}

    def write(instance: Any, zone: Any) -> dict[str, Any]:
        kind = type(instance)
        compiled = by_type.get(kind)
        if compiled is None:
            if part is not None and not isinstance(instance, Mapping) and hasattr(instance, part.attribute):
                rest = [step for step in plan if step.name not in part.names]
                compiled = by_type[kind] = _compiled_writer(rest, kind, part)
            else:  # a mapping, or a value without the part: each field read by its own name, as DRF reads it
                compiled = by_type[kind] = _compiled_writer(plan, kind)
        return compiled(instance, zone)  # type: ignore[no-any-return]

    remembered = getattr(type(serializer), _REMEMBERED, None)
    if remembered is not None:
        return _remembered_writer(write, per_language=remembered == _PER_LANGUAGE)
    # The writers generated so far, by class: a writer of nested objects calls them directly (``_inline``).
    write.by_type = by_type  # type: ignore[attr-defined]
    return write


_REMEMBERED = "_rendering_remembered"
_BY_VALUE, _PER_LANGUAGE = "by value", "per language"

S = TypeVar("S", bound=type[serializers.Serializer])


def remembered_by_value(serializer_class: S) -> S:
    """Mark an output serializer whose answer for a value depends on that value and the time zone alone (frozen,
    hashable values without words: a learner's side of a program's run). ``render`` then remembers what it
    wrote for each (value, zone) and gives the same dict again: a program's runs repeat a learner's few
    situations (enrolled in the verified track; awarded with a grade) hundreds of times, and the next learner
    has the same ones. Hashing the value costs less than writing it (the learner's side of 1,000 runs: 102.6
    -> 98.6 M instructions of a 100-course program status, issue 17). What ``render`` returns is only read
    (serialised), never changed. At most 4,096 values per serializer, under a kB each."""
    setattr(serializer_class, _REMEMBERED, _BY_VALUE)
    return serializer_class


def remembered_per_language(serializer_class: S) -> S:
    """Mark an output serializer whose answer for a value depends on that value, the time zone and the
    active language alone (frozen, hashable values: the program status's warnings and next steps, whose
    words are written per language, ``credentials_status.explanations``): remembered as
    ``remembered_by_value`` says, per language as well. A warning of a program answer took 13 us to write,
    and the same warnings come back with every request of the learner (and of learners in the same
    situation). At most 2,048 values per serializer, a few kB each: a few MB per process."""
    setattr(serializer_class, _REMEMBERED, _PER_LANGUAGE)
    return serializer_class


def _remembered_writer(write: Writer, *, per_language: bool) -> Writer:
    # Typed: an equal tuple of another class may read its fields otherwise. A value that is not hashable is
    # written each time.
    if per_language:
        in_language = lru_cache(maxsize=2048, typed=True)(lambda instance, zone, language: write(instance, zone))

        def write_remembered(instance: Any, zone: Any) -> Any:
            try:
                return in_language(instance, zone, _ANSWER_LANGUAGE.get() or get_language())
            except TypeError:
                return write(instance, zone)

    else:
        by_value = lru_cache(maxsize=4096, typed=True)(write)

        def write_remembered(instance: Any, zone: Any) -> Any:
            try:
                return by_value(instance, zone)
            except TypeError:
                return write(instance, zone)

    # No generated writer to call directly: a writer of nested values goes through this one.
    write_remembered.by_type = {}  # type: ignore[attr-defined]
    return write_remembered


_PART = "_rendering_written_with_part"


def written_with_part(attribute: str, part_serializer_class: type[serializers.Serializer]) -> Callable[[S], S]:
    """Mark an output serializer whose leading fields are ``part_serializer_class``'s (it subclasses it
    and adds fields after them), for values whose ``attribute`` holds those fields' values: an immutable part
    shared by many values and kept for a while (a program's run as the program counts it, the same in every
    learner's answer and held by the program's facts, ``programs.data.RunInProgram``). ``render`` writes each
    part object once, remembers it by identity with its zone, and gives a new dict per value with the part's
    fields first: writing the eight fields of 1,000 runs was a sixth of a 100-course program status (issue 17).
    DRF's ``.data`` still reads every field by its own name; the value's class must give the part's values
    under those names too (``ProgramRunStatus``'s properties). At most 16,384 parts, about
    half a kB each."""

    def mark(serializer_class: S) -> S:
        if not issubclass(serializer_class, part_serializer_class):
            raise TypeError(f"{serializer_class.__name__} must subclass {part_serializer_class.__name__}")
        part_fields = part_serializer_class._declared_fields  # type: ignore[attr-defined]
        own = serializer_class._declared_fields  # type: ignore[attr-defined]
        redeclared = [name for name in part_fields if own.get(name) is not part_fields[name]]
        if redeclared or list(own)[: len(part_fields)] != list(part_fields):
            raise TypeError(
                f"{serializer_class.__name__} must keep {part_serializer_class.__name__}'s fields first, as they are"
            )
        setattr(serializer_class, _PART, (attribute, part_serializer_class))
        return serializer_class

    return mark


class _Part(NamedTuple):
    attribute: str  # where a value holds its part
    names: frozenset[str]  # the fields written from the part
    write: Writer  # the part's writer, remembered by identity


def _part_of(serializer: serializers.Serializer) -> _Part | None:
    marked = getattr(type(serializer), _PART, None)
    if marked is None or type(serializer).__dict__.get(_PART) is None:  # not inherited by a subclass
        return None
    attribute, part_serializer_class = marked
    names = frozenset(part_serializer_class._declared_fields)
    return _Part(attribute, names, _part_writer_of(part_serializer_class))


@cache
def _part_writer_of(part_serializer_class: type[serializers.Serializer]) -> Writer:
    # One per part serializer: the answers that hold the same parts (a program's status, the learner's own
    # programs) share what was written of them.
    return _remembered_by_identity(_object_writer_of(part_serializer_class), size=16_384)


def _remembered_by_identity(write: Writer, *, size: int) -> Writer:
    """``write``, remembering what it wrote of each object (by identity) in the time zone it was last written
    in: for immutable values kept while they are used (``written_with_part``). Each entry holds its object, so
    that no other object can take its identity while the entry lasts; the oldest entries go first past
    ``size``, whatever the number of zones (an object asked in another zone is written again for it)."""
    remembered: dict[int, tuple[Any, Any, Any]] = {}  # id -> (object, zone, written)
    lock = threading.Lock()

    def write_once(value: Any, zone: Any) -> Any:
        found = remembered.get(id(value))
        if found is not None and found[0] is value and found[1] is zone:
            return found[2]
        written = write(value, zone)
        with lock:
            remembered.pop(id(value), None)
            remembered[id(value)] = (value, zone, written)
            while len(remembered) > size:
                del remembered[next(iter(remembered))]
        return written

    write_once.remembered = remembered  # type: ignore[attr-defined]  # for tests: what is held
    return write_once


class _Step(NamedTuple):
    """One output field: its name, where its value is read, how it is written."""

    name: str
    source_attrs: list[str]
    write_value: Writer
    inline: str | None  # for some leaves, an expression that writes the value ``{v}`` (``{w}``: ``write_value``)
    field: fields.Field


def _builtin_leaf(field: fields.Field) -> tuple[str, Writer] | None:
    """For the exact field classes whose ``to_representation`` is one builtin call (a subclass may change
    it): that call as an expression of ``{v}``, which generated writers inline, and as a writer."""
    if type(field) is fields.CharField:
        return "{v} if type({v}) is str else str({v})", lambda value, zone: str(value)
    if type(field) is fields.UUIDField and field.uuid_format == "hex_verbose":
        return "uuid_text({v}.int) if type({v}) is UUID else str({v})", _uuid_written
    if type(field) is fields.IntegerField:
        return "int({v})", lambda value, zone: int(value)
    return None


def _inline(field: fields.Field) -> str | None:
    """How a generated writer writes ``field``'s value ``{v}`` without a call of its own, when it can: the
    builtin-call leaves, booleans, choices, aware datetimes through ``_iso_8601_in``, and a nested object through
    the writer already generated for its class (``{b}``); ``{w}``, the field's writer, takes the rest."""
    leaf = _builtin_leaf(field)
    if leaf is not None:
        return leaf[0]
    if type(field) is fields.BooleanField:
        return "{v} if {v} is True or {v} is False else {w}({v}, zone)"
    if type(field) is fields.ChoiceField:
        # ``ChoiceField.to_representation``: the choice whose text is the value's, else the value (``{c}``: the
        # field's ``choice_strings_to_values``). A warning has four (timings, next step), each a Python call.
        return "{c}.get(str({v}), {v})"
    if isinstance(field, serializers.Serializer):
        return "({b}.get(type({v})) or {w})({v}, zone)"
    if isinstance(field, fields.DateTimeField) and _writes_iso_8601(field):
        return "iso_8601_in({v}, zone) if type({v}) is datetime and {v}.utcoffset() is not None else {w}({v}, zone)"
    return None


def _compiled_writer(plan: list[_Step], kind: type, part: _Part | None = None) -> Writer:
    """The writer of ``plan`` for instances of ``kind``: one generated function that reads each plain
    attribute directly and writes builtin leaves inline, as ``dataclasses`` generates its ``__init__``;
    with ``part``, the part's written fields first.

    A mapping, a method, a dotted source or a name that is not an identifier goes through DRF's own
    lookup (``fields.get_attribute``), which also calls what it finds callable.
    """
    if issubclass(kind, Mapping):
        return _generic_writer(plan)
    namespace: dict[str, Any] = {
        "get_attribute": fields.get_attribute,
        "iso_8601_in": _iso_8601_in,
        "datetime": datetime,
        "uuid_text": _uuid_text,
        "UUID": UUID,
    }
    entries = []
    if part is not None:
        namespace["write_part"], namespace["part_source"] = part.write, [part.attribute]
        entries.append(f"**write_part({_read(kind, [part.attribute], 'part_source')}, zone),")
    for index, step in enumerate(plan):
        namespace[f"write_{index}"], namespace[f"source_{index}"] = step.write_value, step.source_attrs
        namespace[f"by_type_{index}"] = getattr(step.write_value, "by_type", None)
        namespace[f"choices_{index}"] = getattr(step.field, "choice_strings_to_values", None)
        read = _read(kind, step.source_attrs, f"source_{index}")
        written = (
            f"({step.inline.format(v=f'v{index}', w=f'write_{index}', b=f'by_type_{index}', c=f'choices_{index}')})"
            if step.inline
            else f"write_{index}(v{index}, zone)"
        )
        entries.append(f"{step.name!r}: None if (v{index} := {read}) is None else {written},")
    source = "def write(o, zone):\n    return {\n" + "".join(f"        {e}\n" for e in entries) + "    }\n"
    exec(compile(source, f"<rendering of {kind.__qualname__}>", "exec"), namespace)  # noqa: S102
    return namespace["write"]  # type: ignore[no-any-return]


def _read(kind: type, source_attrs: list[str], source_name: str) -> str:
    """How a generated writer reads a value of ``kind`` at ``source_attrs``: the attribute directly when it is
    one plain attribute, else DRF's lookup of the list named ``source_name`` in its namespace."""
    attribute = source_attrs[0] if len(source_attrs) == 1 else ""
    if attribute.isidentifier() and not keyword.iskeyword(attribute) and _plain_attribute(kind, attribute):
        return f"o.{attribute}"
    return f"get_attribute(o, {source_name})"


def _plain_attribute(kind: type, attribute: str) -> bool:
    """Whether ``kind``'s ``attribute`` is a value to read as is: a data field or a property, not a method."""
    found = inspect.getattr_static(kind, attribute, None)
    return not (inspect.isfunction(found) or isinstance(found, staticmethod | classmethod))


def _generic_writer(plan: list[_Step]) -> Writer:
    def write(instance: Any, zone: Any) -> dict[str, Any]:
        answer = {}
        for step in plan:
            value = fields.get_attribute(instance, step.source_attrs)
            answer[step.name] = None if value is None else step.write_value(value, zone)
        return answer

    return write


def _writer(field: fields.Field) -> Writer:
    if isinstance(field, serializers.ListSerializer):
        write_child = _object_writer(field.child)  # type: ignore[arg-type]
        compiled = write_child.by_type  # type: ignore[attr-defined]
        return lambda values, zone: [(compiled.get(type(value)) or write_child)(value, zone) for value in values]
    if isinstance(field, serializers.Serializer):
        return _object_writer(field)
    if isinstance(field, fields.ListField):
        write_item = _writer(field.child)
        return lambda values, zone: [None if value is None else write_item(value, zone) for value in values]
    if isinstance(field, fields.DateTimeField):
        return _datetime_writer(field)
    leaf = _builtin_leaf(field)
    if leaf is not None:
        return leaf[1]
    write_leaf = field.to_representation
    if type(field) is fields.BooleanField:
        return lambda value, zone: value if value is True or value is False else write_leaf(value)
    if type(field) is fields.DecimalField and field.decimal_places is not None:
        return _written_by_text(write_leaf)
    return lambda value, zone: write_leaf(value)


def _written_by_text(write_leaf: Callable[[Any], Any]) -> Writer:
    """A decimal leaf's writer, remembered by the value's text: grades repeat a few values many times. Keyed
    by the text, not the ``Decimal``: a ``Decimal``'s hash is worked out from its digits for every new object
    (about 6,000 instructions; PostgreSQL's driver gives new ones at every read, 3% of a 30-course program
    status there, issue 17), its text is one short C call. Exact: DRF writes a value through a ``Decimal``
    (``Decimal(str(value))`` when it is not one), and a ``Decimal``'s text gives it back digit for digit."""
    remembered = lru_cache(maxsize=4096)(lambda text: write_leaf(Decimal(text)))
    return lambda value, zone: remembered(str(value))


def _datetime_writer(field: fields.DateTimeField) -> Writer:
    """``DateTimeField.to_representation`` for aware datetimes, in the answer's time zone, ISO 8601."""
    if not _writes_iso_8601(field):
        return lambda value, zone: field.to_representation(value)

    def write(value: Any, zone: ZoneInfo) -> Any:
        if isinstance(value, datetime) and value.utcoffset() is not None:
            return _iso_8601_in(value, zone)
        return field.to_representation(value)  # DRF's own handling of strings, dates and naive values

    return write


def _uuid_written(value: Any, zone: Any) -> str:
    return _uuid_text(value.int) if type(value) is UUID else str(value)


@lru_cache(maxsize=8192)
def _uuid_text(number: int) -> str:
    """``str`` of the UUID of this number, remembered: ``UUID.__str__`` is Python code (0.7 us), and answers
    name the same courses and runs again and again (a bulk status answer 20,000 times, about 200 distinct).
    Keyed by the number, whose hash is computed in C, where a UUID's ``__hash__`` is Python too."""
    return str(UUID(int=number))


def _writes_iso_8601(field: fields.DateTimeField) -> bool:
    """Whether the field writes ISO 8601 in the current time zone (no format or zone of its own)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return not hasattr(field, "timezone") and output_format is not None and output_format.lower() == ISO_8601


@lru_cache(maxsize=8192)
def _iso_8601_in(value: datetime, zone: ZoneInfo) -> str:
    """An aware datetime in ``zone``, as DRF writes it: remembered, since an answer names the same few
    dates many times (a program's runs start on a handful of days) and each one is asked for again by
    the next request; writing them was a sixth of a 30-course program's rendering (issue 17). Equal
    instants in other zones share an entry: they are the same text once moved to ``zone``."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
