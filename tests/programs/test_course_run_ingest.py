"""PUT/DELETE /api/programs/v1/course_runs/{key}/: the LMS pushes its runs (ADR 0001)."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.jwt import encode_jwt
from credentials_status.models import CourseRunCredential
from programs.models import Course, CourseRun, Organization
from tests.concurrency import run_together
from tests.factories import CredentialFactory

RUN_KEY = "course-v1:MITx+6.002x+3T2026"
URL = f"/api/programs/v1/course_runs/{RUN_KEY}/"


@pytest.fixture
def publisher(jwt_client):
    return jwt_client("lms_catalog", roles=["catalog_publishers"])


@pytest.mark.django_db
def test_first_put_creates_run_course_and_org_then_200(publisher):
    body = {"title": "Circuits", "start": "2026-09-01T00:00:00Z", "end": "2026-12-15T00:00:00Z"}
    first = publisher.put(URL, body, format="json")
    assert first.status_code == 201
    payload = first.json()
    assert payload["key"] == RUN_KEY
    assert (payload["course_key"], payload["organization_key"], payload["title"]) == ("MITx+6.002x", "MITx", "Circuits")
    again = publisher.put(URL, body, format="json")
    assert again.status_code == 200
    assert again.json()["uuid"] == payload["uuid"]
    assert (Organization.objects.count(), Course.objects.count(), CourseRun.objects.count()) == (1, 1, 1)


@pytest.mark.django_db
def test_put_without_body_and_second_run_reuses_course(publisher):
    assert publisher.put(URL).status_code == 201
    assert publisher.put("/api/programs/v1/course_runs/course-v1:MITx+6.002x+1T2027/").status_code == 201
    assert Course.objects.get().course_runs.count() == 2


@pytest.mark.django_db
def test_old_style_run_key_is_parsed(publisher):
    response = publisher.put("/api/programs/v1/course_runs/edX/DemoX/2014/", format="json")
    assert response.status_code == 201
    assert response.json()["course_key"] == "edX+DemoX"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["not-a-key", "course-v1:OnlyOrg", "library-v1:edX+Lib"])
def test_invalid_key_is_400_and_creates_nothing(publisher, key):
    response = publisher.put(f"/api/programs/v1/course_runs/{key}/", format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["course_run_key"]
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_bad_body_is_400_and_changes_nothing(publisher):
    publisher.put(URL, {"title": "Circuits"}, format="json")
    for body in ({"start": "yesterday"}, {"start": "2026-09-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}):
        response = publisher.put(URL, body, format="json")
        assert response.status_code == 400
    run = CourseRun.objects.get()
    assert (run.title, run.start, run.end) == ("Circuits", None, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "message"),
    [
        (f"course-v1:MITx+6.002x+{'R' * 240}", "The course run key is longer than 255 characters."),
        (f"course-v1:MITx+{'C' * 251}+1T2026", "Its course key is longer than 255 characters."),
        (f"course-v1:{'O' * 256}+C+1T2026", "Its organization key is longer than 255 characters."),
    ],
    ids=["run", "course", "organization"],
)
def test_a_key_too_long_to_store_is_400_and_creates_nothing(publisher, key, message):
    response = publisher.put(f"/api/programs/v1/course_runs/{key}/", {"title": "Long"}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"course_run_key": [message]}
    assert (Organization.objects.count(), Course.objects.count(), CourseRun.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_dates_are_checked_against_the_stored_ones(publisher):
    publisher.put(URL, {"start": "2026-09-01T00:00:00Z", "end": "2026-12-15T00:00:00Z"}, format="json")

    early_end = publisher.put(URL, {"end": "2026-08-01T00:00:00Z"}, format="json")
    late_start = publisher.put(URL, {"start": "2027-01-01T00:00:00Z"}, format="json")

    assert early_end.status_code == 400
    assert early_end.json()["errors"] == {"end": ["end must not be before start (2026-09-01T00:00:00+00:00)."]}
    assert late_start.status_code == 400
    assert late_start.json()["errors"] == {"start": ["start must not be after end (2026-12-15T00:00:00+00:00)."]}
    run = CourseRun.objects.get()
    assert (run.start.isoformat(), run.end.isoformat()) == ("2026-09-01T00:00:00+00:00", "2026-12-15T00:00:00+00:00")
    # Both moved in one body: checked against each other, not the stored values.
    moved = publisher.put(URL, {"start": "2027-01-01T00:00:00Z", "end": "2027-04-01T00:00:00Z"}, format="json")
    assert moved.status_code == 200 and moved.json()["start"] == "2027-01-01T00:00:00Z"


@pytest.mark.django_db
def test_null_clears_a_date_and_a_missing_field_is_kept(publisher):
    publisher.put(
        URL, {"title": "Circuits", "start": "2026-09-01T00:00:00Z", "end": "2026-12-15T00:00:00Z"}, format="json"
    )

    response = publisher.put(URL, {"end": None}, format="json")

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["start"], response.json()["end"]) == (
        "Circuits",
        "2026-09-01T00:00:00Z",
        None,
    )
    run = CourseRun.objects.get()
    assert (run.title, run.end) == ("Circuits", None)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['{"title": 7}', '{"title": null}', '{"title": ["x"]}', "[]", "null"])
def test_a_title_that_is_not_a_string_or_a_body_that_is_not_an_object_is_400(publisher, body):
    publisher.put(URL, {"title": "Circuits"}, format="json")

    response = publisher.put(URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert CourseRun.objects.get().title == "Circuits"


@pytest.mark.django_db
def test_delete_is_idempotent_and_keeps_learner_records(publisher):
    credential = CredentialFactory(course_run__key=RUN_KEY)
    assert publisher.delete(URL).status_code == 204
    assert publisher.delete(URL).status_code == 204
    assert publisher.delete("/api/programs/v1/course_runs/course-v1:Never+Seen+1T2020/").status_code == 204
    run = CourseRun.objects.get(key=RUN_KEY)
    assert run.removed_at is not None
    assert CourseRunCredential.objects.get() == credential
    assert publisher.put(URL, format="json").status_code == 200
    run.refresh_from_db()
    assert run.removed_at is None


@pytest.mark.django_db
def test_delete_invalid_key_is_400(publisher):
    assert publisher.delete("/api/programs/v1/course_runs/garbage/").status_code == 400


@pytest.mark.django_db
def test_only_catalog_publishers_may_push(jwt_client, api_client):
    assert api_client.put(URL).status_code == 401
    assert api_client.delete(URL).status_code == 401
    learner = jwt_client("ana", roles=["credential_issuers", "learner_status_readers"])
    assert learner.put(URL).status_code == 403
    assert learner.delete(URL).status_code == 403
    assert not CourseRun.objects.exists()
    assert jwt_client("admin", administrator=True).put(URL).status_code == 201


@pytest.mark.django_db
def test_get_on_the_ingest_url_is_405_json(publisher):
    response = publisher.post(URL, {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method-not-allowed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_puts_create_one_of_each(jwt_client):
    """Runs in CI on PostgreSQL only (marked ``postgres``: CI's MariaDB run deselects it)."""
    if connection.vendor != "postgresql":
        pytest.skip("NEEDS POSTGRESQL: run with DATABASE_URL=postgres://... to test concurrent PUTs")
    jwt_client("lms_catalog", roles=["catalog_publishers"])
    token = encode_jwt(username="lms_catalog")

    def put() -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
        return client.put(URL, {"title": "Circuits"}, format="json").status_code

    statuses, errors = run_together(*[put] * 20)
    assert errors == []
    assert sorted(statuses) == [200] * 19 + [201]
    assert (Organization.objects.count(), Course.objects.count(), CourseRun.objects.count()) == (1, 1, 1)
