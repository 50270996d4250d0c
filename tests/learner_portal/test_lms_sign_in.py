"""Signing in through the LMS (OAuth2 with a fake LMS at the HTTP boundary) and with its JWT cookie pair."""

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.test import Client
from rest_framework import status
from social_core.backends import utils

from core.jwt import encode_jwt
from core.models import User
from tests.learner_portal.conftest import EXCLUDED_EXPLANATION
from tests.learner_portal.fake_lms import CLIENT_ID, CLIENT_SECRET, LMS, lms_settings, state_of, token_answer


@pytest.fixture
def lms(settings: Any) -> Any:
    lms_settings(settings)
    with responses.RequestsMock() as rsps:
        yield rsps
    # social-core caches the backends it loaded; the next test's settings may not have this one.
    utils.BACKENDSCACHE.clear()


def sign_in_through_lms(client: Client, rsps: responses.RequestsMock, **claims: Any) -> Any:
    """Follow the sign-in as a browser would: our login page, the LMS, back to our redirect URI."""
    start = client.get("/learner/programs/")
    assert start["Location"] == "/learner/login/?next=/learner/programs/"
    login_page = client.get(start["Location"])
    assert b"Sign in with your LMS account" in login_page.content
    to_lms = client.post(
        "/login/edx-oauth2/",
        {"next": "/learner/programs/", "csrfmiddlewaretoken": login_page.cookies["csrftoken"].value},
    )
    assert to_lms.status_code == status.HTTP_302_FOUND
    authorize = urlparse(to_lms["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{LMS}/oauth2/authorize"
    query = parse_qs(authorize.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"][0].split("?")[0] == "http://testserver/complete/edx-oauth2/"
    token_answer(rsps, **claims)
    state = state_of(to_lms["Location"])
    return client.get(f"/complete/edx-oauth2/?code=the-code&state={state}&redirect_state={state}")


def test_a_learner_signs_in_through_the_lms_and_sees_their_program(learner_data: SimpleNamespace, lms: Any) -> None:
    client = Client()

    back = sign_in_through_lms(
        client, lms, username="sam", lms_user_id=1003, email="Sam@Example.com", administrator=True
    )

    assert back.status_code == status.HTTP_302_FOUND
    assert back["Location"] == "/learner/programs/"
    token_call = parse_qs(lms.calls[0].request.body)
    assert token_call["code"] == ["the-code"]
    assert token_call["token_type"] == ["jwt"]
    assert (token_call["client_id"], token_call["client_secret"]) == ([CLIENT_ID], [CLIENT_SECRET])
    page = client.get("/learner/programs/")
    assert page.status_code == status.HTTP_200_OK
    assert EXCLUDED_EXPLANATION in " ".join(page.content.decode().split())
    sam = User.objects.get(username="sam")
    # The administrator claim is not stored (ADR 0008): a session stays a learner's.
    assert (sam.pk, sam.email, sam.is_staff) == (learner_data.sam.pk, "sam@example.com", False)


def test_an_lms_rename_keeps_the_learners_records(learner_data: SimpleNamespace, lms: Any) -> None:
    client = Client()

    sign_in_through_lms(client, lms, username="samuel", lms_user_id=1003)

    assert client.get("/learner/programs/").context["learner"].pk == learner_data.sam.pk
    assert User.objects.get(pk=learner_data.sam.pk).username == "samuel"


def test_a_conflicting_identity_is_refused_and_changes_nothing(learner_data: SimpleNamespace, lms: Any) -> None:
    client = Client()

    # "kim" is LMS user 1004 here; the LMS says kim is 2001.
    back = sign_in_through_lms(client, lms, username="kim", lms_user_id=2001)

    assert back.status_code == status.HTTP_302_FOUND
    assert back["Location"] == "/learner/login/?lms_error=1"
    assert client.get("/learner/programs/").status_code == status.HTTP_302_FOUND
    assert User.objects.get(username="kim").lms_user_id == 1004
    assert not User.objects.filter(lms_user_id=2001).exists()


def test_a_forged_state_is_refused(learner_data: SimpleNamespace, lms: Any) -> None:
    client = Client()
    client.post("/login/edx-oauth2/", {"next": "/learner/programs/"})

    back = client.get("/complete/edx-oauth2/?code=the-code&state=forged")

    assert back["Location"] == "/learner/login/?lms_error=1"
    assert client.get("/learner/programs/").status_code == status.HTTP_302_FOUND
    assert len(lms.calls) == 0  # no token was asked for


def test_without_an_lms_client_only_local_passwords_are_offered(learner_data: SimpleNamespace) -> None:
    client = Client()

    assert b"Sign in with your LMS account" not in client.get("/learner/login/").content
    assert client.post("/login/edx-oauth2/").status_code == status.HTTP_404_NOT_FOUND


OTHER_SECRET = "not-the-lms-secret-but-long-enough-for-hs256"


def jwt_cookie_client(token: str) -> Client:
    header_payload, signature = token.rsplit(".", 1)
    client = Client()
    client.cookies["edx-jwt-cookie-header-payload"] = header_payload
    client.cookies["edx-jwt-cookie-signature"] = signature
    return client


def test_the_lms_jwt_cookie_pair_signs_the_learner_in_without_a_session(learner_data: SimpleNamespace) -> None:
    client = jwt_cookie_client(encode_jwt(username="sam", lms_user_id=1003))

    page = client.get(f"/learner/programs/{learner_data.program.uuid}/")
    api = client.get("/api/credentials/v1/learners/me/programs/")

    assert page.status_code == status.HTTP_200_OK
    assert EXCLUDED_EXPLANATION in " ".join(page.content.decode().split())
    assert "sessionid" not in client.cookies
    assert api.status_code == status.HTTP_200_OK
    assert [item["program"]["title"] for item in api.json()] == ["Data Science", "Private Other Program"]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: encode_jwt(username="sam", lms_user_id=1003, secret=OTHER_SECRET), id="forged"),
        pytest.param(lambda: encode_jwt(username="sam", lms_user_id=1003, expires_in=-60), id="expired"),
    ],
)
def test_a_forged_or_expired_jwt_cookie_signs_nobody_in(learner_data: SimpleNamespace, token: Any) -> None:
    client = jwt_cookie_client(token())

    response = client.get("/learner/programs/")

    assert response.status_code == status.HTTP_302_FOUND
    assert response["Location"].startswith("/learner/login/")


def test_one_requests_jwt_cookie_user_never_serves_the_next_request(learner_data: SimpleNamespace) -> None:
    sam = jwt_cookie_client(encode_jwt(username="sam", lms_user_id=1003))
    forged = jwt_cookie_client(encode_jwt(username="sam", lms_user_id=1003, secret=OTHER_SECRET))

    assert sam.get("/learner/programs/").status_code == status.HTTP_200_OK
    response = forged.get("/learner/programs/")

    assert response.status_code == status.HTTP_302_FOUND
