"""End to end over HTTP: configure a credit course, satisfy it, request credit, the provider approves."""

import time

import pytest
from django.core import mail
from rest_framework import status
from rest_framework.test import APIClient

from credit.signature import signature
from tests.credit.conftest import COURSE_KEY, TWO_REQUIREMENTS

pytestmark = pytest.mark.django_db

BASE = "/api/credit/v1"
COURSE = f"{BASE}/courses/{COURSE_KEY}"


def test_from_configuration_to_an_approved_credit_request(jwt_client, settings, django_capture_on_commit_callbacks):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": ["new-secret", "abcd1234"]}
    admin = jwt_client("registrar", roles=["credit_admins"])
    ron = jwt_client("ron", email="ron@example.com")

    # The registrar configures the provider, the course and its two requirements.
    provider = {
        "provider_id": "hogwarts",
        "display_name": "Hogwarts School",
        "provider_url": "https://credit.example.com/request",
        "enable_integration": True,
    }
    assert admin.post(f"{BASE}/providers/", provider, format="json").status_code == status.HTTP_201_CREATED
    assert admin.put(f"{COURSE}/", {"enabled": True}, format="json").status_code == status.HTTP_201_CREATED
    assert admin.put(f"{COURSE}/requirements/", TWO_REQUIREMENTS, format="json").status_code == status.HTTP_200_OK

    # Ron is not eligible yet; requesting credit is refused.
    request_body = {"username": "ron", "course_key": COURSE_KEY}
    assert ron.post(f"{BASE}/providers/hogwarts/request/", request_body, format="json").status_code == 400

    # Ron satisfies both requirements (the LMS reports them through the credit admin account).
    with django_capture_on_commit_callbacks(execute=True):
        for requirement, reason in zip(TWO_REQUIREMENTS, [{}, {"final_grade": 0.95}], strict=True):
            body = {
                "username": "ron",
                "namespace": requirement["namespace"],
                "name": requirement["name"],
                "status": "satisfied",
                "reason": reason,
            }
            response = admin.put(f"{COURSE}/requirements/status/", body, format="json")
            assert response.status_code == status.HTTP_200_OK, response.json()
    statuses = ron.get(f"{COURSE}/requirements/status/", {"username": "ron"}).json()
    assert [item["status"] for item in statuses] == ["satisfied", "satisfied"]

    # Ron is eligible and was told so by mail.
    [eligibility] = ron.get(f"{BASE}/eligibility/", {"username": "ron"}).json()
    assert eligibility["course_key"] == COURSE_KEY
    assert [message.to for message in mail.outbox] == [["ron@example.com"]]

    # Ron asks for credit: the browser gets signed parameters to POST to the provider.
    response = ron.post(f"{BASE}/providers/hogwarts/request/", request_body, format="json")
    assert response.status_code == status.HTTP_200_OK, response.json()
    description = response.json()
    assert description["method"] == "POST"
    assert description["url"] == "https://credit.example.com/request"
    parameters = description["parameters"]
    assert parameters["final_grade"] == "0.95"
    assert parameters["course_num"] == "DemoX"
    # The provider checks the signature with its copy of the newest secret.
    assert parameters["signature"] == signature(parameters, "new-secret")
    [pending] = ron.get(f"{BASE}/requests/", {"username": "ron"}).json()
    assert pending["status"] == "pending"
    assert pending["uuid"] == parameters["request_uuid"]

    # The provider approves with a signed callback (still on the older secret: rotation in progress).
    callback = {"request_uuid": parameters["request_uuid"], "status": "approved", "timestamp": int(time.time())}
    callback["signature"] = signature(callback, "abcd1234")
    response = APIClient().post(f"{BASE}/providers/hogwarts/callback/", callback, format="json")
    assert response.status_code == status.HTTP_200_OK, response.json()

    [approved] = ron.get(f"{BASE}/requests/", {"username": "ron", "course_key": COURSE_KEY}).json()
    assert approved["status"] == "approved"
    assert approved["provider"] == {"id": "hogwarts", "display_name": "Hogwarts School"}
    # Statuses are frozen now, and a new request is refused.
    response = admin.put(
        f"{COURSE}/requirements/status/",
        {"username": "ron", **{k: TWO_REQUIREMENTS[1][k] for k in ("namespace", "name")}, "status": "failed"},
        format="json",
    )
    assert response.json()["outcome"] == "frozen_by_request"
    again = ron.post(f"{BASE}/providers/hogwarts/request/", request_body, format="json")
    assert again.status_code == status.HTTP_400_BAD_REQUEST
