"""OpenAPI: the JWT security scheme and the error responses every operation can give.

Views declare their success responses; the error envelope (docs/decisions/0002-error-response-format.rst)
is added here once, so no view can forget to document a 401 or a 400.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

ERROR_SCHEMA = {
    "type": "object",
    "description": "The error envelope of every failure (ADR 0002).",
    "required": ["type", "code", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "code": {"type": "string", "description": "Stable machine-readable slug."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "Human-readable message."},
        "instance": {"type": "string"},
        "reason": {"type": "string", "description": "The precise case, where one applies."},
        "errors": {
            "type": "object",
            "description": 'Messages by field path; list items by index ("3.username").',
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "more_errors": {
            "type": "integer",
            "description": "How many further field paths failed: errors lists at most the first 50.",
        },
    },
}

# For views' own declarations; the hook gives them the envelope as body.
LEARNER_IDENTITY_CONFLICT = OpenApiResponse(
    description="The username is held by another LMS user id (docs/decisions/0003-learner-identity.rst)."
)

_ERRORS = {
    "400": "Malformed input: the envelope's errors name each offending field.",
    "401": "Missing, invalid or expired credentials.",
    "403": "Authenticated, but not allowed.",
    "404": "Unknown object (or, for a list, a page that does not exist).",
    "414": "The query string is over MAX_QUERY_STRING_BYTES (code uri-too-long).",
    "429": "Throttled.",
    "503": "The database does not answer (code database-unavailable); try again after Retry-After seconds.",
}
_WRITES = {"post", "put", "patch", "delete"}


class LearnerJwtScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "core.authentication.LearnerJwtAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`JWT <token>`: a JWT from the LMS's OAuth2 provider (`create_dev_jwt` locally).",
        }


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOK: document the error envelope on every operation that can answer it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            anonymous = {} in operation.get("security", [{}])
            codes = ["429", "503"]
            if method in _WRITES or operation.get("parameters"):
                codes.append("400")
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.append("414")  # RequestSizeLimitMiddleware, before any view runs
            if not anonymous:
                codes += ["401", "403"]
            elif method in _WRITES:
                codes.append("403")  # a signature-checked call (the credit provider callback)
            if "{" in path or any(p.get("name") == "page" for p in operation.get("parameters", [])):
                codes.append("404")  # an unknown object, or a page past the end
            for code, response in responses.items():
                # A view declares its own 409/503 by description only; the body is the envelope.
                if code[0] in "45" and "content" not in response:
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            for code in sorted(codes):
                responses.setdefault(
                    code,
                    {
                        "description": _ERRORS[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
