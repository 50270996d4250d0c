"""Open edX Credentials' own status clients, unchanged, against learner_cert_status (ADR 0010).

Credentials' clients and tests send the identifier they do not use as an explicit ``null``; that
means "not given", on the single endpoint and on each item of the bulk one.
"""

import pytest

from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/credentials/v1/learner_cert_status/"
BULK_URL = "/api/credentials/v1/bulk_learner_cert_status/"


@pytest.fixture
def reader(jwt_client):
    return jwt_client("credentials_worker", roles=["learner_status_readers"])


def test_credentials_status_client_body_with_null_username(reader):
    """Exactly the body Credentials' tests post for an unknown LMS user id."""
    run = CredentialFactory(learner=UserFactory(username="ana", lms_user_id=7)).course_run
    body = {"lms_user_id": 666, "username": None, "course_runs": [str(run.uuid)]}
    response = reader.post(URL, body, format="json")
    assert response.status_code == 200
    assert response.json() == {"lms_user_id": 666, "username": None, "status": []}


def test_null_identifier_is_answered_like_an_absent_one(reader):
    credential = CredentialFactory(learner=UserFactory(username="ana", lms_user_id=7))
    runs = [credential.course_run.key]
    with_null = reader.post(URL, {"lms_user_id": None, "username": "ana", "course_runs": runs}, format="json")
    without = reader.post(URL, {"username": "ana", "course_runs": runs}, format="json")
    assert with_null.status_code == without.status_code == 200
    assert with_null.json() == without.json()
    assert with_null.json()["status"][0]["status"] == "awarded"


def test_each_bulk_item_may_carry_a_null_identifier(reader):
    credential = CredentialFactory(learner=UserFactory(username="ana", lms_user_id=7))
    runs = [credential.course_run.key]
    body = [
        {"lms_user_id": 7, "username": None, "course_runs": runs},
        {"lms_user_id": None, "username": "i_am_a_big_faker", "course_runs": runs},
    ]
    response = reader.post(BULK_URL, body, format="json")
    assert response.status_code == 200
    first, second = response.json()
    assert (first["lms_user_id"], first["username"], len(first["status"])) == (7, "ana", 1)
    assert second == {"lms_user_id": None, "username": "i_am_a_big_faker", "status": []}


@pytest.mark.parametrize("url", [URL, BULK_URL])
def test_both_identifiers_null_is_still_a_400(reader, url):
    item = {"lms_user_id": None, "username": None, "course_runs": ["course-v1:edX+DemoX+1T2024"]}
    response = reader.post(url, [item] if url == BULK_URL else item, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].endswith("Give exactly one of lms_user_id or username.")
