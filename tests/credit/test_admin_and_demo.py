"""Admin pages: search finds the learner's rows; rule-governed rows are read-only; the demo data loads twice."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client

from credit import api
from credit.models import (
    CreditCourse,
    CreditEligibility,
    CreditProvider,
    CreditRequest,
    CreditRequirement,
    CreditRequirementStatus,
)
from tests.credit.factories import (
    CreditEligibilityFactory,
    CreditProviderFactory,
    CreditRequestFactory,
    CreditRequirementStatusFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RULE_GOVERNED = [CreditRequirement, CreditRequirementStatus, CreditEligibility, CreditRequest]


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def rons_rows():  # type: ignore[no-untyped-def]
    """Ron's row of every credit model, and Neville's status in another course (which searches must not find)."""
    ron = UserFactory(username="ron", email="ron@example.com")
    status = CreditRequirementStatusFactory(learner=ron)
    course = status.requirement.course
    CreditRequirementStatusFactory(learner=UserFactory(username="neville"))
    return {
        CreditCourse: course,
        CreditRequirement: status.requirement,
        CreditRequirementStatus: status,
        CreditEligibility: CreditEligibilityFactory(learner=ron, course=course),
        CreditProvider: CreditProviderFactory(provider_id="hogwarts"),
        CreditRequest: CreditRequestFactory(learner=ron, course=course, provider=CreditProvider.objects.get()),
    }


def changelist(model: type) -> str:
    return f"/admin/credit/{model._meta.model_name}/"


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (CreditCourse, "course"),
        (CreditRequirement, "course"),
        (CreditRequirementStatus, "ron"),
        (CreditRequirementStatus, "course"),
        (CreditEligibility, "ron"),
        (CreditEligibility, "course"),
        (CreditProvider, "hogwarts"),
        (CreditRequest, "ron"),
        (CreditRequest, "course"),
        (CreditRequest, "uuid"),
    ],
)
def test_admin_search_finds_the_row(superuser_client, rons_rows, model, query):
    row = rons_rows[model]
    term = {
        "ron": "ron",
        "course": rons_rows[CreditCourse].course_key,
        "hogwarts": "hogwarts",
        "uuid": getattr(row, "uuid", ""),
    }[query]
    response = superuser_client.get(changelist(model), {"q": term})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [row]
    assert f'href="{changelist(model)}{row.pk}/change/' in response.content.decode()  # the row's link is shown
    nothing = superuser_client.get(changelist(model), {"q": "no-such-learner-or-course"})
    assert list(nothing.context["cl"].result_list) == []


@pytest.mark.parametrize("model", RULE_GOVERNED)
def test_rule_governed_rows_are_read_only_even_for_a_superuser(superuser_client, rons_rows, model):
    row = rons_rows[model]
    model_admin = admin.site._registry[model]
    request = superuser_client.get("/admin/").wsgi_request
    assert model_admin.has_view_permission(request, row) is True
    assert (model_admin.has_add_permission(request), model_admin.has_change_permission(request, row)) == (False, False)
    assert model_admin.has_delete_permission(request, row) is False

    url = f"{changelist(model)}{row.pk}/change/"
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["adminform"].form.fields == {}  # every field shown read-only
    assert 'name="_save"' not in page.content.decode()
    before = list(model.objects.values())
    edit = {"status": "failed", "deadline_0": "2099-01-01", "deadline_1": "00:00:00", "active": "", "name": "x"}
    assert superuser_client.post(url, edit).status_code == 403
    assert superuser_client.get(f"{changelist(model)}add/").status_code == 403
    assert superuser_client.post(f"{changelist(model)}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(model.objects.values()) == before


def test_credit_courses_and_providers_stay_editable_but_not_deletable(superuser_client, rons_rows):
    provider = rons_rows[CreditProvider]
    url = f"{changelist(CreditProvider)}{provider.pk}/change/"
    form = {
        "display_name": "Hogwarts University",
        "provider_url": "https://credit.example.com/request",
        "provider_status_url": "",
        "description": "",
        "fulfillment_instructions": "",
        "thumbnail_url": "",
        "enable_integration": "on",
        "active": "on",
    }
    assert superuser_client.post(url, form).status_code == 302
    provider.refresh_from_db()
    assert (provider.provider_id, provider.display_name) == ("hogwarts", "Hogwarts University")

    course = rons_rows[CreditCourse]
    url = f"{changelist(CreditCourse)}{course.pk}/change/"
    inline = {"requirements-TOTAL_FORMS": "1", "requirements-INITIAL_FORMS": "1"}
    assert superuser_client.post(url, {"enabled": "", **inline}).status_code == 302
    course.refresh_from_db()
    assert course.enabled is False

    for model, row in ((CreditProvider, provider), (CreditCourse, course)):
        assert superuser_client.post(f"{changelist(model)}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CreditProvider.objects.count() == 1
    assert CreditCourse.objects.filter(pk=course.pk).exists()


def test_a_course_added_in_the_admin_has_a_valid_canonical_key(superuser_client):
    add = f"{changelist(CreditCourse)}add/"
    inline = {"requirements-TOTAL_FORMS": "0", "requirements-INITIAL_FORMS": "0"}
    response = superuser_client.post(add, {"course_key": "not a key", "enabled": "on", **inline})
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors == {"course_key": ["'not a key' is not a valid course run key."]}
    assert not CreditCourse.objects.exists()
    response = superuser_client.post(add, {"course_key": " course-v1:edX+DemoX+1T2015 ", "enabled": "on", **inline})
    assert response.status_code == 302
    assert list(CreditCourse.objects.values_list("course_key", "enabled")) == [("course-v1:edX+DemoX+1T2015", True)]


def test_demo_data_loads_and_repeats(db):
    call_command("load_demo_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    assert CreditProvider.objects.filter(provider_id="demo-university").exists()
    assert CreditCourse.objects.get().enabled is True
    assert CreditRequirement.objects.count() == 2
    [grade] = api.get_credit_requirement_status("course-v1:edX+DemoX+1T2024", "demo", namespace="grade")
    assert grade["status"] == "satisfied"
