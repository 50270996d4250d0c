"""A ``LEARNER_STATUS_WORKERS`` account is a learner-status reader and nothing more.

The setting lets service accounts (subscription workers) read any learner's status without a group
membership; it must never open another role's operations or staff's.
"""

import pytest
from django.core.cache import cache

from core.models import User
from core.roles import Role, acts_as_staff, user_has_role
from tests.credit.factories import CreditCourseFactory, CreditProviderFactory

pytestmark = pytest.mark.django_db

WORKER = "subscriptions_worker"
RUN_KEY = "course-v1:edX+DemoX+1T2024"
PROGRAM_UUID = "9b2c4c36-0c7e-4a4a-9d8e-2f1f4d0a5b11"
ENTERPRISE_UUID = "1f0e3dad-9990-4fd6-8a23-5d2c1b0e6a77"

# One request per operation that needs a role other than learner_status_readers (or staff).
OTHER_ROLES_OPERATIONS = [
    # catalog_publishers
    ("put", f"/api/programs/v1/course_runs/{RUN_KEY}/"),
    ("delete", f"/api/programs/v1/course_runs/{RUN_KEY}/"),
    ("post", "/api/programs/v1/programs/"),
    ("patch", f"/api/programs/v1/programs/{PROGRAM_UUID}/"),
    ("delete", f"/api/programs/v1/programs/{PROGRAM_UUID}/"),
    ("put", f"/api/programs/v1/programs/{PROGRAM_UUID}/excluded_course_runs/"),
    ("post", "/api/programs/v1/syncs/"),
    ("get", "/api/programs/v1/syncs/"),
    ("get", "/api/programs/v1/syncs/1/"),
    # credential_issuers
    ("post", "/api/credentials/v1/course_run_credentials/"),
    ("post", "/api/credentials/v1/grades/"),
    ("post", "/api/enrollments/v1/enrollments/"),
    # enrollment_admins
    ("post", "/api/enrollments/v1/bulk_enroll/"),
    ("post", f"/enterprise/api/v1/enterprise-customer/{ENTERPRISE_UUID}/enroll_learners_in_courses/"),
    # credit_admins
    ("post", "/api/credit/v1/providers/"),
    ("patch", "/api/credit/v1/providers/hogwarts/"),
    ("put", f"/api/credit/v1/courses/{RUN_KEY}/"),
    ("put", f"/api/credit/v1/courses/{RUN_KEY}/requirements/"),
    ("put", f"/api/credit/v1/courses/{RUN_KEY}/requirements/status/"),
    ("delete", f"/api/credit/v1/courses/{RUN_KEY}/requirements/status/"),
]


@pytest.fixture(autouse=True)
def _worker_setting(settings):  # type: ignore[no-untyped-def]
    settings.LEARNER_STATUS_WORKERS = [WORKER]
    # Throttle counters live in the cache; this module sends many requests as one account.
    cache.clear()


@pytest.fixture
def worker_client(jwt_client):  # type: ignore[no-untyped-def]
    return jwt_client(WORKER)


def test_the_worker_holds_the_reader_role_and_no_other():
    worker = User.objects.create(username=WORKER)
    assert user_has_role(worker, Role.LEARNER_STATUS_READERS)
    assert [role for role in Role if role != Role.LEARNER_STATUS_READERS and user_has_role(worker, role)] == []
    assert not acts_as_staff(worker)


def test_the_worker_reads_any_learner(worker_client):
    User.objects.create(username="bob")
    body = {"username": "bob", "course_runs": [RUN_KEY]}
    assert worker_client.post("/api/credentials/v1/learner_cert_status/", body, format="json").status_code == 200
    bulk = worker_client.post("/api/credentials/v1/bulk_learner_cert_status/", [body], format="json")
    assert bulk.status_code == 200
    assert worker_client.get("/api/credentials/v1/learners/bob/programs/").status_code == 200
    assert worker_client.get("/api/credit/v1/eligibility/", {"username": "bob"}).status_code == 200
    assert worker_client.get("/api/credit/v1/requests/", {"username": "bob"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"), OTHER_ROLES_OPERATIONS, ids=[f"{m} {p}" for m, p in OTHER_ROLES_OPERATIONS]
)
def test_the_worker_is_refused_every_other_roles_operation(worker_client, method, path):
    CreditProviderFactory(provider_id="hogwarts")
    response = getattr(worker_client, method)(path, {}, format="json")
    assert response.status_code == 403, (method, path, response.content)
    assert response.json()["code"] == "authz"


def test_the_worker_may_not_request_credit_for_a_learner(worker_client, settings):
    # Starting a credit request sends the learner's name and email to the provider: the learner or staff only.
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "abcd1234"}
    CreditProviderFactory(provider_id="hogwarts", enable_integration=True)
    CreditCourseFactory(course_key="course-v1:edX+DemoX+1T2015")
    User.objects.create(username="bob")
    response = worker_client.post(
        "/api/credit/v1/providers/hogwarts/request/",
        {"username": "bob", "course_key": "course-v1:edX+DemoX+1T2015"},
        format="json",
    )
    assert response.status_code == 403, response.content
