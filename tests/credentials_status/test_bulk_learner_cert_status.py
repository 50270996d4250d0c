"""POST /api/credentials/v1/bulk_learner_cert_status/."""

import pytest

from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/credentials/v1/bulk_learner_cert_status/"


@pytest.fixture
def reader(jwt_client):
    return jwt_client("support", roles=["learner_status_readers"])


def test_answers_come_in_request_order(reader):
    ana, bob = UserFactory(username="ana", lms_user_id=7), UserFactory(username="bob")
    first, second = CredentialFactory(learner=ana), CredentialFactory(learner=bob)
    body = [
        {"username": "bob", "course_runs": [second.course_run.key]},
        {"lms_user_id": 7, "course_runs": [first.course_run.key]},
        {"username": "ghost", "course_runs": [first.course_run.key]},
    ]
    response = reader.post(URL, body, format="json")
    assert response.status_code == 200
    answers = response.json()
    assert [(a["username"], a["lms_user_id"]) for a in answers] == [
        ("bob", bob.lms_user_id),
        ("ana", 7),
        ("ghost", None),
    ]
    assert answers[0]["status"][0]["course_run"]["key"] == second.course_run.key
    assert answers[1]["status"][0]["course_run"]["key"] == first.course_run.key
    assert answers[2]["status"] == []


def test_invalid_item_is_a_400_naming_its_index(reader):
    body = [
        {"username": "ana", "course_runs": ["course-v1:edX+DemoX+1T2024"]},
        {"username": "bob", "course_runs": ["course-v1:edX+DemoX+1T2024"]},
        {"username": "bob", "lms_user_id": 3, "course_runs": ["course-v1:edX+DemoX+1T2024"]},
        {"username": "cy", "courses": ["nope"]},
    ]
    response = reader.post(URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"2.non_field_errors", "3.courses.0"}


def test_a_value_repeated_across_items_is_judged_the_same_every_time(reader):
    """Each distinct string is validated once per request (core.fields.RemembersAcceptedStrings): a
    refused value is refused at every place it appears, an accepted one accepted everywhere."""
    course = "7b1f3c6e-9d2a-4c1e-8f00-1a2b3c4d5e6f"
    body = [
        {"username": "ana", "courses": [course], "course_runs": ["course-v1:edX+DemoX+1T2024", "lib:x"]},
        {"username": "bob", "courses": [course, "nope"], "course_runs": ["course-v1:edX+DemoX+1T2024"]},
        {"username": "cy", "courses": ["nope", course], "course_runs": ["lib:x", "course-v1:edX+DemoX+1T2024"]},
    ]
    response = reader.post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "0.course_runs.1",
        "1.courses.1",
        "2.courses.0",
        "2.course_runs.0",
    }
    valid = [{**item, "courses": [course], "course_runs": ["course-v1:edX+DemoX+1T2024"]} for item in body]
    answers = reader.post(URL, valid, format="json").json()
    assert [answer["username"] for answer in answers] == ["ana", "bob", "cy"]


@pytest.mark.parametrize("body", [{"username": "ana"}, "text", [], None])
def test_non_list_or_empty_body_is_a_400(reader, body):
    response = reader.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"validation", "parse-error"}


def test_more_than_1000_items_is_a_400(reader):
    body = [{"username": "ana", "course_runs": ["course-v1:edX+DemoX+1T2024"]}] * 1001
    response = reader.post(URL, body, format="json")
    assert response.status_code == 400
    assert "1,000" in response.json()["detail"]


def test_learner_may_ask_only_about_themself_in_every_item(jwt_client):
    client = jwt_client("ana", lms_user_id=7)
    own = [{"username": "ana", "course_runs": ["course-v1:edX+DemoX+1T2024"]}]
    assert client.post(URL, own, format="json").status_code == 200
    mixed = [*own, {"username": "bob", "course_runs": ["course-v1:edX+DemoX+1T2024"]}]
    assert client.post(URL, mixed, format="json").status_code == 403


@pytest.mark.parametrize(
    ("claims", "roles", "expected"),
    [
        ({}, ["catalog_publishers"], 403),
        ({}, ["credential_issuers", "enrollment_admins", "credit_admins"], 403),
        ({}, ["learner_status_readers"], 200),
        ({"administrator": True}, [], 200),
    ],
    ids=["publisher", "writers-without-read", "reader", "staff"],
)
def test_only_readers_and_staff_may_ask_about_others(jwt_client, claims, roles, expected):
    CredentialFactory(learner=UserFactory(username="bob"), course_run__key="course-v1:edX+DemoX+1T2024")
    client = jwt_client("caller", roles=roles, **claims)
    body = [{"username": "bob", "course_runs": ["course-v1:edX+DemoX+1T2024"]}]
    response = client.post(URL, body, format="json")
    assert response.status_code == expected
    if expected == 200:
        assert [item["course_run"]["key"] for item in response.json()[0]["status"]] == ["course-v1:edX+DemoX+1T2024"]
    else:
        assert response.json()["code"] == "authz"


def test_anonymous_is_401(api_client):
    assert api_client.post(URL, [], format="json").status_code == 401


def test_bulk_answers_equal_single_answers_and_queries_stay_bounded(reader, django_assert_max_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import EnrollmentFactory, GradeFactory

    learners = [UserFactory() for _ in range(30)]
    body = []
    for index, learner in enumerate(learners):
        awarded = CredentialFactory(learner=learner)
        GradeFactory(learner=learner, course_run=awarded.course_run)
        revoked = CredentialFactory(learner=learner, status="revoked")
        pending = CredentialFactory(learner=learner, certificate_available_date=timezone.now() + timedelta(days=2))
        enrolled = EnrollmentFactory(learner=learner)
        identity = {"username": learner.username} if index % 2 else {"lms_user_id": learner.lms_user_id}
        body.append(
            identity
            | {
                "courses": [str(awarded.course_run.course.uuid), str(revoked.course_run.course.uuid)],
                "course_runs": [pending.course_run.key, str(enrolled.course_run.uuid), "course-v1:No+Such+Run"],
                "include_incomplete": bool(index % 3),
            }
        )
    body.append({"username": "ghost", "courses": [str(CredentialFactory().course_run.course.uuid)]})
    reader.post(URL, body[:1], format="json")  # first request copies the token's claims onto the user
    with django_assert_max_num_queries(8):
        bulk = reader.post(URL, body, format="json")
    assert bulk.status_code == 200
    singles = [reader.post("/api/credentials/v1/learner_cert_status/", item, format="json").json() for item in body]
    assert bulk.json() == singles
    assert sum(len(answer["status"]) for answer in singles) > 60
