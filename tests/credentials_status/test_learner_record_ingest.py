"""POST course_run_credentials/ and grades/: idempotent upserts keyed on (learner, run)."""

import pytest

from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from programs.models import Course, CourseRun, Organization
from tests.factories import CourseRunFactory, CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

CREDENTIALS_URL = "/api/credentials/v1/course_run_credentials/"
GRADES_URL = "/api/credentials/v1/grades/"
RUN_KEY = "course-v1:HarvardX+CS50+2T2026"


@pytest.fixture
def issuer(jwt_client):
    return jwt_client("lms_worker", roles=["credential_issuers"])


def credential_body(**overrides):
    return {"username": "ana", "lms_user_id": 7, "course_run_key": RUN_KEY, "status": "awarded", "type": "verified"} | (
        overrides
    )


def test_first_post_creates_learner_run_and_credential(issuer):
    response = issuer.post(CREDENTIALS_URL, credential_body(email="Ana@Example.com"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "awarded" and body["course_run_key"] == RUN_KEY and body["awarded_at"]
    assert User.objects.get(username="ana").email == "ana@example.com"
    run = CourseRun.objects.get(key=RUN_KEY)
    assert run.course.key == "HarvardX+CS50"
    assert run.course.organization.key == "HarvardX"


def test_replay_is_harmless_and_revocation_updates(issuer):
    assert issuer.post(CREDENTIALS_URL, credential_body(), format="json").status_code == 201
    replay = issuer.post(CREDENTIALS_URL, credential_body(), format="json")
    assert replay.status_code == 200
    revoked = issuer.post(CREDENTIALS_URL, credential_body(status="revoked"), format="json")
    assert revoked.status_code == 200
    credential = CourseRunCredential.objects.get()
    assert credential.status == "revoked" and credential.revoked_at and credential.awarded_at
    assert (CourseRunCredential.objects.count(), Course.objects.count(), Organization.objects.count()) == (1, 1, 1)


def test_grade_inside_credential_is_recorded(issuer):
    body = credential_body(grade={"letter_grade": "B", "percent_grade": 0.81, "verified": True})
    assert issuer.post(CREDENTIALS_URL, body, format="json").status_code == 201
    grade = Grade.objects.get()
    assert (grade.letter_grade, float(grade.percent_grade), grade.verified) == ("B", 0.81, True)


def test_certificate_available_date_round_trips(issuer):
    body = credential_body(certificate_available_date="2030-01-01T00:00:00Z")
    response = issuer.post(CREDENTIALS_URL, body, format="json")
    assert response.json()["certificate_available_date"] == "2030-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"type": "gold"}, "type"),
        ({"course_run_key": "not a key"}, "course_run_key"),
        ({"username": None}, "username"),
        ({"lms_user_id": "seven"}, "lms_user_id"),
        ({"grade": {"percent_grade": 1.5}}, "grade.percent_grade"),
        ({"certificate_available_date": "soon"}, "certificate_available_date"),
    ],
)
def test_bad_credential_input_is_400_and_changes_nothing(issuer, overrides, field):
    response = issuer.post(CREDENTIALS_URL, credential_body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CourseRunCredential.objects.exists()
    assert not CourseRun.objects.exists()
    assert not User.objects.filter(username="ana").exists()


def test_identity_conflict_is_409_and_changes_nothing(issuer):
    UserFactory(username="ana", lms_user_id=99)
    response = issuer.post(CREDENTIALS_URL, credential_body(), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert not CourseRunCredential.objects.exists()


def test_rename_by_lms_user_id_keeps_records(issuer):
    old = UserFactory(username="ana_old", lms_user_id=7)
    CredentialFactory(learner=old, course_run=CourseRunFactory(key=RUN_KEY))
    response = issuer.post(CREDENTIALS_URL, credential_body(status="revoked"), format="json")
    assert response.status_code == 200
    assert CourseRunCredential.objects.get().learner.username == "ana"


def test_credential_for_a_deleted_run_is_kept_and_run_stays_removed(issuer, jwt_client):
    publisher = jwt_client("lms_catalog", roles=["catalog_publishers"])
    issuer.post(CREDENTIALS_URL, credential_body(), format="json")
    assert publisher.delete(f"/api/programs/v1/course_runs/{RUN_KEY}/").status_code == 204
    assert issuer.post(CREDENTIALS_URL, credential_body(type="professional"), format="json").status_code == 200
    assert CourseRun.objects.get(key=RUN_KEY).removed_at is not None
    assert CourseRunCredential.objects.get().type == "professional"


def test_grades_ingest_upserts(issuer):
    body = {"username": "ana", "course_run_key": RUN_KEY, "letter_grade": "A", "percent_grade": 0.95, "verified": True}
    first = issuer.post(GRADES_URL, body, format="json")
    assert first.status_code == 201
    assert first.json()["percent_grade"] == 0.95
    second = issuer.post(GRADES_URL, body | {"percent_grade": 0.5, "letter_grade": "F"}, format="json")
    assert second.status_code == 200
    assert Grade.objects.get().letter_grade == "F"


@pytest.mark.parametrize("percent", [-0.1, 1.01, "abc", None])
def test_grade_out_of_range_is_400(issuer, percent):
    body = {"username": "ana", "course_run_key": RUN_KEY, "percent_grade": percent}
    response = issuer.post(GRADES_URL, body, format="json")
    assert response.status_code == 400
    assert "percent_grade" in response.json()["errors"]
    assert not Grade.objects.exists()


@pytest.mark.parametrize(
    ("url", "body"),
    [(CREDENTIALS_URL, credential_body()), (GRADES_URL, credential_body(letter_grade="B", percent_grade="0.81"))],
)
def test_only_credential_issuers_may_write(jwt_client, api_client, url, body):
    assert api_client.post(url, body, format="json").status_code == 401
    for roles in ([], ["learner_status_readers"], ["catalog_publishers"]):
        client = jwt_client(f"user_{len(roles)}", roles=roles)
        assert client.post(url, body, format="json").status_code == 403
    assert not User.objects.filter(username="ana").exists()
    assert jwt_client("admin", administrator=True).post(url, body, format="json").status_code == 201
    assert jwt_client("lms_worker", roles=["credential_issuers"]).post(url, body, format="json").status_code == 200
    model = CourseRunCredential if url == CREDENTIALS_URL else Grade
    assert model.objects.filter(learner__username="ana", course_run__key=RUN_KEY).count() == 1
