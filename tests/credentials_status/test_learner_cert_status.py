"""POST /api/credentials/v1/learner_cert_status/: the Open edX Credentials-compatible answer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    CourseFactory,
    CourseRunFactory,
    CredentialFactory,
    EnrollmentFactory,
    GradeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/credentials/v1/learner_cert_status/"


@pytest.fixture
def reader(jwt_client):
    return jwt_client("support", roles=["learner_status_readers"])


@pytest.fixture
def ana():
    return UserFactory(username="ana", lms_user_id=7)


def run_ref(run):
    return {"uuid": str(run.uuid), "key": run.key}


def test_awarded_credential_full_answer(reader, ana):
    credential = CredentialFactory(learner=ana, type="verified")
    GradeFactory(learner=ana, course_run=credential.course_run, letter_grade="A", percent_grade="0.9100", verified=True)
    run = credential.course_run
    response = reader.post(URL, {"lms_user_id": 7, "courses": [str(run.course.uuid)]}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "lms_user_id": 7,
        "username": "ana",
        "status": [
            {
                "course_uuid": str(run.course.uuid),
                "course_run": run_ref(run),
                "status": "awarded",
                "type": "verified",
                "certificate_available_date": None,
                "grade": {"letter_grade": "A", "percent_grade": 0.91, "verified": True},
            }
        ],
    }


def test_runs_are_matched_by_uuid_or_key(reader, ana):
    first, second = CredentialFactory(learner=ana), CredentialFactory(learner=ana)
    CredentialFactory(learner=ana)  # not asked about
    body = {"username": "ana", "course_runs": [str(first.course_run.uuid), second.course_run.key]}
    keys = [item["course_run"]["key"] for item in reader.post(URL, body, format="json").json()["status"]]
    assert sorted(keys) == sorted([first.course_run.key, second.course_run.key])


def test_credential_matched_by_course_and_run_appears_once(reader, ana):
    credential = CredentialFactory(learner=ana)
    run = credential.course_run
    body = {"username": "ana", "courses": [str(run.course.uuid)], "course_runs": [run.key, str(run.uuid)]}
    assert len(reader.post(URL, body, format="json").json()["status"]) == 1


def test_course_lists_every_awarded_run_of_it(reader, ana):
    course = CourseFactory()
    runs = [CourseRunFactory(course=course), CourseRunFactory(course=course)]
    for run in runs:
        CredentialFactory(learner=ana, course_run=run)
    items = reader.post(URL, {"username": "ana", "courses": [str(course.uuid)]}, format="json").json()["status"]
    assert {item["course_run"]["key"] for item in items} == {run.key for run in runs}


def test_revoked_and_not_yet_available_credentials_are_hidden(reader, ana):
    revoked = CredentialFactory(learner=ana, status="revoked")
    future = CredentialFactory(learner=ana, certificate_available_date=timezone.now() + timedelta(days=3))
    past = CredentialFactory(learner=ana, certificate_available_date=timezone.now() - timedelta(days=3))
    body = {"username": "ana", "course_runs": [c.course_run.key for c in (revoked, future, past)]}
    items = reader.post(URL, body, format="json").json()["status"]
    assert [item["course_run"]["key"] for item in items] == [past.course_run.key]
    assert items[0]["certificate_available_date"] is not None


def test_other_learners_credentials_never_leak(reader, ana):
    credential = CredentialFactory(learner=UserFactory(username="bob"))
    body = {"username": "ana", "course_runs": [credential.course_run.key]}
    assert reader.post(URL, body, format="json").json()["status"] == []


@pytest.mark.parametrize("identifier", [{"username": "nobody"}, {"lms_user_id": 424242}])
def test_unknown_learner_echoes_identifier(reader, identifier):
    body = {**identifier, "course_runs": ["course-v1:edX+DemoX+1T2024"]}
    response = reader.post(URL, body, format="json")
    assert response.status_code == 200
    expected = {"lms_user_id": None, "username": None, "status": []} | identifier
    assert response.json() == expected


def test_include_incomplete_reports_every_requested_course_and_run(reader, ana):
    now = timezone.now()
    awarded = CredentialFactory(learner=ana)
    revoked = CredentialFactory(learner=ana, status="revoked", type="professional")
    pending = CredentialFactory(learner=ana, certificate_available_date=now + timedelta(days=5))
    enrolled = EnrollmentFactory(learner=ana, mode="audit")
    inactive = EnrollmentFactory(learner=ana, is_active=False)
    untouched_course = CourseFactory()
    unknown_course = "00000000-0000-4000-8000-000000000001"
    body = {
        "username": "ana",
        "include_incomplete": True,
        "courses": [
            str(awarded.course_run.course.uuid),
            str(revoked.course_run.course.uuid),
            str(enrolled.course_run.course.uuid),
            str(untouched_course.uuid),
            unknown_course,
        ],
        "course_runs": [pending.course_run.key, inactive.course_run.key, "course-v1:Nobody+Knows+1T2020"],
    }
    response = reader.post(URL, body, format="json")
    assert response.status_code == 200
    by_status = {}
    for item in response.json()["status"]:
        by_status.setdefault(item["status"], []).append(item)
    assert [i["course_run"]["key"] for i in by_status["awarded"]] == [awarded.course_run.key]
    assert by_status["revoked"] == [
        {
            "course_uuid": str(revoked.course_run.course.uuid),
            "course_run": run_ref(revoked.course_run),
            "status": "revoked",
            "type": "professional",
            "certificate_available_date": None,
            "grade": None,
        }
    ]
    assert [i["course_run"]["key"] for i in by_status["pending_availability"]] == [pending.course_run.key]
    assert by_status["enrolled"][0]["course_run"] == run_ref(enrolled.course_run)
    assert by_status["enrolled"][0]["type"] == "audit"
    not_enrolled = {
        (i["course_uuid"], i["course_run"]["key"] if i["course_run"] else None) for i in by_status["not_enrolled"]
    }
    assert not_enrolled == {
        (str(untouched_course.uuid), None),
        (unknown_course, None),
        (str(inactive.course_run.course.uuid), inactive.course_run.key),
        (None, "course-v1:Nobody+Knows+1T2020"),
    }


def test_an_inactive_enrollment_answers_as_no_enrollment_at_all(reader, ana):
    # An unenrolled learner's verified mode is history: the run has no type, and the course no run.
    inactive = EnrollmentFactory(learner=ana, mode="verified", is_active=False)
    run = inactive.course_run
    body = {
        "username": "ana",
        "include_incomplete": True,
        "courses": [str(run.course.uuid)],
        "course_runs": [run.key],
    }
    response = reader.post(URL, body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == [
        {
            "course_uuid": str(run.course.uuid),
            "course_run": None,
            "status": "not_enrolled",
            "type": None,
            "certificate_available_date": None,
            "grade": None,
        },
        {
            "course_uuid": str(run.course.uuid),
            "course_run": run_ref(run),
            "status": "not_enrolled",
            "type": None,
            "certificate_available_date": None,
            "grade": None,
        },
    ]


def test_include_incomplete_prefers_strongest_run_of_a_course(reader, ana):
    course = CourseFactory()
    revoked_run, enrolled_run = CourseRunFactory(course=course), CourseRunFactory(course=course)
    CredentialFactory(learner=ana, course_run=revoked_run, status="revoked")
    EnrollmentFactory(learner=ana, course_run=enrolled_run)
    body = {"username": "ana", "include_incomplete": True, "courses": [str(course.uuid)]}
    items = reader.post(URL, body, format="json").json()["status"]
    assert [(i["status"], i["course_run"]["key"]) for i in items] == [("revoked", revoked_run.key)]


def test_without_include_incomplete_only_awards_are_listed(reader, ana):
    EnrollmentFactory(learner=ana)
    revoked = CredentialFactory(learner=ana, status="revoked")
    body = {"username": "ana", "course_runs": [revoked.course_run.key], "courses": [str(CourseFactory().uuid)]}
    assert reader.post(URL, body, format="json").json()["status"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"username": "ana", "lms_user_id": 7, "courses": ["00000000-0000-4000-8000-000000000001"]},
            "non_field_errors",
        ),
        ({"courses": ["00000000-0000-4000-8000-000000000001"]}, "non_field_errors"),
        ({"username": "ana"}, "non_field_errors"),
        ({"username": "ana", "courses": [], "course_runs": []}, "non_field_errors"),
        ({"username": "ana", "courses": "not-a-list"}, "courses"),
        ({"username": "ana", "courses": ["not-a-uuid"]}, "courses.0"),
        ({"username": "ana", "course_runs": ["course-v1:edX+DemoX+1T2024", "nonsense key"]}, "course_runs.1"),
        ({"username": 12, "courses": ["00000000-0000-4000-8000-000000000001"]}, "username"),
        ({"lms_user_id": "7", "courses": ["00000000-0000-4000-8000-000000000001"]}, "lms_user_id"),
        ({"lms_user_id": True, "courses": ["00000000-0000-4000-8000-000000000001"]}, "lms_user_id"),
        ({"username": "ana", "course_runs": [f"course-v1:edX+C{i}+1T2024" for i in range(1001)]}, "course_runs"),
    ],
    ids=[
        "both-ids",
        "neither-id",
        "no-list",
        "empty-lists",
        "courses-not-list",
        "bad-course-uuid",
        "bad-run-key-index",
        "username-not-string",
        "lms-user-id-string",
        "lms-user-id-bool",
        "too-many-runs",
    ],
)
def test_bad_input_is_a_400_naming_the_field(reader, body, field):
    response = reader.post(URL, body, format="json")
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "validation"
    assert field in payload["errors"], payload


def test_non_json_body_is_a_json_400(reader):
    response = reader.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "parse-error"


def test_array_body_is_a_json_400(reader):
    response = reader.post(URL, [{"username": "ana"}], format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation"


def test_query_count_does_not_grow_with_courses(reader, ana, django_assert_max_num_queries):
    few = [CredentialFactory(learner=ana)]
    many = [CredentialFactory(learner=ana) for _ in range(199)] + few
    reader.post(URL, {"username": "ana", "courses": [str(few[0].course_run.course.uuid)]}, format="json")
    for credentials in (few, many):
        body = {"username": "ana", "courses": [str(c.course_run.course.uuid) for c in credentials]}
        # auth user + groups + pending enrollments of the token's email (ADR 0007), learner, credentials, grades
        with django_assert_max_num_queries(6):
            response = reader.post(URL, body, format="json")
        assert len(response.json()["status"]) == len(credentials)


def test_query_count_is_bounded_with_include_incomplete(reader, ana, django_assert_max_num_queries):
    credentials = [CredentialFactory(learner=ana, status="revoked") for _ in range(50)]
    enrollments = [EnrollmentFactory(learner=ana) for _ in range(50)]
    body = {
        "username": "ana",
        "include_incomplete": True,
        "courses": [str(c.course_run.course.uuid) for c in credentials],
        "course_runs": [e.course_run.key for e in enrollments],
    }
    reader.post(URL, body, format="json")  # first request copies the token's email onto the user
    with django_assert_max_num_queries(8):  # 1 of them: pending enrollments of the token's email (ADR 0007)
        response = reader.post(URL, body, format="json")
    assert len(response.json()["status"]) == 100


def test_query_count_does_not_grow_with_the_credentials_held(reader, django_assert_max_num_queries):
    light, heavy = UserFactory(username="light"), UserFactory(username="heavy")
    asked = CredentialFactory(learner=light).course_run.course
    CredentialFactory(learner=heavy, course_run__course=asked)
    for _ in range(199):
        CredentialFactory(learner=heavy)  # held, not asked about
    for learner in ("light", "heavy"):
        body = {"username": learner, "courses": [str(asked.uuid)]}
        reader.post(URL, body, format="json")  # the reader's first request copies its token's claims
        with django_assert_max_num_queries(6):  # as above, with the pending-enrollment check of ADR 0007
            response = reader.post(URL, body, format="json")
        assert [item["course_uuid"] for item in response.json()["status"]] == [str(asked.uuid)]
