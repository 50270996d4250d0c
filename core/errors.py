"""One JSON error shape for every failure (docs/decisions/0002-error-response-format.rst).

The envelope is the Open edX standard one (edx-drf-extensions, ADR 0029) with two additions:
``code``, a stable machine-readable slug, and ``errors`` keyed by the *path* of each offending
field, so an item of a list body is named by its index (``"3.username"``).
"""

import logging
import sys
from itertools import islice
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from edx_rest_framework_extensions import errors as edx_errors
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DATABASE_ERRORS, Conflict, DatabaseUnavailable

log = logging.getLogger(__name__)

#: The most entries ``errors`` lists; ``more_errors`` counts the ones left out.
MAX_LISTED_ERRORS = 50


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this service accepts."
    default_code = "payload_too_large"


def register_error_types() -> None:
    """Give the exceptions the Open edX catalog does not know their own slugs."""
    for exc_class, slug, title in (
        (exceptions.MethodNotAllowed, "method-not-allowed", "Method Not Allowed"),
        (exceptions.ParseError, "parse-error", "Malformed Request"),
        (exceptions.UnsupportedMediaType, "unsupported-media-type", "Unsupported Media Type"),
        (exceptions.NotAcceptable, "not-acceptable", "Not Acceptable"),
        (PayloadTooLarge, "payload-too-large", "Payload Too Large"),
        (Conflict, "conflict", "Conflict"),
        (DatabaseUnavailable, "database-unavailable", "Database Unavailable"),
        # DRF raises Django's Http404 itself (e.g. ``?format=`` naming no renderer).
        (Http404, "not-found", "Not Found"),
    ):
        edx_errors.register_error_type(exc_class, slug, title)


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF validation detail into ``{"path.to.field": [messages]}``; list items by index."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "non_field_errors" if key in ("non_field_errors", "__all__") and not prefix else str(key)
            flat.update(field_errors(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _first_message(errors: dict[str, list[str]]) -> str:
    path, messages = next(iter(errors.items()))
    return messages[0] if path == "non_field_errors" else f"{path}: {messages[0]}"


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every error, including unexpected ones, as the JSON envelope."""
    request = context.get("request")
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DATABASE_ERRORS):
        _log_database_unavailable(exc, getattr(request, "path", None))
        exc = DatabaseUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled_exception", extra={"path": getattr(request, "path", None)}, exc_info=exc)
        response = Response(status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        response.data = error_body(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "internal",
            "Internal Server Error",
            "An unexpected error occurred.",
            getattr(request, "path", None),
        )
        return response

    body = edx_errors.build_error_envelope(exc, response, request=request)
    body["code"] = body["type"].rsplit("/", 1)[-1]
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        if len(errors) > MAX_LISTED_ERRORS:
            # A bulk body can fail in thousands of places; the first ones say what is wrong.
            body["more_errors"] = len(errors) - MAX_LISTED_ERRORS
            errors = dict(islice(errors.items(), MAX_LISTED_ERRORS))
        body["errors"] = errors
        if errors:
            body["detail"] = _first_message(errors)
    elif isinstance(exc, exceptions.APIException) and exc.default_code not in ("error", None):
        codes = exc.get_codes()
        if isinstance(codes, str) and codes != body["code"]:
            body["reason"] = codes
    response.data = body
    response["Content-Type"] = "application/json"
    return response


def error_body(status_code: int, code: str, title: str, detail: str, path: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": edx_errors.error_type_uri(code),
        "code": code,
        "title": title,
        "status": status_code,
        "detail": detail,
    }
    if path:
        body["instance"] = path
    return body


def json_error(request: HttpRequest, status_code: int, code: str, title: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, title, detail, request.path), status=status_code)


# Django-level handlers: URLs no view matched, CSRF failures and crashes outside DRF.
def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(request, 400, "bad-request", "Bad Request", "The request could not be understood.")


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(request, 403, "authz", "Permission Denied", "You may not access this resource.")


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(request, 404, "not-found", "Not Found", "No resource exists at this address.")


def handler500(request: HttpRequest) -> JsonResponse:
    """Crashes outside DRF views (middleware, sign-in pages, the console); a database outage is the 503."""
    exc = sys.exc_info()[1]  # Django calls this handler while handling the exception
    if isinstance(exc, DATABASE_ERRORS):
        _log_database_unavailable(exc, request.path)
        unavailable = DatabaseUnavailable()
        body = error_body(
            unavailable.status_code,
            "database-unavailable",
            "Database Unavailable",
            str(unavailable.detail),
            request.path,
        )
        body["reason"] = unavailable.default_code
        response = JsonResponse(body, status=unavailable.status_code)
        response["Retry-After"] = str(unavailable.wait)
        return response
    return json_error(request, 500, "internal", "Internal Server Error", "An unexpected error occurred.")


def _log_database_unavailable(exc: BaseException, path: str | None) -> None:
    log.error("database_unavailable", extra={"path": path, "error": f"{type(exc).__name__}: {exc}"})


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return json_error(request, 403, "csrf", "CSRF Verification Failed", f"CSRF verification failed: {reason}")
