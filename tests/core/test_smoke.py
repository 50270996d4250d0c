import pytest

from tests.factories import CredentialFactory

pytestmark = pytest.mark.django_db


def test_learner_reads_own_status(jwt_client):
    credential = CredentialFactory(learner__username="ana", learner__lms_user_id=7)
    client = jwt_client("ana", lms_user_id=7)
    response = client.post(
        "/api/credentials/v1/learner_cert_status/",
        {"username": "ana", "course_runs": [credential.course_run.key]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["username"] == "ana"
    assert body["status"][0]["course_run"]["key"] == credential.course_run.key
