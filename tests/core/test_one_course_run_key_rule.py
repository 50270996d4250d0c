"""One course run key rule: every endpoint that takes a key refuses the same bad key with the same message.

The rule is ``core.course_keys.course_run_key_parse``; each endpoint only names the field its contract
uses (``course_run_key``, or ``course_key`` in the credit API). A caller that parses keys its own way
makes one of these answers differ.
"""

import pytest
from rest_framework import status

from core.course_keys import CourseRunKeyRefused, course_run_key_parse
from credentials_status.models import CourseRunCredential, Grade
from credit.models import CreditCourse
from enrollments.models import Enrollment
from programs.models import CourseRun

BAD_KEYS = {
    "not a key": "'not a key' is not a valid course run key.",
    "library-v1:edX+Lib": "'library-v1:edX+Lib' names a library, not a course run.",
    f"course-v1:MITx+6.002x+{'R' * 240}": "The course run key is longer than 255 characters.",
    f"course-v1:MITx+{'C' * 251}+1T2026": "Its course key is longer than 255 characters.",
    f"course-v1:{'O' * 256}+C+1T2026": "Its organization key is longer than 255 characters.",
}


def _message(key: str) -> str:
    with pytest.raises(CourseRunKeyRefused) as refused:
        course_run_key_parse(key)
    return str(refused.value)


@pytest.mark.parametrize("key", list(BAD_KEYS), ids=["syntax", "library", "run", "course", "organization"])
def test_the_parser_says_why(key):
    assert _message(key) == BAD_KEYS[key]


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(BAD_KEYS), ids=["syntax", "library", "run", "course", "organization"])
def test_every_endpoint_refuses_a_bad_key_with_the_parsers_message(jwt_client, key):
    expected = [BAD_KEYS[key]]
    issuer = jwt_client("lms_worker", roles=["credential_issuers"])
    publisher = jwt_client("lms_catalog", roles=["catalog_publishers"])
    credit_admin = jwt_client("registrar", roles=["credit_admins"])
    learner = {"username": "ana", "course_run_key": key}

    answers = {
        "catalog run": (publisher.put(f"/api/programs/v1/course_runs/{key}/"), "course_run_key"),
        "enrollment": (issuer.post("/api/enrollments/v1/enrollments/", learner, format="json"), "course_run_key"),
        "credential": (
            issuer.post(
                "/api/credentials/v1/course_run_credentials/",
                learner | {"status": "awarded", "type": "verified"},
                format="json",
            ),
            "course_run_key",
        ),
        "grade": (
            issuer.post("/api/credentials/v1/grades/", learner | {"percent_grade": 0.7}, format="json"),
            "course_run_key",
        ),
        "credit course": (
            credit_admin.put(f"/api/credit/v1/courses/{key}/", {"enabled": True}, format="json"),
            "course_key",
        ),
    }

    for name, (response, field) in answers.items():
        assert response.status_code == status.HTTP_400_BAD_REQUEST, (name, response.content)
        assert response.json()["errors"] == {field: expected}, name
    assert not CourseRun.objects.exists()
    assert not Enrollment.objects.exists()
    assert not CourseRunCredential.objects.exists()
    assert not Grade.objects.exists()
    assert not CreditCourse.objects.exists()


def test_a_good_key_is_canonical_everywhere():
    parsed = course_run_key_parse("  course-v1:edX+DemoX+1T2024 ")
    assert (parsed.run_key, parsed.course_key, parsed.org_key, parsed.run) == (
        "course-v1:edX+DemoX+1T2024",
        "edX+DemoX",
        "edX",
        "1T2024",
    )
