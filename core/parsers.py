"""The JSON parser of every API view: the standard one, refusing NUL characters anywhere in the body.

PostgreSQL cannot store U+0000 in text or jsonb, so a NUL that reached a query would be a 500 there
and silently stored on SQLite. Refusing it while parsing gives every endpoint the same 400, naming
where the NUL was, before any view or service sees the data.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NUL = "\x00"


def nul_path(data: Any) -> str | None:
    """The dotted path (``"3.email"``, list items by index) of the first string holding a NUL, else None."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path or "(body)"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    return child
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        where = nul_path(data)
        if where is not None:
            raise ParseError(f"JSON parse error - {where}: NUL (\\u0000) characters are not allowed.")
        return data
