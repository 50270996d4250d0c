"""Request checks that apply to every URL, before any view runs."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import is_valid_path

from core.errors import json_error
from core.parsers import NUL


class RefuseNulMiddleware:
    """A NUL character in the path or the query string is a JSON 400 for every view.

    URL segments and query parameters go straight into lookups (usernames, provider ids, search
    boxes); PostgreSQL refuses U+0000 in text, so without this each of them would be a 500 there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info or any(
            NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()
        ):
            return json_error(
                request, 400, "bad-request", "Bad Request", "NUL (%00) characters are not allowed in the URL."
            )
        return self.get_response(request)


class JsonApiNotFoundMiddleware:
    """Under ``/api/`` an unmatched URL is the JSON 404 also when DEBUG shows Django's HTML page.

    ``handler404`` already answers JSON when DEBUG is off; ``make run`` has DEBUG on, and API
    clients must never get HTML. Resolver 404s only: views answer their own 404s in JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") and _needs_trailing_slash(request.path_info):
            # CommonMiddleware would redirect (turning a followed POST into a GET) or, with DEBUG,
            # raise; an API client needs to be told which URL it meant.
            return json_error(
                request, 404, "not-found", "Not Found", f"API URLs end with a slash: {request.path_info}/"
            )
        response = self.get_response(request)
        if (
            response.status_code == 404
            and getattr(request, "resolver_match", None) is None  # no view ran: the resolver's 404
            and request.path_info.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return json_error(request, 404, "not-found", "Not Found", "No resource exists at this address.")
        return response


def _needs_trailing_slash(path: str) -> bool:
    """An ``/api/`` path that no view serves, but that one would serve with a slash appended."""
    if not path.startswith("/api/") or path.endswith("/"):
        return False
    return not is_valid_path(path) and bool(is_valid_path(f"{path}/"))


class RequestSizeLimitMiddleware:
    """An over-long query string is a JSON 414, an over-long header a JSON 431, before any view runs.

    The limits (``MAX_QUERY_STRING_BYTES``, ``MAX_REQUEST_HEADER_BYTES`` per header value and
    ``MAX_REQUEST_HEADERS_TOTAL_BYTES`` for all of them) sit below gunicorn's (gunicorn.conf.py), which
    would answer an HTML page: API clients get the JSON error envelope instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query_bytes = len(request.META.get("QUERY_STRING", ""))
        if query_bytes > settings.MAX_QUERY_STRING_BYTES:
            return json_error(
                request,
                414,
                "uri-too-long",
                "URI Too Long",
                f"The query string has {query_bytes} bytes; at most {settings.MAX_QUERY_STRING_BYTES} are accepted.",
            )
        headers = [(name, value) for name, value in request.META.items() if _is_header(name)]
        longest = max(headers, key=lambda header: len(header[1]), default=None)
        total = sum(len(value) for _, value in headers)
        if longest is not None and len(longest[1]) > settings.MAX_REQUEST_HEADER_BYTES:
            detail = (
                f"The {_header_name(longest[0])} header has {len(longest[1])} bytes; "
                f"at most {settings.MAX_REQUEST_HEADER_BYTES} are accepted."
            )
        elif total > settings.MAX_REQUEST_HEADERS_TOTAL_BYTES:
            detail = f"The headers have {total} bytes; at most {settings.MAX_REQUEST_HEADERS_TOTAL_BYTES} are accepted."
        else:
            return self.get_response(request)
        return json_error(request, 431, "request-header-fields-too-large", "Request Header Fields Too Large", detail)


def _is_header(meta_key: str) -> bool:
    return meta_key.startswith("HTTP_") or meta_key in ("CONTENT_TYPE", "CONTENT_LENGTH")


def _header_name(meta_key: str) -> str:
    """``HTTP_X_FORWARDED_FOR`` -> ``X-Forwarded-For``."""
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


class ReleaseRenderedResponseMiddleware:
    """Once a DRF response is written, untie it from the view, so that its answer is freed with it.

    DRF ties each response into reference cycles: its renderer context names the view and the response
    itself, and the view keeps the response. Reference counting cannot free a cycle, so every answer's data
    (a 100-course program status is over 5,000 dicts and lists) waited for the cyclic garbage collector,
    aging through its generations and scanned at each collection on the way (issue 17). Outermost but for
    the request id: the middlewares inside it have seen the response; the content is written, so the view
    and the renderer context are no longer needed (``response.data`` stays, for the test client).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        context = getattr(response, "renderer_context", None)
        if context is not None and getattr(response, "_is_rendered", False):
            view = context.pop("view", None)
            context.pop("response", None)
            if getattr(view, "response", None) is response:
                del view.response
        return response
