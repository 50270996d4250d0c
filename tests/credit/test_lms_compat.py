"""The LMS's credit REST API as its clients see it, against this service (ADR 0010).

Status codes, the provider callback URL with and without the slash, who the signed parameters
describe, which requirement statuses count, and how datetimes render, as edx-platform's credit app does.
"""

import re
import time

import pytest
import responses
from django.core.cache import cache
from rest_framework import status
from rest_framework.test import APIClient

from credit import api
from credit.models import CreditRequest, CreditRequirementStatus
from credit.signature import signature
from tests.credit.conftest import COURSE_KEY
from tests.credit.factories import CreditEligibilityFactory, CreditProviderFactory, CreditRequestFactory
from tests.factories import CourseRunFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/credit/v1"
LMS = "http://lms.example"
ACCOUNT_URL = f"{LMS}/api/user/v1/accounts/ron"
EXAM = ("proctored_exam", "i4x://edX/DemoX/proctoring-block/final_uuid")
Z_FORM = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"


@pytest.fixture
def eligible_ron(credit_course):  # type: ignore[no-untyped-def]
    ron = UserFactory(username="ron", email="ron@example.com")
    api.set_credit_requirement_status(ron, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.95})
    CreditEligibilityFactory(learner=ron, course=credit_course)
    return ron


@pytest.fixture
def lms(settings):  # type: ignore[no-untyped-def]
    settings.LMS_URL = LMS
    settings.OAUTH2_PROVIDER_URL = LMS
    settings.OAUTH2_CLIENT_ID = "credentials-status"
    settings.OAUTH2_CLIENT_SECRET = "s3cret"
    cache.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(
            responses.POST,
            f"{LMS}/oauth2/access_token",
            json={"access_token": "lms-jwt", "expires_in": 3600, "token_type": "JWT"},
        )
        yield rsps


def request_credit(client: APIClient, provider_id: str = "hogwarts", body: object = None):  # type: ignore[no-untyped-def]
    payload = {"username": "ron", "course_key": COURSE_KEY} if body is None else body
    return client.post(f"{BASE}/providers/{provider_id}/request/", payload, format="json")


# --- status codes ------------------------------------------------------------------------------
def test_not_eligible_is_a_400_with_the_reason(jwt_client, credit_course, provider):
    UserFactory(username="ron")
    response = request_credit(jwt_client("ron"))
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    body = response.json()
    assert (body["code"], body["reason"]) == ("invalid-credit-request", "user_not_eligible")
    assert body["detail"] == f"'ron' is not eligible for credit in {COURSE_KEY}."


@pytest.mark.parametrize("final_status", ["approved", "rejected"])
def test_a_request_already_approved_or_rejected_is_a_400(jwt_client, eligible_ron, provider, final_status):
    client = jwt_client("ron")
    request_uuid = request_credit(client).json()["parameters"]["request_uuid"]
    api.update_credit_request_status(request_uuid, "hogwarts", final_status)
    response = request_credit(client)
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["reason"] == "request_already_completed"
    assert final_status in response.json()["detail"]


@pytest.mark.parametrize("secrets", [{}, {"hogwarts": ""}, {"hogwarts": ["", None]}, {"hogwarts": "sécret"}])
def test_integration_without_a_usable_secret_is_a_400_and_stores_nothing(jwt_client, eligible_ron, settings, secrets):
    settings.CREDIT_PROVIDER_SECRET_KEYS = secrets
    CreditProviderFactory(provider_id="hogwarts", enable_integration=True)
    response = request_credit(jwt_client("ron"))
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["reason"] == "credit_provider_not_configured"
    assert not CreditRequest.objects.exists()


@pytest.mark.parametrize("body", [{}, [], {"username": "ron"}, {"course_key": "bogus"}])
def test_unknown_provider_is_404_on_request_whatever_the_body(jwt_client, eligible_ron, body):
    response = request_credit(jwt_client("ron"), provider_id="nope", body=body)
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["code"] == "not-found"


@pytest.mark.parametrize("path", ["callback/", "callback"])
@pytest.mark.parametrize("body", [{}, [], {"request_uuid": "x"}])
def test_unknown_provider_is_404_on_callback_whatever_the_body(db, path, body):
    response = APIClient().post(f"{BASE}/providers/nope/{path}", body, format="json")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["code"] == "not-found"


# --- the provider's callback, exactly as a provider configured without the slash sends it --------
def test_provider_callback_without_the_trailing_slash(provider):
    credit_request = CreditRequestFactory(provider=provider)
    body = {"request_uuid": credit_request.uuid, "status": "approved", "timestamp": int(time.time())}
    body["signature"] = signature(body, "abcd1234")
    response = APIClient().post(f"{BASE}/providers/hogwarts/callback", body, format="json")
    assert response.status_code == status.HTTP_200_OK, response.json()
    credit_request.refresh_from_db()
    assert credit_request.status == "approved"


def test_callback_without_the_slash_checks_the_signature_too(provider):
    credit_request = CreditRequestFactory(provider=provider)
    body = {"request_uuid": credit_request.uuid, "status": "approved", "timestamp": int(time.time())}
    body["signature"] = signature(body, "wrong")
    response = APIClient().post(f"{BASE}/providers/hogwarts/callback", body, format="json")
    assert response.status_code == status.HTTP_403_FORBIDDEN
    credit_request.refresh_from_db()
    assert credit_request.status == "pending"


# --- who the signed parameters describe -------------------------------------------------------
def test_full_name_comes_from_the_jwt_name_claim(jwt_client, eligible_ron, provider):
    client = jwt_client("ron", name="Ron Weasley")
    parameters = request_credit(client).json()["parameters"]
    assert parameters["user_full_name"] == "Ron Weasley"
    assert (parameters["user_country"], parameters["user_mailing_address"]) == ("", "")  # no LMS configured
    assert parameters["signature"] == signature(parameters, "abcd1234")


@pytest.mark.parametrize("name", [42, "x" * 256, "nul\x00"])
def test_a_name_claim_that_cannot_be_stored_is_a_401(jwt_client, db, name):
    response = jwt_client("ron", name=name).get(f"{BASE}/providers/")
    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_country_and_mailing_address_come_from_the_lms_account(jwt_client, eligible_ron, provider, lms):
    lms.add(
        responses.GET,
        ACCOUNT_URL,
        json={"username": "ron", "name": "Ronald B. Weasley", "country": "GB", "mailing_address": "The Burrow"},
    )
    parameters = request_credit(jwt_client("ron", name="Ron Weasley")).json()["parameters"]
    assert parameters["user_full_name"] == "Ron Weasley"
    assert (parameters["user_country"], parameters["user_mailing_address"]) == ("GB", "The Burrow")
    assert parameters["signature"] == signature(parameters, "abcd1234")
    # Cached: a second request within LMS_ACCOUNT_CACHE_SECONDS does not ask the LMS again.
    request_credit(jwt_client("ron"))
    assert len([call for call in lms.calls if call.request.url == ACCOUNT_URL]) == 1


def test_lms_nulls_are_empty_strings_and_the_lms_name_is_the_fallback(eligible_ron, provider, lms):
    account = {"username": "ron", "name": "Ron W", "country": None, "mailing_address": None}
    lms.add(responses.GET, ACCOUNT_URL, json=account)
    parameters = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]
    assert (parameters["user_full_name"], parameters["user_country"], parameters["user_mailing_address"]) == (
        "Ron W",
        "",
        "",
    )


def test_without_caching_every_request_reads_the_lms(eligible_ron, provider, lms, settings):
    settings.LMS_ACCOUNT_CACHE_SECONDS = 0
    lms.add(responses.GET, ACCOUNT_URL, json={"country": "US", "mailing_address": ""})
    api.create_credit_request(COURSE_KEY, "hogwarts", "ron")
    api.create_credit_request(COURSE_KEY, "hogwarts", "ron")
    assert len([call for call in lms.calls if call.request.url == ACCOUNT_URL]) == 2


def test_an_lms_outage_is_a_503_and_leaves_no_request(jwt_client, eligible_ron, provider, lms):
    lms.add(responses.GET, ACCOUNT_URL, status=502)
    response = request_credit(jwt_client("ron"))
    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["reason"] == "learner_profile_unavailable"
    assert not CreditRequest.objects.exists()


# --- which requirement statuses count ------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "is_active", "counts"),
    [
        ("audit", True, False),
        ("honor", True, False),
        ("verified", False, False),
        ("verified", True, True),
        ("professional", True, True),
        ("no-id-professional", True, True),
    ],
)
def test_statuses_of_a_learner_enrolled_in_a_mode_that_cannot_earn_credit_are_ignored(
    credit_course, mode, is_active, counts
):
    ron = UserFactory(username="ron")
    EnrollmentFactory(learner=ron, course_run=CourseRunFactory(key=COURSE_KEY), mode=mode, is_active=is_active)
    api.set_credit_requirement_status(ron, COURSE_KEY, *EXAM)
    assert CreditRequirementStatus.objects.filter(learner=ron).exists() is counts


def test_the_rest_api_names_the_ignored_enrollment(jwt_client, credit_course):
    ron = UserFactory(username="ron")
    EnrollmentFactory(learner=ron, course_run=CourseRunFactory(key=COURSE_KEY), mode="audit")
    admin = jwt_client("registrar", roles=["credit_admins"])
    body = {"username": "ron", "namespace": EXAM[0], "name": EXAM[1], "status": "satisfied"}
    response = admin.put(f"{BASE}/courses/{COURSE_KEY}/requirements/status/", body, format="json")
    assert response.status_code == status.HTTP_200_OK
    assert (response.json()["applied"], response.json()["outcome"]) == (False, "enrollment_not_credit_eligible")


def test_a_learner_whose_enrollment_is_unknown_here_still_counts(credit_course):
    ron = UserFactory(username="ron")
    api.set_credit_requirement_status(ron, COURSE_KEY, *EXAM)
    assert CreditRequirementStatus.objects.filter(learner=ron).exists()


# --- datetimes -----------------------------------------------------------------------------------
def test_datetimes_render_in_drf_z_form(jwt_client, eligible_ron):
    client = jwt_client("ron")
    statuses = client.get(f"{BASE}/courses/{COURSE_KEY}/requirements/status/", {"username": "ron"}).json()
    [grade] = [item for item in statuses if item["namespace"] == "grade"]
    assert grade["status_date"] is not None
    [eligibility] = client.get(f"{BASE}/eligibility/", {"username": "ron"}).json()
    admin = jwt_client("registrar", roles=["credit_admins"])
    body = {"username": "ron", "namespace": "grade", "name": "grade", "status": "satisfied", "reason": {}}
    put = admin.put(f"{BASE}/courses/{COURSE_KEY}/requirements/status/", body, format="json").json()
    for value in (grade["status_date"], eligibility["deadline"], put["status_date"]):
        assert re.match(Z_FORM, value), value


def test_an_account_answer_without_the_lms_shape_is_a_503(eligible_ron, provider, lms):
    lms.add(responses.GET, ACCOUNT_URL, json={"country": 826})
    with pytest.raises(api.LearnerProfileUnavailable):
        api.create_credit_request(COURSE_KEY, "hogwarts", "ron")
    assert not CreditRequest.objects.exists()


def test_an_account_the_lms_does_not_know_is_sent_empty(eligible_ron, provider, lms):
    lms.add(responses.GET, ACCOUNT_URL, status=404, json={"detail": "not found"})
    parameters = api.create_credit_request(COURSE_KEY, "hogwarts", "ron")["parameters"]
    assert (parameters["user_country"], parameters["user_mailing_address"]) == ("", "")


def test_the_username_is_quoted_in_the_account_path(credit_course, provider, lms):
    learner = UserFactory(username="ron+x")
    api.set_credit_requirement_status(learner, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.95})
    CreditEligibilityFactory(learner=learner, course=credit_course)
    lms.add(responses.GET, f"{LMS}/api/user/v1/accounts/ron%2Bx", json={"country": "FR"})
    assert api.create_credit_request(COURSE_KEY, "hogwarts", "ron+x")["parameters"]["user_country"] == "FR"
