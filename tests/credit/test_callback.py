"""The provider callback: signature-checked, no login, timestamps expire, replays are harmless."""

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from freezegun import freeze_time
from rest_framework import status
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from credit.models import CreditRequest
from credit.signature import signature
from tests.credit.factories import CreditProviderFactory, CreditRequestFactory

pytestmark = pytest.mark.django_db

URL = "/api/credit/v1/providers/hogwarts/callback/"
SHARED_SECRET = "abcd1234"


@pytest.fixture
def pending(provider) -> CreditRequest:  # type: ignore[no-untyped-def]
    return CreditRequestFactory(provider=provider)


def signed(body: dict, secret: str = SHARED_SECRET) -> dict:
    return {**body, "signature": signature(body, secret)}


def callback(credit_request: CreditRequest, status_value: str = "approved", **overrides: object) -> dict:
    return {"request_uuid": credit_request.uuid, "status": status_value, "timestamp": int(time.time()), **overrides}


def post(body: dict, url: str = URL):  # type: ignore[no-untyped-def]
    return APIClient().post(url, body, format="json")


def status_of(credit_request: CreditRequest) -> str:
    credit_request.refresh_from_db()
    return credit_request.status


def test_a_signed_callback_approves_without_login(pending):
    response = post(signed(callback(pending)))
    assert response.status_code == status.HTTP_200_OK, response.json()
    assert response.json() == {"request_uuid": pending.uuid, "status": "approved"}
    assert status_of(pending) == "approved"


def test_rejected_is_accepted_too(pending):
    assert post(signed(callback(pending, "rejected"))).status_code == status.HTTP_200_OK
    assert status_of(pending) == "rejected"


def test_an_old_key_still_verifies_after_rotation(pending, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": ["new-key", "abcd1234"]}
    assert post(signed(callback(pending), "abcd1234")).status_code == status.HTTP_200_OK
    assert status_of(pending) == "approved"


def test_a_retired_key_no_longer_verifies(pending, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": ["new-key"]}
    assert post(signed(callback(pending), "abcd1234")).status_code == status.HTTP_403_FORBIDDEN
    assert status_of(pending) == "pending"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body: {**body, "signature": "0" * 64},
        lambda body: {**body, "status": "rejected"},  # signed as approved
        lambda body: {**body, "signature": signature(body, "wrong-secret")},
        lambda body: {**body, "extra": "unsigned"},
    ],
)
def test_a_bad_signature_is_403_and_changes_nothing(pending, tamper):
    response = post(tamper(signed(callback(pending))))
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["reason"] == "invalid_signature"
    assert status_of(pending) == "pending"


@pytest.mark.parametrize("signature_value", [None, 12, ""])
def test_a_missing_signature_is_403_and_changes_nothing(pending, signature_value):
    body = callback(pending) if signature_value is None else {**callback(pending), "signature": signature_value}
    response = post(body)
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["reason"] == "invalid_signature"
    assert status_of(pending) == "pending"


def test_a_provider_without_any_entry_in_the_secret_keys_is_403(pending, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"someone-else": "abcd1234"}
    response = post(signed(callback(pending)))
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["reason"] == "credit_provider_not_configured"
    assert status_of(pending) == "pending"


def test_no_secret_configured_is_403(pending, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "sécret-non-ascii"}
    response = post(signed(callback(pending), "sécret-non-ascii"))
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["reason"] == "credit_provider_not_configured"
    assert status_of(pending) == "pending"


def test_a_stale_timestamp_is_400(pending, settings):
    settings.CREDIT_PROVIDER_TIMESTAMP_EXPIRATION = 15 * 60
    with freeze_time("2026-03-01 10:00:00"):
        body = signed(callback(pending))
    with freeze_time("2026-03-01 10:14:00"):
        assert post(body).status_code == status.HTTP_200_OK
    pending.status = "pending"
    pending.save()
    with freeze_time("2026-03-01 10:16:00"):
        response = post(body)
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "timestamp" in response.json()["errors"]
    assert status_of(pending) == "pending"


@pytest.mark.parametrize("timestamp", ["yesterday", None, 1.5, True, "12.5"])
def test_a_timestamp_that_is_not_an_integer_is_400(pending, timestamp):
    response = post(signed(callback(pending, timestamp=timestamp)))
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert status_of(pending) == "pending"


def test_a_timestamp_sent_as_a_string_of_digits_is_accepted(pending):
    assert post(signed(callback(pending, timestamp=str(int(time.time()))))).status_code == status.HTTP_200_OK


@pytest.mark.parametrize("status_value", ["pending", "granted", ""])
def test_an_unknown_status_is_400(pending, status_value):
    response = post(signed(callback(pending, status_value)))
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert status_of(pending) == "pending"


def test_a_request_of_another_provider_is_404(pending, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "abcd1234", "asu": "asu-secret"}
    CreditProviderFactory(provider_id="asu")
    response = post(signed(callback(pending), "asu-secret"), url="/api/credit/v1/providers/asu/callback/")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["reason"] == "credit_request_not_found"
    assert status_of(pending) == "pending"


def test_an_unknown_provider_is_404(pending):
    response = post(signed(callback(pending)), url="/api/credit/v1/providers/nobody/callback/")
    assert response.status_code == status.HTTP_404_NOT_FOUND


def test_an_unknown_request_is_404(pending):
    body = signed({"request_uuid": "f" * 32, "status": "approved", "timestamp": int(time.time())})
    assert post(body).status_code == status.HTTP_404_NOT_FOUND


def test_replaying_a_callback_is_harmless(pending):
    body = signed(callback(pending))
    assert post(body).status_code == status.HTTP_200_OK
    pending.refresh_from_db()
    applied = (pending.status, pending.modified, pending.provider_timestamp)
    assert applied[2] == body["timestamp"]
    with freeze_time(timezone.now() + timedelta(minutes=1)):
        response = post(body)
    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"request_uuid": pending.uuid, "status": "approved"}
    pending.refresh_from_db()
    assert (pending.status, pending.modified, pending.provider_timestamp) == applied  # not even touched


def test_the_same_decision_sent_later_moves_only_the_timestamp_on(pending):
    with freeze_time("2026-03-01 10:00:00"):
        approve = signed(callback(pending, "approved"))
    with freeze_time("2026-03-01 10:02:00"):
        reject = signed(callback(pending, "rejected"))
    with freeze_time("2026-03-01 10:04:00"):
        approve_again = signed(callback(pending, "approved"))
        assert post(approve).status_code == status.HTTP_200_OK
        pending.refresh_from_db()
        modified = pending.modified
        assert post(approve_again).status_code == status.HTTP_200_OK
        pending.refresh_from_db()
        assert (pending.status, pending.modified) == ("approved", modified)
        assert pending.provider_timestamp == approve_again["timestamp"]
        # The provider's reject of 10:02 arrives last: older than its approve of 10:04, ignored.
        assert post(reject).status_code == status.HTTP_200_OK
    assert status_of(pending) == "approved"


def test_replaying_an_older_callback_cannot_undo_a_newer_decision(pending):
    with freeze_time("2026-03-01 10:00:00"):
        approve = signed(callback(pending, "approved"))
    with freeze_time("2026-03-01 10:05:00"):
        reject = signed(callback(pending, "rejected"))
        assert post(approve).status_code == status.HTTP_200_OK
        assert post(reject).status_code == status.HTTP_200_OK
        assert post(approve).status_code == status.HTTP_200_OK  # a replay: accepted, ignored
    assert status_of(pending) == "rejected"


def test_a_session_or_jwt_is_not_needed_nor_used(pending, jwt_client):
    client = jwt_client("ron")
    assert client.post(URL, signed(callback(pending)), format="json").status_code == status.HTTP_200_OK


def test_callbacks_are_throttled(pending, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"credit_callback": "2/minute"})
    body = signed(callback(pending))
    assert post(body).status_code == status.HTTP_200_OK
    assert post(body).status_code == status.HTTP_200_OK
    response = post(body)
    assert response.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert response.json()["status"] == 429


def test_the_signature_covers_every_key_posted(pending):
    # A key this service does not use is still part of what the provider signed.
    body = signed(callback(pending, note="Approved by the registrar", batch=7))
    response = post(body)
    assert response.status_code == status.HTTP_200_OK, response.json()
    assert status_of(pending) == "approved"


def test_a_form_encoded_callback_is_the_json_415_and_changes_nothing(pending):
    body = signed(callback(pending))
    response = APIClient().post(URL, body)  # multipart, as a browser form would send it
    assert response.status_code == status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unsupported-media-type"
    assert response.json()["status"] == 415
    response = APIClient().post(URL, urlencode(body), content_type="application/x-www-form-urlencoded")
    assert response.status_code == status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    assert response.json()["code"] == "unsupported-media-type"
    assert status_of(pending) == "pending"


@pytest.mark.parametrize("payload", [[], ["request_uuid"], "approved", 12])
def test_a_json_body_that_is_not_an_object_is_400(pending, payload):
    response = APIClient().post(URL, json.dumps(payload), content_type="application/json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "validation"
    assert status_of(pending) == "pending"


@pytest.mark.parametrize("timestamp", [10**400, -(10**400), str(10**400)])
def test_a_signed_callback_with_an_astronomical_timestamp_is_a_400(pending, timestamp):
    response = post(signed(callback(pending, timestamp=timestamp)))
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "timestamp" in response.json()["errors"]
    assert status_of(pending) == "pending"


def test_an_unpaired_surrogate_in_a_callback_is_refused_before_the_signature(pending):
    body = '{"request_uuid": "%s", "status": "approved", "timestamp": 1, "x": "\\ud800", "signature": "00"}'
    response = APIClient().post(URL, body % pending.uuid, content_type="application/json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "parse-error"
    assert "surrogate" in response.json()["detail"]
    assert status_of(pending) == "pending"
