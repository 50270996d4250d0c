"""The JSON parser of every API view: the standard one, refusing what no database or signature can hold.

Refused while parsing, so every endpoint gives the same 400 naming where the value was, before any
view, service or signature check sees the data:

- NUL (U+0000): PostgreSQL cannot store it in text or jsonb (a 500 there, silently stored on SQLite);
- unpaired surrogates (``"\\ud800"``): valid JSON escapes, but not encodable as UTF-8, so they break
  PostgreSQL, HMAC signatures and the response renderer alike;
- nesting deeper than ``MAX_DEPTH``: no request of this API needs it, and deep enough nesting
  exhausts Python's recursion limit in the decoder, the database adapter and the renderer.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NUL = "\x00"
MAX_DEPTH = 32


def unstorable_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if NUL in text:
        return "NUL (\\u0000) characters are not allowed."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "unpaired surrogate characters (\\ud800-\\udfff) are not allowed."
    return None


def unstorable_value(data: Any) -> str | None:
    """``"<dotted path>: <reason>"`` for the first string or key that cannot be stored, else None.

    List items are named by index (``"3.email"``); the body itself is ``(body)``.
    """
    stack: list[tuple[str, int, Any]] = [("", 0, data)]
    while stack:
        path, depth, value = stack.pop()
        if depth > MAX_DEPTH:
            return f"{path or '(body)'}: nested more than {MAX_DEPTH} levels deep."
        if isinstance(value, str):
            reason = unstorable_reason(value)
            if reason:
                return f"{path or '(body)'}: {reason}"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                reason = unstorable_reason(key)
                if reason:
                    return f"{child!r}: {reason}"
                stack.append((child, depth + 1, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), depth + 1, item) for index, item in enumerate(value)
            )
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.") from exc
        problem = unstorable_value(data)
        if problem is not None:
            raise ParseError(f"JSON parse error - {problem}")
        return data
