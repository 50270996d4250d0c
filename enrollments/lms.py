"""The LMS client: transport only (no database writes, no retries, no business decisions).

A thin subclass of ``core.upstream.UpstreamClient`` (edx-rest-api-client's ``OAuthAPIClient``, the
timeouts from settings, logging, and the one typed error hierarchy shared with Discovery: retryable
timeout, 5xx, 429; permanent 401, 403 (``UpstreamForbidden``), 404 and other 4xx).
Shapes: docs/lms-apis.rst; a 2xx answer without the documented shape raises
``UpstreamInvalidResponse`` (never a ``KeyError``).
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings

from core.identifiers import is_lms_user_id, is_storable_email
from core.models import USERNAME_MAX_LENGTH
from core.parsers import unstorable_reason
from core.upstream import UpstreamClient
from enrollments.exceptions import (
    EnrollmentBackendNotConfigured,
    UpstreamInvalidResponse,
    UpstreamNotFound,
    UpstreamRejected,
)

log = logging.getLogger(__name__)

REQUIRED_SETTINGS = ("LMS_URL", "OAUTH2_PROVIDER_URL", "OAUTH2_CLIENT_ID", "OAUTH2_CLIENT_SECRET")


def missing_settings() -> list[str]:
    """The settings the LMS client needs that are unset or empty."""
    return [name for name in REQUIRED_SETTINGS if not getattr(settings, name, None)]


@dataclass(frozen=True)
class LmsAccount:
    username: str
    email: str
    id: int


@dataclass(frozen=True)
class LmsAccountProfile:
    """What the credit request needs of ``GET /api/user/v1/accounts/{username}`` ("" when the LMS has none)."""

    name: str
    country: str
    mailing_address: str


@dataclass(frozen=True)
class LmsEnrollment:
    """What the LMS answered for an enrollment write."""

    username: str
    course_run_key: str
    mode: str
    is_active: bool


@dataclass(frozen=True)
class LmsCertificate:
    """One row of ``GET /api/certificates/v0/certificates/{username}/``."""

    username: str
    course_run_key: str
    certificate_type: str
    status: str  # the LMS's status: downloadable, notpassing, unavailable, ...


@dataclass(frozen=True)
class LmsEnrollmentRecord:
    """One row of ``GET /api/enrollment/v1/enrollments/`` (``user`` is the username)."""

    username: str
    course_run_key: str
    mode: str
    is_active: bool


@dataclass(frozen=True)
class LmsGrade:
    """One row of ``GET /api/grades/v1/courses/{course_id}/``."""

    username: str
    course_run_key: str
    percent: float
    letter_grade: str
    passed: bool


def _invalid(path: str, what: str) -> UpstreamInvalidResponse:
    log.warning("lms_invalid_response", extra={"path": path, "problem": what})
    return UpstreamInvalidResponse(f"The LMS answered {path} with {what}")


def _account(row: Any, path: str, *, email: str | None = None) -> LmsAccount:
    """An LMS account (``username``, ``email``, integer ``id``; docs/lms-apis.rst), else ``UpstreamInvalidResponse``."""
    if not isinstance(row, dict):
        raise _invalid(path, f"an account that is not an object ({type(row).__name__})")
    username, row_email, user_id = row.get("username"), row.get("email") or email, row.get("id")
    if not isinstance(username, str) or not username:
        raise _invalid(path, "an account without a username")
    if len(username) > USERNAME_MAX_LENGTH or unstorable_reason(username):
        raise _invalid(path, "an account whose username this service cannot store")
    if not isinstance(row_email, str) or not row_email:
        raise _invalid(path, f"account {username!r} without an email")
    if not is_storable_email(row_email):
        raise _invalid(path, f"account {username!r} with an email this service cannot store")
    if not is_lms_user_id(user_id):
        raise _invalid(path, f"account {username!r} without an integer id")
    return LmsAccount(username=username, email=row_email.strip().lower(), id=user_id)


class LmsClient(UpstreamClient):
    """The LMS enrollment and account APIs. Safe to share between threads (one pooled session)."""

    name = "The LMS"
    log_name = "lms"

    def __init__(
        self,
        *,
        lms_url: str,
        oauth2_provider_url: str,
        client_id: str,
        client_secret: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        pool_size: int = 16,
    ) -> None:
        super().__init__(
            oauth2_provider_url=oauth2_provider_url,
            client_id=client_id,
            client_secret=client_secret,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            pool_size=pool_size,
        )
        self.lms_url = lms_url.rstrip("/")

    @classmethod
    def from_settings(cls) -> "LmsClient":
        """A client from the LMS settings; ``EnrollmentBackendNotConfigured`` naming every missing one."""
        missing = missing_settings()
        if missing:
            raise EnrollmentBackendNotConfigured(
                f"ENROLLMENT_BACKEND=lms needs these settings (environment variables): {', '.join(missing)}."
            )
        return cls(
            lms_url=settings.LMS_URL,
            oauth2_provider_url=settings.OAUTH2_PROVIDER_URL,
            client_id=settings.OAUTH2_CLIENT_ID,
            client_secret=settings.OAUTH2_CLIENT_SECRET,
            connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT_SECONDS,
            read_timeout=settings.UPSTREAM_READ_TIMEOUT_SECONDS,
        )

    # --- transport --------------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        """One call to ``path`` on the LMS; the parsed JSON body (``None`` when empty) of a 2xx answer."""
        return super()._request(method, f"{self.lms_url}{path}", params=params, json=json)

    def _pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[list[Any]]:
        """The ``results`` of each page of a DRF-paginated list, following ``next`` links on the LMS."""
        url_path: str | None = path
        while url_path is not None:
            body = self._request("GET", url_path, params=params)
            params = None  # a ``next`` link carries the query
            if isinstance(body, list):  # an unpaginated answer
                yield body
                return
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise _invalid(path, "a page without a results list")
            yield body["results"]
            next_url = body.get("next")
            if not next_url:
                return
            if not isinstance(next_url, str) or not next_url.startswith(self.lms_url + "/"):
                raise _invalid(path, "a next link outside the LMS")
            url_path = next_url[len(self.lms_url) :]

    # --- accounts ---------------------------------------------------------------------------------

    def accounts_search_emails(self, emails: list[str]) -> list[LmsAccount]:
        """The accounts among ``emails`` (staff-only batch endpoint). ``UpstreamNotFound`` when the LMS lacks it."""
        path = "/api/user/v1/accounts/search_emails"
        body = self._request("POST", path, json={"emails": emails})
        if not isinstance(body, list):
            raise _invalid(path, f"{type(body).__name__ if body is not None else 'an empty body'}, not a list")
        return [_account(row, path) for row in body]

    def account_by_email(self, email: str) -> LmsAccount | None:
        """The account with this email, ``None`` when the LMS knows none (unknown or retired)."""
        path = "/api/user/v1/accounts"
        try:
            body = self._request("GET", path, params={"email": email})
        except UpstreamNotFound:
            return None
        if body is None or body == []:
            return None
        if not isinstance(body, list | dict):
            raise _invalid(path, f"{type(body).__name__}, not a list of accounts")
        return _account(body[0] if isinstance(body, list) else body, path, email=email)

    def account_profile(self, username: str) -> LmsAccountProfile | None:
        """The account's full name, country code and mailing address; ``None`` when the LMS knows no such user.

        The LMS answers ``null`` for a country or mailing address never set; those become "".
        """
        path = f"/api/user/v1/accounts/{quote(username, safe='')}"
        try:
            body = self._request("GET", path)
        except UpstreamNotFound:
            return None
        if not isinstance(body, dict):
            raise _invalid(path, f"{type(body).__name__ if body is not None else 'an empty body'}, not an account")
        values: dict[str, str] = {}
        for field in ("name", "country", "mailing_address"):
            value = body.get(field)
            if value is None:
                value = ""
            if not isinstance(value, str) or unstorable_reason(value):
                raise _invalid(path, f"an account whose {field} is not a storable string")
            values[field] = value
        return LmsAccountProfile(**values)

    # --- enrollments ------------------------------------------------------------------------------

    def enrollment_set(self, *, username: str, course_run_key: str, mode: str, is_active: bool = True) -> LmsEnrollment:
        """Enroll (or with ``is_active=False`` unenroll). The LMS answers 200 for new and existing ones."""
        path = "/api/enrollment/v1/enrollment"
        body = self._request(
            "POST",
            path,
            json={
                "user": username,
                "mode": mode,
                "is_active": is_active,
                "course_details": {"course_id": course_run_key},
                "force_enrollment": False,
            },
        )
        if not isinstance(body, dict):
            raise _invalid(path, f"{type(body).__name__ if body is not None else 'an empty body'}, not an enrollment")
        details = body.get("course_details") or {}
        answered_mode = body.get("mode") or mode
        if not isinstance(body.get("is_active"), bool):
            raise _invalid(path, "an enrollment without a boolean is_active")
        if not isinstance(answered_mode, str) or not isinstance(details, dict):
            raise _invalid(path, "an enrollment whose mode or course_details has the wrong type")
        return LmsEnrollment(
            username=body.get("user") or username,
            course_run_key=details.get("course_id") or course_run_key,
            mode=answered_mode,
            is_active=body["is_active"],
        )

    def enrollment_allowed_create(self, *, email: str, course_run_key: str) -> bool:
        """Let a not-yet-registered email enroll on registration. True when created, False when it existed (409)."""
        try:
            self._request(
                "POST",
                "/api/enrollment/v1/enrollment_allowed/",
                json={"email": email, "course_id": course_run_key, "auto_enroll": True},
            )
        except UpstreamRejected as exc:
            if exc.status_code == 409:
                return False
            raise
        return True

    # --- learner records (backfill) ---------------------------------------------------------------

    def certificates_for_user(self, username: str) -> list[LmsCertificate]:
        """Every certificate the LMS holds for the learner (any status); ``[]`` for an unknown learner."""
        path = f"/api/certificates/v0/certificates/{quote(username, safe='')}/"
        try:
            rows = [row for page in self._pages(path) for row in page]
        except UpstreamNotFound:
            return []
        certificates = []
        for row in rows:
            if not isinstance(row, dict) or not all(
                isinstance(row.get(key), str) for key in ("course_id", "certificate_type", "status")
            ):
                raise _invalid(path, "a certificate without course_id, certificate_type and status")
            certificates.append(
                LmsCertificate(
                    username=row.get("username") or username,
                    course_run_key=row["course_id"],
                    certificate_type=row["certificate_type"],
                    status=row["status"],
                )
            )
        return certificates

    def enrollments_list(
        self, *, username: str | None = None, course_run_key: str | None = None
    ) -> Iterator[LmsEnrollmentRecord]:
        """The LMS's enrollments of a learner or of a run (staff endpoint, paginated), page by page."""
        path = "/api/enrollment/v1/enrollments/"
        params = {key: value for key, value in (("username", username), ("course_id", course_run_key)) if value}
        for page in self._pages(path, params):
            for row in page:
                if not isinstance(row, dict) or not isinstance(row.get("user"), str):
                    raise _invalid(path, "an enrollment without a user")
                if not isinstance(row.get("course_id"), str) or not isinstance(row.get("is_active"), bool):
                    raise _invalid(path, "an enrollment without course_id or a boolean is_active")
                yield LmsEnrollmentRecord(
                    username=row["user"],
                    course_run_key=row["course_id"],
                    mode=str(row.get("mode") or "audit"),
                    is_active=row["is_active"],
                )

    def grades_for_course_run(self, course_run_key: str) -> Iterator[LmsGrade]:
        """Every enrolled learner's current grade in the run (paginated), page by page."""
        path = f"/api/grades/v1/courses/{quote(course_run_key, safe=':+')}/"
        for page in self._pages(path):
            for row in page:
                percent = row.get("percent") if isinstance(row, dict) else None
                if not isinstance(row, dict) or not isinstance(row.get("username"), str):
                    raise _invalid(path, "a grade without a username")
                if not isinstance(percent, int | float) or isinstance(percent, bool):
                    raise _invalid(path, "a grade without a numeric percent")
                yield LmsGrade(
                    username=row["username"],
                    course_run_key=str(row.get("course_id") or course_run_key),
                    percent=float(percent),
                    letter_grade=str(row.get("letter_grade") or ""),
                    passed=bool(row.get("passed")),
                )
