"""Admin pages of every credit model open and search; the demo data loads twice without change."""

import pytest
from django.core.management import call_command

from credit import api
from credit.models import CreditCourse, CreditProvider, CreditRequirement
from tests.credit.factories import (
    CreditEligibilityFactory,
    CreditRequestFactory,
    CreditRequirementStatusFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    [
        "creditcourse",
        "creditrequirement",
        "creditrequirementstatus",
        "crediteligibility",
        "creditprovider",
        "creditrequest",
    ],
)
def test_admin_changelists_open_and_search_by_learner_and_course(client, model):
    learner = UserFactory(username="ron", email="ron@example.com")
    status = CreditRequirementStatusFactory(learner=learner)
    CreditEligibilityFactory(learner=learner, course=status.requirement.course)
    CreditRequestFactory(learner=learner, course=status.requirement.course)
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    for query in ("", "?q=ron", f"?q={status.requirement.course.course_key}"):
        response = client.get(f"/admin/credit/{model}/{query}")
        assert response.status_code == 200, (model, query)


def test_demo_data_loads_and_repeats(db):
    call_command("load_demo_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    assert CreditProvider.objects.filter(provider_id="demo-university").exists()
    assert CreditCourse.objects.get().enabled is True
    assert CreditRequirement.objects.count() == 2
    [grade] = api.get_credit_requirement_status("course-v1:edX+DemoX+1T2024", "demo", namespace="grade")
    assert grade["status"] == "satisfied"
