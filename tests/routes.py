"""The project's URL routes, for tests that must cover every one of them (the authorization matrix, the
query ceilings of every read)."""

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name or ''}".strip(":")
            yield prefix + str(entry.pattern), name, entry.callback


def resolver_routes() -> list[tuple[str, str, Any]]:
    """Every URL pattern of the project: (route, namespaced name, view callable)."""
    return list(_walk(get_resolver().url_patterns))
