"""Errors of the enrollments app: LMS transport failures (typed, so callers can tell retryable ones)."""


class UpstreamError(Exception):
    """The LMS call did not succeed. ``status_code`` is the HTTP status when the LMS answered."""

    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, body: object = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class UpstreamTimeout(UpstreamError):
    retryable = True


class UpstreamUnavailable(UpstreamError):
    """Connection refused or reset, or a 5xx answer."""

    retryable = True


class UpstreamRateLimited(UpstreamError):
    retryable = True


class UpstreamUnauthorized(UpstreamError):
    """401, or the OAuth2 token could not be obtained with our client credentials."""


class UpstreamNotFound(UpstreamError):
    """404."""


class UpstreamRejected(UpstreamError):
    """Any other 4xx (400 bad course, 403 not allowed, 406 unknown user, 409 duplicate ...)."""
