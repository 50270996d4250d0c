"""Schemathesis over every operation of the OpenAPI schema, as staff and as a learner, in-process (WSGI)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from core.jwt import encode_jwt
from settings.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

MAX_EXAMPLES = 20


@pytest.fixture
def tokens(db: None) -> dict[str, str]:
    from core.models import User

    User.objects.get_or_create(username="fuzz_staff")
    User.objects.get_or_create(username="fuzz_learner")
    return {
        "staff": encode_jwt(username="fuzz_staff", administrator=True, lms_user_id=900001),
        "learner": encode_jwt(username="fuzz_learner", lms_user_id=900002),
    }


@pytest.mark.attack
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("caller", ["staff", "learner"])
def test_no_server_error(case: schemathesis.Case, caller: str, tokens: dict[str, str]) -> None:
    response = case.call(headers={"Authorization": f"JWT {tokens[caller]}"})
    if response.status_code == 503 and case.operation.path == "/api/programs/v1/syncs/":
        assert response.json()["code"] == "sync-not-configured"
        return
    case.validate_response(response, checks=[not_a_server_error])
