"""Shared fixtures: API clients authenticated with real JWTs, role grants, skip policy."""

import os
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core.jwt import encode_jwt
from core.memo import forget_everything
from core.models import User


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """In CI (FAIL_ON_SKIP=1) a skipped test fails: CI has every optional service."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("FAIL_ON_SKIP") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, where every optional service must be present: {report.longrepr}"


@pytest.fixture(autouse=True)
def _nothing_remembered_from_other_tests() -> None:
    """Each test's database starts anew: what the process remembered of another one's is forgotten
    (``core.memo``: tokens verified, learner rows read by authentication, emails without pending enrollments)."""
    forget_everything()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def grant(user: User, *roles: str) -> User:
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def jwt_client(db: None) -> Callable[..., APIClient]:
    """``jwt_client("ana", roles=["credential_issuers"], lms_user_id=7)``: an APIClient sending a real JWT.

    The user row exists with the given roles before the first request; extra keyword arguments go
    to ``core.jwt.encode_jwt`` (``administrator=True``, ``expires_in=-10``, ``audience="x"`` ...).
    """

    def make(username: str = "someone", *, roles: tuple[str, ...] | list[str] = (), **claims: object) -> APIClient:
        user, _ = User.objects.get_or_create(username=username)
        if claims.get("lms_user_id") is not None and user.lms_user_id is None:
            user.lms_user_id = claims["lms_user_id"]  # type: ignore[assignment]
            user.save()
        grant(user, *roles)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username=username, **claims)}")  # type: ignore[arg-type]
        return client

    return make


@pytest.fixture
def staff_client(jwt_client: Callable[..., APIClient]) -> APIClient:
    return jwt_client("staff_user", administrator=True)
