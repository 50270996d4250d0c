"""Ingested grades drive ``grade`` requirements: percent_grade >= criteria.min_grade satisfies them."""

from decimal import Decimal

import pytest
from rest_framework import status

from credentials_status.models import Grade
from credit import api
from credit.models import CreditRequirementStatus
from tests.credit.conftest import COURSE_KEY

pytestmark = pytest.mark.django_db

GRADES = "/api/credentials/v1/grades/"
EXAM = ("proctored_exam", "i4x://edX/DemoX/proctoring-block/final_uuid")


def record_grade(client, percent: str, course_run_key: str = COURSE_KEY):  # type: ignore[no-untyped-def]
    body = {"username": "ron", "course_run_key": course_run_key, "letter_grade": "A", "percent_grade": percent}
    return client.post(GRADES, {**body, "verified": True}, format="json")


@pytest.fixture
def issuer(jwt_client):  # type: ignore[no-untyped-def]
    return jwt_client("lms", roles=["credential_issuers"])


def test_a_passing_ingested_grade_satisfies_the_grade_requirement(
    credit_course, issuer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert record_grade(issuer, "0.85").status_code == status.HTTP_201_CREATED
    [grade] = api.get_credit_requirement_status(COURSE_KEY, "ron", namespace="grade")
    assert grade["status"] == "satisfied"
    assert grade["reason"] == {"final_grade": 0.85}


def test_the_grade_link_completes_eligibility(credit_course, issuer, django_capture_on_commit_callbacks):
    api.set_credit_requirement_status("ron", COURSE_KEY, *EXAM)
    with django_capture_on_commit_callbacks(execute=True):
        record_grade(issuer, "0.80")  # exactly the minimum is enough
    assert api.is_user_eligible_for_credit("ron", COURSE_KEY) is True


def test_a_grade_below_the_minimum_changes_nothing(credit_course, issuer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_grade(issuer, "0.79")
    assert CreditRequirementStatus.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        record_grade(issuer, "0.90")  # a later, better grade still counts
    assert api.get_credit_requirement_status(COURSE_KEY, "ron", namespace="grade")[0]["status"] == "satisfied"


def test_grades_of_courses_without_credit_are_ignored(db, issuer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = record_grade(issuer, "0.99", course_run_key="course-v1:edX+NoCredit+1T2015")
    assert response.status_code == status.HTTP_201_CREATED
    assert CreditRequirementStatus.objects.count() == 0


def test_a_failing_credit_receiver_never_undoes_the_grade(
    credit_course, issuer, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("credit is down")

    monkeypatch.setattr("credit.receivers.grade_requirements_update", broken)
    with django_capture_on_commit_callbacks(execute=True):
        assert record_grade(issuer, "0.95").status_code == status.HTTP_201_CREATED
    assert "grades_recorded_receiver_failed" in caplog.messages
    assert Grade.objects.get().percent_grade == Decimal("0.95")
