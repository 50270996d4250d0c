"""Fixtures of the credit tests: a fresh throttle cache, provider secrets, a configured credit course."""

import pytest
from django.core.cache import cache

from credit import api
from tests.credit.factories import CreditCourseFactory, CreditProviderFactory

COURSE_KEY = "course-v1:edX+DemoX+1T2015"
TWO_REQUIREMENTS = [
    {
        "namespace": "proctored_exam",
        "name": "i4x://edX/DemoX/proctoring-block/final_uuid",
        "display_name": "Final Exam",
        "criteria": {},
    },
    {"namespace": "grade", "name": "grade", "display_name": "Grade", "criteria": {"min_grade": 0.8}},
]


@pytest.fixture(autouse=True)
def _fresh_throttle_cache() -> None:
    # Throttle counters live in the cache; one test's callbacks must not throttle the next's.
    cache.clear()


@pytest.fixture
def provider_secrets(settings):  # type: ignore[no-untyped-def]
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "abcd1234"}
    return settings.CREDIT_PROVIDER_SECRET_KEYS


@pytest.fixture
def provider(db, provider_secrets):  # type: ignore[no-untyped-def]
    return CreditProviderFactory(provider_id="hogwarts", display_name="Hogwarts School", enable_integration=True)


@pytest.fixture
def credit_course(db):  # type: ignore[no-untyped-def]
    course = CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    api.set_credit_requirements(COURSE_KEY, TWO_REQUIREMENTS)
    return course
