"""The data the attack suite's requests name: callers, a learner with records, a program, a credit setup.

Shared by the authorization matrix and the schemathesis run (tests/attack/conftest.py's ``world`` fixture).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import responses
from django.contrib.auth.models import Group
from django.core.cache import cache

from core.models import User
from core.roles import Role
from programs.services import program_create
from tests.credit.factories import (
    CreditCourseFactory,
    CreditEligibilityFactory,
    CreditProviderFactory,
    CreditRequestFactory,
)
from tests.factories import CourseRunFactory, CredentialFactory, EnrollmentFactory
from tests.programs.fake_discovery import API as DISCOVERY_API
from tests.programs.fake_discovery import OAUTH, FakeDiscovery

# --- callers -----------------------------------------------------------------------------------
ANONYMOUS, SELF, OTHER, WORKER, STAFF = "anonymous", "self", "other_learner", "status_worker", "staff"
RETIREMENT = "retirement_service_worker"  # RETIREMENT_SERVICE_WORKER_USERNAME: retirement, username replacement
READERS_ROLE, PUBLISHERS, ISSUERS, ENROLLERS, CREDIT_ADMINS = (role.value for role in Role)
CALLERS = (ANONYMOUS, SELF, OTHER, *(role.value for role in Role), WORKER, RETIREMENT, STAFF)
SELF_USERNAME, SELF_LMS_ID = "ana", 7001

# --- fixed objects every row can name ----------------------------------------------------------
RUN_KEY = "course-v1:edX+DemoX+1T2024"
PROGRAM_UUID = "6ad2cfe7-9b8f-4c5b-8a39-3d6c1f0e2a11"
PROVIDER_ID = "hogwarts"
PROVIDER_SECRET = "matrix-provider-secret-0123456789"
PATH_VALUES = {  # values of the path parameters of the schema's operations
    "username": SELF_USERNAME,
    "course_key": RUN_KEY,
    "course_run_key": RUN_KEY,
    "uuid": PROGRAM_UUID,
    "provider_id": PROVIDER_ID,
    "sync_id": 1,
    "backend": "edx-oauth2",
    "association_id": 1,
    "enterprise_customer_uuid": "3b8e5c1f-0000-4000-8000-00000000e001",
}
REQUEST_UUID = "3f1c9a2b7d5e4c6f8a0b1c2d3e4f5a6b"  # the learner's pending credit request


@contextmanager
def world(settings: Any) -> Iterator[None]:
    """Create the data; answer Discovery's calls (sync operations) with the fake Discovery until exit."""
    settings.LEARNER_STATUS_WORKERS = [WORKER]
    settings.RETIREMENT_SERVICE_WORKER_USERNAME = RETIREMENT
    settings.DISCOVERY_API_URL = DISCOVERY_API
    settings.OAUTH2_PROVIDER_URL = OAUTH
    settings.OAUTH2_CLIENT_ID = "credentials-status"
    settings.OAUTH2_CLIENT_SECRET = "secret"
    settings.CREDIT_PROVIDER_SECRET_KEYS = {PROVIDER_ID: PROVIDER_SECRET}
    ana = User.objects.create(username=SELF_USERNAME, email="ana@example.com", lms_user_id=SELF_LMS_ID)
    run = CourseRunFactory(key=RUN_KEY, course__key="edX+DemoX", course__organization__key="edX")
    CredentialFactory(learner=ana, course_run=run)
    EnrollmentFactory(learner=ana, course_run=run)
    program_create(title="Demo program", uuid=PROGRAM_UUID, course_keys=["edX+DemoX"])
    course = CreditCourseFactory(course_key=RUN_KEY, enabled=True)
    provider = CreditProviderFactory(provider_id=PROVIDER_ID, display_name="Hogwarts", enable_integration=True)
    CreditEligibilityFactory(learner=ana, course=course)
    CreditRequestFactory(uuid=REQUEST_UUID, learner=ana, course=course, provider=provider)
    for name in CALLERS:
        if name not in (ANONYMOUS, STAFF, SELF):
            user, _ = User.objects.get_or_create(username=name, defaults={"email": f"{name}@example.com"})
            if name in {r.value for r in Role}:
                user.groups.add(Group.objects.get_or_create(name=name)[0])
    cache.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FakeDiscovery().register(mock)
        yield
    cache.clear()
