"""Schemathesis over every operation of the OpenAPI schema (/api/schema/), in-process through the WSGI app.

Each operation is fuzzed twice, with a real JWT of a staff user and of a learner, on top of the attack
suite's data (tests/attack/world.py), with valid and invalid inputs (schemathesis' positive and
negative modes). Bounded and reproducible: ``derandomize`` (a seed fixed by the test's name), no
example database, ``FUZZ_MAX_EXAMPLES`` examples per operation and caller. Every response must be no
server error, documented (status code and content type) and match its documented schema.

Runs where the ``attack`` marker is selected: CI selects it on PostgreSQL and MariaDB (.ci/run).
Re-run: ``DATABASE_URL=postgres://... make test PYTEST_ARGS='-m attack tests/attack'``.
"""

import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.jwt import encode_jwt
from settings.wsgi import application
from tests.attack.conftest import FUZZ_STATS
from tests.attack.world import SELF_LMS_ID, SELF_USERNAME, STAFF

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# Chosen so the whole run (every operation, both callers) takes about 3 minutes on PostgreSQL.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "60"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TOKENS = {
    "staff": lambda: encode_jwt(username=STAFF, administrator=True),
    "learner": lambda: encode_jwt(username=SELF_USERNAME, lms_user_id=SELF_LMS_ID),
}


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Keep the database connection across the in-process requests, as Django's test client does: the
    WSGI handler's ``request_finished`` would close it, and with it the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.attack
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.parametrize("caller", sorted(TOKENS))
def test_operation(case: schemathesis.Case, caller: str, world: None, in_test_transaction: None) -> None:
    FUZZ_STATS.operations.add(f"{case.operation.method.upper()} {case.operation.path}")
    FUZZ_STATS.requests += 1
    response = case.call(headers={"Authorization": f"JWT {TOKENS[caller]()}"})
    if response.status_code >= 500:
        FUZZ_STATS.server_errors += 1
    case.validate_response(response, checks=CHECKS)


def test_an_over_long_query_string_is_a_documented_answer() -> None:
    """schemathesis found it: a 4.6 kB ``?organization=`` got the middleware's 414, which the schema did not list."""
    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"]["/api/programs/v1/courses/"]["get"]
    assert "414" in operation["responses"]
