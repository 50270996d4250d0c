"""Query ceilings for every read of the service: what a read costs in queries does not grow with its answer.

Each row of ``READS`` reads one route with a small answer, then again after ``grow`` has added more of
what the answer lists (organizations, courses, runs, syncs, programs, requirements, eligibilities,
requests, search hits); both counts stay under the row's ceiling and are equal. A row without
``grow`` reads something whose size does not follow the data (one provider, the health check).
Every count is of a warm read, after one unmeasured read, as the service answers once it is serving.

The reads whose ceilings were written with their own features keep them in their own modules
(``CEILINGS_ELSEWHERE``); ``test_every_read_has_a_ceiling`` walks the URL resolver so that a new
read route without a row here or there fails.
"""

import dataclasses
import importlib
import inspect
import itertools
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from rest_framework import status
from rest_framework.test import APIClient

from core.memo import forget_everything
from core.roles import Role
from programs.models import Program, SyncRun
from programs.services import program_create, program_update
from tests.conftest import grant
from tests.credit.factories import (
    CreditCourseFactory,
    CreditEligibilityFactory,
    CreditProviderFactory,
    CreditRequestFactory,
    CreditRequirementFactory,
)
from tests.factories import (
    CourseFactory,
    CourseRunFactory,
    CredentialFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.routes import resolver_routes

pytestmark = pytest.mark.django_db

LEARNER = "ana"
RUN_KEY = "course-v1:edX+Ceil0+1T2024"
CREDIT_KEY = "course-v1:edX+Credit+1T2024"
PROVIDER = "hogwarts"
PROGRAM_UUID = uuid.UUID("0c5e11a0-0000-4000-8000-000000000001")
GROWTH = 12  # items added between the two reads; above every answer's first size, under every page size

_numbers = itertools.count(1)


def _course_with_a_credential(learner: Any) -> str:
    """A new course of edX whose run the learner holds a certificate of; its key."""
    n = next(_numbers)
    run = CourseRunFactory(
        key=f"course-v1:edX+Ceil{n}+1T2024", course__key=f"edX+Ceil{n}", course__organization__key="edX"
    )
    CredentialFactory(learner=learner, course_run=run)
    return run.course.key


def _programs_of_the_learner(world: SimpleNamespace, count: int) -> None:
    for _ in range(count):
        program_create(title=f"Program {next(_numbers)}", course_keys=[_course_with_a_credential(world.learner)])


def _courses_of_the_program(world: SimpleNamespace, count: int) -> None:
    program = Program.objects.get(uuid=PROGRAM_UUID)
    added = [_course_with_a_credential(world.learner) for _ in range(count)]
    program_update(program=program, course_keys=[*program.courses.values_list("key", flat=True), *added])


def _organizations(world: SimpleNamespace, count: int) -> None:
    for _ in range(count):
        OrganizationFactory(key=f"Org{next(_numbers)}")


def _courses(world: SimpleNamespace, count: int) -> None:
    for _ in range(count):
        CourseFactory(key=f"edX+More{next(_numbers)}", organization=world.run.course.organization)


def _runs(world: SimpleNamespace, count: int) -> None:
    for _ in range(count):
        CourseRunFactory(key=f"course-v1:edX+Ceil0+{next(_numbers)}T2030", course=world.run.course)


def _syncs(world: SimpleNamespace, count: int) -> None:
    SyncRun.objects.bulk_create(SyncRun(requested_by="someone") for _ in range(count))


def _requirements(world: SimpleNamespace, count: int) -> None:
    for order in range(count):
        n = next(_numbers)
        CreditRequirementFactory(
            course=world.credit_course, namespace="reverification", name=f"checkpoint-{n}", order=order + 1
        )


def _eligibilities(world: SimpleNamespace, count: int) -> None:
    for _ in range(count):
        course = CreditCourseFactory(course_key=f"course-v1:edX+Credit{next(_numbers)}+1T2024")
        CreditEligibilityFactory(learner=world.learner, course=course)


def _credit_requests(world: SimpleNamespace, count: int) -> None:
    for _ in range(count):
        provider = CreditProviderFactory(provider_id=f"provider-{next(_numbers)}")
        CreditRequestFactory(learner=world.learner, course=world.credit_course, provider=provider)


def _learners_found(world: SimpleNamespace, count: int) -> None:
    for _ in range(count):
        n = next(_numbers)
        UserFactory(username=f"anabel{n}", email=f"anabel{n}@example.com")


@dataclasses.dataclass(frozen=True)
class Read:
    """One read: ``caller`` is ``staff`` (a JWT with the administrator claim), ``learner`` (the
    learner's own JWT), ``support`` (a console session with the readers' role), ``learner_page`` (the
    learner's own portal session) or ``anonymous``."""

    method: str
    path: str
    caller: str
    ceiling: int
    grow: Callable[[SimpleNamespace, int], None] | None = None
    data: dict[str, Any] | None = None
    expect: int = status.HTTP_200_OK


READS = (
    Read("get", "/health/", "anonymous", 1),
    Read("get", "/api/schema/", "anonymous", 0),
    Read("get", "/api/docs/", "anonymous", 0),
    Read("get", "/api/redoc/", "anonymous", 0),
    Read("get", "/api/credentials/v1/learners/me/programs/", "learner", 6, _programs_of_the_learner),
    Read("get", "/api/programs/v1/organizations/", "staff", 2, _organizations),
    Read("get", "/api/programs/v1/courses/", "staff", 2, _courses),
    Read("get", "/api/programs/v1/course_runs/", "staff", 2, _runs),
    Read("get", "/api/programs/v1/syncs/", "staff", 2, _syncs),
    Read("get", "/api/programs/v1/syncs/{sync_id}/", "staff", 1),
    Read("get", f"/api/credit/v1/providers/{PROVIDER}/", "staff", 1),
    Read("get", f"/api/credit/v1/courses/{CREDIT_KEY}/", "staff", 1),
    Read("get", f"/api/credit/v1/courses/{CREDIT_KEY}/requirements/", "staff", 2, _requirements),
    Read("get", f"/api/credit/v1/eligibility/?username={LEARNER}", "staff", 1, _eligibilities),
    Read("get", f"/api/credit/v1/requests/?username={LEARNER}", "staff", 1, _credit_requests),
    Read("get", "/support/", "support", 3),
    Read("post", "/support/", "support", 5, _learners_found, data={"q": "anabel"}),
    Read("get", "/support/programs/", "support", 4, _programs_of_the_learner),
    Read("get", f"/support/programs/{PROGRAM_UUID}/", "support", 5, _courses_of_the_program),
    Read("get", "/learner/programs/", "learner_page", 8, _programs_of_the_learner),
    Read("get", f"/learner/programs/{PROGRAM_UUID}/", "learner_page", 8, _courses_of_the_program),
)

# Reads whose ceilings live beside the feature they were written with: the test that holds each one.
CEILINGS_ELSEWHERE = {
    "api/credentials/v1/learner_cert_status/": "tests.credentials_status.test_learner_cert_status::"
    "test_query_count_does_not_grow_with_courses",
    "api/credentials/v1/bulk_learner_cert_status/": "tests.credentials_status.test_bulk_learner_cert_status::"
    "test_bulk_answers_equal_single_answers_and_queries_stay_bounded",
    "api/credentials/v1/learner_program_status/": "tests.credentials_status.test_learner_program_status::"
    "test_query_count_does_not_grow_with_the_program",
    "api/credentials/v1/learners/<path:username>/programs/": "tests.credentials_status.test_learner_programs::"
    "test_query_count_is_constant_however_many_programs",
    "api/programs/v1/programs/": "tests.programs.test_program_api::test_reads_do_not_grow_with_the_answer",
    "api/programs/v1/programs/<uuid:uuid>/": "tests.programs.test_program_api::test_reads_do_not_grow_with_the_answer",
    "api/credit/v1/providers/": "tests.credit.test_rest_api::test_provider_list_costs_one_query_however_many",
    "api/credit/v1/courses/<course_key:course_key>/requirements/status/": "tests.credit.test_rest_api::"
    "test_status_read_costs_a_fixed_number_of_queries",
    "support/learners/<path:username>/": "tests.support.test_console::test_learner_page_query_count_is_bounded",
}

# Routes that read nothing a learner or a client asks about: sign-in and sign-out, and the LMS probe
# of the support console (a POST that asks the LMS, covered by tests/support/test_console_lms_check.py).
NOT_READS = {
    "login/",
    "logout/",
    "support/login/",
    "support/logout/",
    "learner/login/",
    "learner/logout/",
    "support/lms-check/<path:username>/",
}
# Reads answered to POST (their body is the question), besides the console's search.
POST_READS = {
    "api/credentials/v1/learner_cert_status/",
    "api/credentials/v1/bulk_learner_cert_status/",
    "api/credentials/v1/learner_program_status/",
}


@pytest.fixture
def world(settings: Any) -> Iterator[SimpleNamespace]:
    """A learner with a certificate in a one-course program, a credit course with a requirement, an
    eligibility and a request, a provider, a sync, and a caller of each kind."""
    settings.CELERY_BROKER_URL = None  # the health check then reads the database and the cache only
    learner = UserFactory(username=LEARNER, email="ana@example.com", lms_user_id=7001)
    run = CourseRunFactory(key=RUN_KEY, course__key="edX+Ceil0", course__organization__key="edX")
    CredentialFactory(learner=learner, course_run=run)
    program_create(title="Ceilings", uuid=PROGRAM_UUID, course_keys=["edX+Ceil0"])
    # Two programs from the start: one program's exclusions come with its runs, several programs' in a query of
    # their own (programs.selectors.program_facts_holding_runs), so the learner's lists start at their full count.
    program_create(title="Ceilings too", course_keys=["edX+Ceil0"])
    credit_course = CreditCourseFactory(course_key=CREDIT_KEY)
    CreditRequirementFactory(course=credit_course)
    provider = CreditProviderFactory(provider_id=PROVIDER)
    CreditEligibilityFactory(learner=learner, course=credit_course)
    CreditRequestFactory(learner=learner, course=credit_course, provider=provider)
    sync = SyncRun.objects.create(requested_by="someone")
    UserFactory(username="anabel0", email="anabel0@example.com")
    # The callers' rows hold their tokens' claims already, as once the service has served them a while.
    UserFactory(username="staff_user", email="staff_user@example.com")
    agent = grant(UserFactory(username="agent"), Role.LEARNER_STATUS_READERS.value)
    yield SimpleNamespace(learner=learner, run=run, credit_course=credit_course, sync=sync, agent=agent)


def client_for(read: Read, world: SimpleNamespace, jwt_client: Callable[..., APIClient]) -> Client:
    if read.caller == "anonymous":
        return Client()
    if read.caller == "staff":
        return jwt_client("staff_user", administrator=True)
    if read.caller == "learner":
        return jwt_client(LEARNER, lms_user_id=7001)
    page = Client()
    page.force_login(world.agent if read.caller == "support" else world.learner)
    return page


def queries_of(read: Read, client: Client, path: str) -> tuple[int, int]:
    """The queries of a warm read (one read first, unmeasured, then the counted one) and its answer's length."""
    send = getattr(client, read.method)
    assert send(path, read.data).status_code == read.expect
    with CaptureQueriesContext(connection) as captured:
        response = send(path, read.data)
    assert response.status_code == read.expect, response.content[:300]
    return len(captured.captured_queries), len(response.content)


@pytest.mark.parametrize("read", READS, ids=lambda read: f"{read.method.upper()} {read.path}")
def test_a_read_costs_a_fixed_number_of_queries(
    read: Read, world: SimpleNamespace, jwt_client: Callable[..., APIClient]
) -> None:
    client = client_for(read, world, jwt_client)
    path = read.path.format(sync_id=world.sync.pk)

    small, small_answer = queries_of(read, client, path)
    assert small <= read.ceiling, f"{read.method.upper()} {path}: {small} queries, ceiling {read.ceiling}"
    if read.grow is None:
        return
    read.grow(world, GROWTH)
    forget_everything()  # what the process remembered of the smaller catalog is not what is counted
    large, large_answer = queries_of(read, client, path)
    assert large_answer > small_answer, "the items added are in the answer (else the count proves nothing)"
    assert large == small, f"{read.method.upper()} {path}: {small} queries, then {large} with {GROWTH} more items"


def _reads_get(callback: Any) -> bool:
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return view is not None and hasattr(view, "get")


def test_every_read_has_a_ceiling() -> None:
    # The admin's pages and social-auth's sign-in steps are other projects' views, not reads of this service.
    reads = {
        route
        for route, name, callback in resolver_routes()
        if name.split(":")[0] not in ("admin", "social") and (_reads_get(callback) or route in POST_READS)
    } - NOT_READS
    here = {resolve(read.path.format(sync_id=1).split("?")[0]).route for read in READS}

    assert reads - here - set(CEILINGS_ELSEWHERE) == set(), "a read route without a query ceiling"
    assert set(CEILINGS_ELSEWHERE) <= reads and here <= reads
    for holder in set(CEILINGS_ELSEWHERE.values()):
        module, name = holder.split("::")
        source = inspect.getsource(getattr(importlib.import_module(module), name))
        assert "django_assert_max_num_queries" in source, f"{holder} holds no query ceiling"
