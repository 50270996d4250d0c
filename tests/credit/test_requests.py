"""Credit requests and providers through the Python API (docs/decisions/0006-credit.rst)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from credit import api
from credit.models import CreditRequest, CreditRequirement, CreditRequirementStatus
from credit.signature import signature
from tests.credit.conftest import COURSE_KEY, TWO_REQUIREMENTS
from tests.credit.factories import CreditEligibilityFactory, CreditProviderFactory, CreditRequestFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ron(credit_course):  # type: ignore[no-untyped-def]
    user = UserFactory(username="ron", email="ron@example.com", full_name="Ron Weasley")
    api.set_credit_requirement_status(user, COURSE_KEY, "proctored_exam", "i4x://edX/DemoX/proctoring-block/final_uuid")
    api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.95})
    return user


@freeze_time("2026-03-01 10:00:00")
def test_integrated_provider_gets_signed_parameters(ron, provider):
    answer = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")
    assert answer["url"] == provider.provider_url
    assert answer["method"] == "POST"
    parameters = answer["parameters"]
    assert re.fullmatch(r"[0-9a-f]{32}", parameters["request_uuid"])
    assert parameters == {
        "request_uuid": parameters["request_uuid"],
        "timestamp": 1772359200,
        "course_org": "edX",
        "course_num": "DemoX",
        "course_run": "1T2015",
        "final_grade": "0.95",
        "user_username": "ron",
        "user_email": "ron@example.com",
        "user_full_name": "Ron Weasley",
        "user_mailing_address": "",
        "user_country": "",
        "signature": signature(parameters, "abcd1234"),
    }
    stored = CreditRequest.objects.get()
    assert stored.uuid == parameters["request_uuid"]
    assert stored.status == "pending"


def test_outgoing_requests_are_signed_with_the_first_key(ron, provider, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": ["newest", "older"]}
    parameters = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]
    assert parameters["signature"] == signature(parameters, "newest")


def test_provider_without_integration_gets_a_link_and_nothing_is_stored(ron, db):
    CreditProviderFactory(provider_id="asu", enable_integration=False, provider_url="https://asu.example.com/credit")
    answer = api.create_credit_request(COURSE_KEY, "asu", "ron")
    assert answer == {"url": "https://asu.example.com/credit", "method": "GET", "parameters": {}}
    assert CreditRequest.objects.count() == 0


def test_integration_without_a_secret_is_not_configured(ron, db, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {}
    CreditProviderFactory(provider_id="hogwarts", enable_integration=True)
    with pytest.raises(api.CreditProviderNotConfigured):
        api.create_credit_request(COURSE_KEY, "hogwarts", "ron")
    assert CreditRequest.objects.count() == 0


def test_a_pending_request_is_reused_with_fresh_parameters(ron, provider):
    with freeze_time("2026-03-01 10:00:00"):
        first = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]
    ron.full_name = "Ronald Weasley"
    ron.save()
    with freeze_time("2026-03-01 11:00:00"):
        second = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]
    assert second["request_uuid"] == first["request_uuid"]
    assert second["timestamp"] == first["timestamp"] + 3600
    assert second["user_full_name"] == "Ronald Weasley"
    assert CreditRequest.objects.count() == 1


@pytest.mark.parametrize("completed", ["approved", "rejected"])
def test_a_completed_request_forbids_a_new_one(ron, provider, completed):
    request_uuid = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]["request_uuid"]
    api.update_credit_request_status(request_uuid, "hogwarts", completed)
    with pytest.raises(api.RequestAlreadyCompleted):
        api.create_credit_request(COURSE_KEY, "hogwarts", "ron")


def test_only_eligible_learners_may_request(credit_course, provider):
    UserFactory(username="neville")
    with pytest.raises(api.UserIsNotEligible):
        api.create_credit_request(COURSE_KEY, "hogwarts", "neville")
    with pytest.raises(api.UserIsNotEligible):
        api.create_credit_request(COURSE_KEY, "hogwarts", "nobody-at-all")


def test_an_expired_eligibility_may_not_request(credit_course, provider):
    user = UserFactory()
    with freeze_time("2020-01-01"):
        CreditEligibilityFactory(learner=user, course=credit_course)
    with pytest.raises(api.UserIsNotEligible):
        api.create_credit_request(COURSE_KEY, "hogwarts", user.username)


def test_without_a_final_grade_on_the_grade_requirement_the_request_is_refused(credit_course, provider):
    """As the LMS: an eligible learner whose grade requirement has no final grade gets no request (400)."""
    user = UserFactory()
    CreditEligibilityFactory(learner=user, course=credit_course)
    with pytest.raises(api.UserIsNotEligible):
        api.create_credit_request(COURSE_KEY, "hogwarts", user.username)
    for reason in ({}, {"final_grade": None}, {"final_grade": "A"}):
        CreditRequirementStatus.objects.update_or_create(
            learner=user,
            requirement=CreditRequirement.objects.get(namespace="grade"),
            defaults={"status": "satisfied", "reason": reason},
        )
        with pytest.raises(api.UserIsNotEligible):
            api.create_credit_request(COURSE_KEY, "hogwarts", user.username)
    assert not CreditRequest.objects.exists()


def test_a_course_without_a_grade_requirement_sends_an_empty_final_grade(credit_course, provider):
    api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0]])
    user = UserFactory()
    CreditEligibilityFactory(learner=user, course=credit_course)
    assert api.create_credit_request(COURSE_KEY, "hogwarts", user.username)["parameters"]["final_grade"] == ""


def test_an_unknown_or_inactive_provider_is_not_found(ron, db, provider_secrets):
    CreditProviderFactory(provider_id="hogwarts", active=False)
    with pytest.raises(api.CreditProviderNotFound):
        api.create_credit_request(COURSE_KEY, "hogwarts", "ron")
    with pytest.raises(api.CreditProviderNotFound):
        api.create_credit_request(COURSE_KEY, "durmstrang", "ron")


def test_status_update_takes_only_approved_or_rejected(ron, provider):
    request_uuid = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]["request_uuid"]
    with pytest.raises(api.InvalidCreditStatus):
        api.update_credit_request_status(request_uuid, "hogwarts", "pending")
    with pytest.raises(api.CreditRequestNotFound):
        api.update_credit_request_status("0" * 32, "hogwarts", "approved")
    other = CreditProviderFactory(provider_id="other")
    with pytest.raises(api.CreditRequestNotFound):
        api.update_credit_request_status(request_uuid, other.provider_id, "approved")
    api.update_credit_request_status(request_uuid, "hogwarts", "approved")
    approved = CreditRequest.objects.get(uuid=request_uuid)
    with freeze_time(timezone.now() + timedelta(minutes=5)):
        api.update_credit_request_status(request_uuid, "hogwarts", "approved")  # a no-op
    again = CreditRequest.objects.get(uuid=request_uuid)
    assert (again.status, again.modified, again.provider_timestamp) == ("approved", approved.modified, None)
    assert api.get_credit_request_status("ron", COURSE_KEY)["status"] == "approved"


def test_requests_for_user_have_the_seed_shape(ron, provider):
    with freeze_time("2026-03-01 10:00:00"):
        request_uuid = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]["request_uuid"]
    assert api.get_credit_requests_for_user("ron") == [
        {
            "uuid": request_uuid,
            "timestamp": 1772359200,
            "course_key": COURSE_KEY,
            "provider": {"id": "hogwarts", "display_name": "Hogwarts School"},
            "status": "pending",
        }
    ]
    assert api.get_credit_request_status("ron", COURSE_KEY)["uuid"] == request_uuid
    assert api.get_credit_request_status("ron", "course-v1:edX+Other+1T2015") == {}
    assert api.get_credit_requests_for_user("nobody") == []


def test_latest_request_status_across_providers(credit_course, db):
    user = UserFactory()
    with freeze_time("2026-01-01"):
        CreditRequestFactory(learner=user, course=credit_course, status="rejected")
    with freeze_time("2026-02-01"):
        newest = CreditRequestFactory(learner=user, course=credit_course, status="pending")
    assert api.get_credit_request_status(user.username, COURSE_KEY)["uuid"] == newest.uuid


def test_providers_list_shows_active_ones_and_filters_by_id(db):
    CreditProviderFactory(
        provider_id="hogwarts",
        display_name="Hogwarts",
        enable_integration=False,
        description="A new model for the Witchcraft and Wizardry School System.",
        fulfillment_instructions="<p>Owl us.</p>",
        thumbnail_url="https://credit.example.com/logo.png",
    )
    CreditProviderFactory(provider_id="asu")
    CreditProviderFactory(provider_id="closed", active=False)
    assert [p["id"] for p in api.get_credit_providers()] == ["asu", "hogwarts"]
    assert api.get_credit_providers(["hogwarts", "closed"]) == [
        {
            # The seed's keys ...
            "id": "hogwarts",
            "name": "Hogwarts",
            "url": "https://credit.example.com/request",
            "status_url": "https://credit.example.com/status",
            "description": "A new model for the Witchcraft and Wizardry School System.",
            "enable_integration": False,
            "fulfillment_instructions": "<p>Owl us.</p>",
            # ... and those Open edX's code returns too (ADR 0006).
            "display_name": "Hogwarts",
            "thumbnail_url": "https://credit.example.com/logo.png",
            "active": True,
        }
    ]


def test_provider_info_has_the_seed_shape(db):
    CreditProviderFactory(provider_id="hogwarts", display_name="Hogwarts", description="Wizardry")
    info = api.get_credit_provider_info(None, "hogwarts")
    assert info["provider_id"] == "hogwarts"
    assert info["provider_url"] == "https://credit.example.com/request"
    assert info["provider_status_url"] == "https://credit.example.com/status"
    assert info["provider_description"] == "Wizardry"
    assert api.get_credit_provider_info(None, "unknown") == {}
