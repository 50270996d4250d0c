"""Authorization matrix: every operation of the service x every kind of caller.

The rows are enumerated against the service itself: the API operations must be exactly the
operations of the OpenAPI schema generator, every other URL of the resolver must be a page row, and
every model registered in the admin gets its rows. A new operation without a row fails
``test_every_operation_has_a_row``.

Who may do what comes from the role table of the service API contract
(docs/roles.rst) and the permission modules (core.permissions,
credentials_status/credit/programs ``rest_api.v1.permissions``):

* a denied API cell answers 401 (anonymous) or 403 (signed in), never anything else;
* a denied page cell (support console, admin) sends an anonymous visitor to a login page and answers
  a signed-in one with 403 (console) or its login page (admin, for anyone without stored staff);
* an allowed cell answers neither 401 nor 403 nor any 5xx.

API callers send real JWTs (staff: the ``administrator`` claim); page callers sign in with a session
(staff: a superuser, as ``createsuperuser`` makes). "self" is the learner the request is about; every
learner-scoped row asks about ``SELF``.
"""

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.jwt import encode_jwt
from core.models import User
from credit.signature import signature
from tests.attack.world import (
    ANONYMOUS,
    CALLERS,
    CREDIT_ADMINS,
    ENROLLERS,
    ISSUERS,
    OTHER,
    PATH_VALUES,
    PROGRAM_UUID,
    PROVIDER_SECRET,
    PUBLISHERS,
    READERS_ROLE,
    REQUEST_UUID,
    RETIREMENT,
    RUN_KEY,
    SELF,
    SELF_LMS_ID,
    SELF_USERNAME,
    STAFF,
    WORKER,
)
from tests.routes import resolver_routes

ABOUT_SELF = {"username": SELF_USERNAME}

# --- who is allowed: sets of callers -----------------------------------------------------------
EVERYONE = frozenset(CALLERS)
SIGNED_IN = EVERYONE - {ANONYMOUS}
NOBODY: frozenset[str] = frozenset()
READERS = frozenset({READERS_ROLE, WORKER, STAFF})  # learner_status_readers (workers hold it too) and staff


def role(name: str) -> frozenset[str]:
    """Holders of one role, and staff (who hold every role)."""
    return frozenset({name, STAFF})


def signed_callback(valid: bool) -> Callable[[], dict[str, Any]]:
    """The provider's approval of REQUEST_UUID, signed now with its secret (or with another one)."""

    def body() -> dict[str, Any]:
        params: dict[str, Any] = {"request_uuid": REQUEST_UUID, "status": "approved", "timestamp": int(time.time())}
        params["signature"] = signature(params, PROVIDER_SECRET if valid else "not-the-secret")
        return params

    return body


@dataclasses.dataclass(frozen=True)
class Op:
    """One row: an operation (method and path template as the schema or the resolver names it) and who may call it.

    ``body`` is JSON, or a callable returning it at call time; ``form`` is a form body (the console's
    forms). ``case`` tells two rows of the same operation apart (the signed and the unsigned credit
    callback, the console's LMS check and its apply).
    """

    method: str
    path: str
    allowed: frozenset[str]
    body: Any = None
    query: dict[str, Any] | None = None
    case: str = ""
    form: dict[str, str] | None = None

    @property
    def operation(self) -> tuple[str, str]:
        return (self.method, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}{f' ({self.case})' if self.case else ''}"

    def url(self) -> str:
        path = self.path.format(**PATH_VALUES)
        return f"{path}?{urlencode(self.query)}" if self.query else path


# --- the API: one row per operation of the OpenAPI schema --------------------------------------
CALLBACK = "/api/credit/v1/providers/{provider_id}/callback/"
CERT_QUERY = {"username": SELF_USERNAME, "course_runs": [RUN_KEY]}
API = [
    Op("GET", "/health/", EVERYONE),
    # Learner status (a learner reads their own; readers and staff anyone's).
    Op("POST", "/api/credentials/v1/learner_cert_status/", READERS | {SELF}, CERT_QUERY),
    Op("POST", "/api/credentials/v1/bulk_learner_cert_status/", READERS | {SELF}, [CERT_QUERY]),
    Op(
        "POST",
        "/api/credentials/v1/learner_program_status/",
        READERS | {SELF},
        {"username": SELF_USERNAME, "program_uuid": PROGRAM_UUID},
    ),
    Op("GET", "/api/credentials/v1/learners/{username}/programs/", READERS | {SELF}),
    # Learner records ingest (credential_issuers).
    Op(
        "POST",
        "/api/credentials/v1/course_run_credentials/",
        role(ISSUERS),
        {"username": SELF_USERNAME, "course_run_key": RUN_KEY, "status": "awarded", "type": "verified"},
    ),
    Op(
        "POST",
        "/api/credentials/v1/grades/",
        role(ISSUERS),
        {
            "username": SELF_USERNAME,
            "course_run_key": RUN_KEY,
            "letter_grade": "A",
            "percent_grade": 0.9,
            "verified": True,
        },
    ),
    Op(
        "POST",
        "/api/enrollments/v1/enrollments/",
        role(ISSUERS),
        {"username": SELF_USERNAME, "course_run_key": RUN_KEY, "mode": "verified", "is_active": True},
    ),
    # Bulk enrollment (enrollment_admins).
    Op(
        "POST",
        "/api/enrollments/v1/bulk_enroll/",
        role(ENROLLERS),
        {"enrollments_info": [{"email": "ana@example.com", "course_run_key": RUN_KEY}]},
    ),
    # The signed-in learner's own programs (learner pages' JSON): every signed-in caller is a learner.
    Op("GET", "/api/credentials/v1/learners/me/programs/", SIGNED_IN),
    # The same handler at edx-enterprise's path, as license-manager calls it.
    Op(
        "POST",
        "/enterprise/api/v1/enterprise-customer/{enterprise_customer_uuid}/enroll_learners_in_courses/",
        role(ENROLLERS),
        {"licenses_info": [{"email": "ana@example.com", "course_run_key": RUN_KEY}], "notify": False},
    ),
    # The catalog: any signed-in caller reads it; catalog_publishers write it and run syncs.
    Op("GET", "/api/programs/v1/organizations/", SIGNED_IN),
    Op("GET", "/api/programs/v1/courses/", SIGNED_IN),
    Op("GET", "/api/programs/v1/course_runs/", SIGNED_IN),
    Op("PUT", "/api/programs/v1/course_runs/{course_run_key}/", role(PUBLISHERS), {"title": "Demo"}),
    Op("DELETE", "/api/programs/v1/course_runs/{course_run_key}/", role(PUBLISHERS)),
    Op("GET", "/api/programs/v1/programs/", SIGNED_IN),
    Op("POST", "/api/programs/v1/programs/", role(PUBLISHERS), {"title": "New program", "courses": ["edX+DemoX"]}),
    Op("GET", "/api/programs/v1/programs/{uuid}/", SIGNED_IN),
    Op("PATCH", "/api/programs/v1/programs/{uuid}/", role(PUBLISHERS), {"title": "Renamed"}),
    Op("DELETE", "/api/programs/v1/programs/{uuid}/", role(PUBLISHERS)),
    Op("PUT", "/api/programs/v1/programs/{uuid}/excluded_course_runs/", role(PUBLISHERS), {"course_run_keys": []}),
    Op("GET", "/api/programs/v1/syncs/", role(PUBLISHERS)),
    Op("POST", "/api/programs/v1/syncs/", role(PUBLISHERS), {"dry_run": True}),
    Op("GET", "/api/programs/v1/syncs/{sync_id}/", role(PUBLISHERS)),
    # Credit: configuration reads need a login, writes credit_admins; learner data as the learner's status,
    # plus credit_admins (granted by credit.rest_api.v1.permissions.IsCreditReaderOrSelf; see issue 10 item 9).
    Op("GET", "/api/credit/v1/providers/", SIGNED_IN),
    Op("POST", "/api/credit/v1/providers/", role(CREDIT_ADMINS), {"provider_id": "newprov", "display_name": "New"}),
    Op("GET", "/api/credit/v1/providers/{provider_id}/", SIGNED_IN),
    Op("PATCH", "/api/credit/v1/providers/{provider_id}/", role(CREDIT_ADMINS), {"display_name": "Hogwarts"}),
    Op("GET", "/api/credit/v1/courses/{course_key}/", SIGNED_IN),
    Op("PUT", "/api/credit/v1/courses/{course_key}/", role(CREDIT_ADMINS), {"enabled": True}),
    Op("GET", "/api/credit/v1/courses/{course_key}/requirements/", SIGNED_IN),
    Op(
        "PUT",
        "/api/credit/v1/courses/{course_key}/requirements/",
        role(CREDIT_ADMINS),
        [{"namespace": "grade", "name": "grade", "display_name": "Grade", "criteria": {"min_grade": 0.8}}],
    ),
    Op(
        "GET",
        "/api/credit/v1/courses/{course_key}/requirements/status/",
        READERS | {SELF, CREDIT_ADMINS},
        query=ABOUT_SELF,
    ),
    Op(
        "PUT",
        "/api/credit/v1/courses/{course_key}/requirements/status/",
        role(CREDIT_ADMINS),
        {"username": SELF_USERNAME, "namespace": "grade", "name": "grade", "status": "satisfied", "reason": {}},
    ),
    Op(
        "DELETE",
        "/api/credit/v1/courses/{course_key}/requirements/status/",
        role(CREDIT_ADMINS),
        {"username": SELF_USERNAME, "namespace": "grade", "name": "grade"},
    ),
    Op("GET", "/api/credit/v1/eligibility/", READERS | {SELF, CREDIT_ADMINS}, query=ABOUT_SELF),
    Op("GET", "/api/credit/v1/requests/", READERS | {SELF, CREDIT_ADMINS}, query=ABOUT_SELF),
    # A credit request sends the learner's name and email to the provider: the learner or staff only.
    Op(
        "POST",
        "/api/credit/v1/providers/{provider_id}/request/",
        frozenset({SELF, STAFF}),
        {"username": SELF_USERNAME, "course_key": RUN_KEY},
    ),
    # The provider callback has no login: the signature is the authentication, whoever sends it.
    Op("POST", "/api/credit/v1/providers/{provider_id}/callback/", EVERYONE, signed_callback(True), case="signed"),
    Op(
        "POST", "/api/credit/v1/providers/{provider_id}/callback/", NOBODY, signed_callback(False), case="bad signature"
    ),
    # Retirement and username replacement rewrite or erase an identity: the retirement service worker and
    # superusers only (a JWT's administrator claim makes staff, not a superuser).
    Op(
        "POST",
        "/api/v1/retire_user/",
        frozenset({RETIREMENT}),
        {"lms_user_id": SELF_LMS_ID, "original_username": SELF_USERNAME},
    ),
    Op(
        "POST",
        "/api/v1/replace_usernames/",
        frozenset({RETIREMENT}),
        {"username_mappings": [{OTHER: "other_learner_renamed"}]},
    ),
]

# --- pages outside the schema: URL names of the resolver -> row ---------------------------------
CONSOLE = READERS  # support console: learner_status_readers (workers too) and staff
PAGES = {
    "api-schema": Op("GET", "/api/schema/", EVERYONE),
    "api-docs": Op("GET", "/api/docs/", EVERYONE),
    "api-redoc": Op("GET", "/api/redoc/", EVERYONE),
    "login": Op("GET", "/login/", EVERYONE),
    "logout": Op("POST", "/logout/", EVERYONE),
    "support:login": Op("GET", "/support/login/", EVERYONE),
    "support:logout": Op("POST", "/support/logout/", EVERYONE),
    "support:search": Op("GET", "/support/", CONSOLE, query={"q": SELF_USERNAME}),
    "support:learner": Op("GET", "/support/learners/{username}/", CONSOLE),
    "support:learner_lms_check": Op("POST", "/support/lms-check/{username}/", CONSOLE, case="check"),
    # Applying the LMS's records writes credentials, grades and enrollments: credential_issuers who can
    # open the console, and staff (no caller of the matrix holds both roles).
    "support:learner_lms_check (apply)": Op(
        "POST", "/support/lms-check/{username}/", frozenset({STAFF}), form={"apply": "1"}, case="apply"
    ),
    "support:programs": Op("GET", "/support/programs/", CONSOLE),
    # social-auth-app-django's routes (LMS sign-in; docs/decisions/0013): public steps of the OAuth2 flow.
    "social:begin": Op("GET", "/login/{backend}/", EVERYONE),
    "social:complete": Op("GET", "/complete/{backend}/", EVERYONE),
    "social:idp_launch": Op("GET", "/idp-launch/{backend}/", EVERYONE),
    "social:app_launch": Op("GET", "/app-launch/{backend}/", EVERYONE),
    "social:disconnect": Op("POST", "/disconnect/{backend}/", SIGNED_IN),
    "social:disconnect_individual": Op("POST", "/disconnect/{backend}/{association_id}/", SIGNED_IN),
    "learner_portal:login": Op("GET", "/learner/login/", EVERYONE),
    "learner_portal:logout": Op("POST", "/learner/logout/", EVERYONE),
    "learner_portal:programs": Op("GET", "/learner/programs/", SIGNED_IN),
    "learner_portal:program": Op("GET", "/learner/programs/{uuid}/", SIGNED_IN),
    "support:program": Op("GET", "/support/programs/{uuid}/", CONSOLE),
}


def admin_rows() -> list[Op]:
    """The admin site: its index, and the list page (and add page, where a superuser may add) of every
    registered model: stored staff only."""
    superuser = RequestFactory().get("/admin/")
    superuser.user = User(username="probe", is_active=True, is_staff=True, is_superuser=True)
    rows = [Op("GET", "/admin/", frozenset({STAFF})), Op("GET", "/admin/login/", EVERYONE)]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        rows.append(Op("GET", reverse(f"{name}_changelist"), frozenset({STAFF})))
        if model_admin.has_add_permission(superuser):
            rows.append(Op("GET", reverse(f"{name}_add"), frozenset({STAFF})))
    return rows


# --- the service's own list of operations ------------------------------------------------------
def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}


def test_every_operation_has_a_row() -> None:
    """The API rows are exactly the schema's operations; every other route is a page row or the admin's."""
    rows = {op.operation for op in API}
    operations = schema_operations()
    assert sorted(operations - rows) == [], "operations of the OpenAPI schema without a matrix row"
    assert sorted(rows - operations) == [], "matrix rows for operations the schema no longer has"

    # Every method of every DRF view is in the schema (a view hidden from the schema has no row).
    endpoints = {(method, path) for path, _, method, _ in EndpointEnumerator().get_api_endpoints()}
    pages = {op.operation for op in PAGES.values()}  # the schema and docs views are DRF views too
    assert sorted(endpoints - operations - pages) == [], "API endpoints missing from the OpenAPI schema"

    # Every other route of the resolver (Django views) is a page row; the admin's come from its registry.
    uncovered = [
        (route, name)
        for route, name, callback in resolver_routes()
        if name.split(":")[0] != "admin"
        and name not in PAGES
        and not (isinstance(getattr(callback, "cls", None), type) and issubclass(callback.cls, APIView))
    ]
    assert uncovered == [], "routes neither in the OpenAPI schema nor in PAGES"


# --- the cells ---------------------------------------------------------------------------------
def _username(caller: str) -> str:
    return SELF_USERNAME if caller == SELF else caller


def api_client(caller: str) -> APIClient:
    client = APIClient()
    if caller != ANONYMOUS:
        lms_user_id = SELF_LMS_ID if caller == SELF else None
        token = encode_jwt(username=_username(caller), lms_user_id=lms_user_id, administrator=caller == STAFF)
        client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    return client


def page_client(caller: str) -> Client:
    client = Client()
    if caller == STAFF:
        user, _ = User.objects.get_or_create(username="staff_admin", defaults={"is_staff": True, "is_superuser": True})
        client.force_login(user)
    elif caller != ANONYMOUS:
        client.force_login(User.objects.get(username=_username(caller)))
    return client


def call(client: Client, op: Op) -> Any:
    """Send the row's request (a JSON body when it has one) with a client of either kind."""
    method = getattr(client, op.method.lower())
    if op.form is not None:
        return method(op.url(), op.form)
    if op.body is None:
        return method(op.url())
    body = op.body() if callable(op.body) else op.body
    return method(op.url(), json.dumps(body), content_type="application/json")


def api_mismatch(op: Op, caller: str, status: int) -> str | None:
    expected_denial = 401 if caller == ANONYMOUS else 403
    if op.path == CALLBACK:
        expected_denial = 403  # no login at all: a bad signature is a 403 for everyone
    if status >= 500:
        return f"{status} (a server error)"
    if caller in op.allowed:
        return f"{status} (denied an allowed caller)" if status in (401, 403) else None
    return None if status == expected_denial else f"{status} (expected {expected_denial})"


def page_mismatch(op: Op, caller: str, response: Any) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status} (a server error)"
    to_login = status == 302 and "login" in response["Location"] and not op.path.endswith("/logout/")
    if caller in op.allowed:
        return f"{status} (denied an allowed caller)" if status in (401, 403) or to_login else None
    if caller == ANONYMOUS or op.path.startswith("/admin/"):
        return None if to_login else f"{status} (expected a redirect to the login page)"
    return None if status == 403 else f"{status} (expected 403)"


def _cells(rows: list[Op], check: Callable[[Op, str], str | None]) -> list[str]:
    return [f"{op} as {caller}: {problem}" for op in rows for caller in CALLERS if (problem := check(op, caller))]


@pytest.mark.parametrize("op", API, ids=str)
def test_api_operation(op: Op, world: None) -> None:
    """Each caller of the row: allowed ones get neither 401/403 nor a 5xx, denied ones 401 or 403."""
    mismatches = _cells([op], lambda op, caller: api_mismatch(op, caller, call(api_client(caller), op).status_code))
    assert mismatches == []


@pytest.mark.parametrize("op", list(PAGES.values()), ids=str)
def test_page(op: Op, world: None) -> None:
    mismatches = _cells([op], lambda op, caller: page_mismatch(op, caller, call(page_client(caller), op)))
    assert mismatches == []


def test_admin_pages(world: None) -> None:
    """The admin index and every registered model's list and add pages: stored staff only."""
    mismatches = _cells(admin_rows(), lambda op, caller: page_mismatch(op, caller, call(page_client(caller), op)))
    assert mismatches == []
