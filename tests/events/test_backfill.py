"""backfill_from_lms against a fake LMS at the HTTP boundary, with the LMS's own paths and response shapes."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from edx_django_utils.cache import RequestCache
from responses import matchers

from credentials_status.models import CourseRunCredential, Grade
from credit import api as credit_api
from enrollments.models import Enrollment
from tests.credit.conftest import TWO_REQUIREMENTS
from tests.credit.factories import CreditCourseFactory
from tests.factories import CourseRunFactory, CredentialFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

LMS = "http://lms.test"
RUN = "course-v1:edX+DemoX+1T2024"
RUN2 = "course-v1:edX+StatsX+3T2025"
OLD_RUN = "course-v1:edX+DemoX+2T2023"
CERTS = f"{LMS}/api/certificates/v0/certificates/ana/"
ENROLLMENTS = f"{LMS}/api/enrollment/v1/enrollments/"


@pytest.fixture(autouse=True)
def lms_settings(settings):  # type: ignore[no-untyped-def]
    settings.LMS_URL = LMS
    settings.OAUTH2_PROVIDER_URL = LMS
    settings.OAUTH2_CLIENT_ID = "credentials-status"
    settings.OAUTH2_CLIENT_SECRET = "s3cret"
    cache.clear()
    RequestCache.clear_all_namespaces()
    yield
    cache.clear()
    RequestCache.clear_all_namespaces()


@pytest.fixture
def fake_lms():  # type: ignore[no-untyped-def]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(
            responses.POST,
            f"{LMS}/oauth2/access_token",
            json={"access_token": "lms-jwt", "expires_in": 3600, "token_type": "JWT"},
        )
        yield rsps


def certificate(course_id: str, status: str = "downloadable", certificate_type: str = "verified") -> dict[str, object]:
    """A row of the LMS's certificates list (CertificatesListView)."""
    return {
        "username": "ana",
        "course_id": course_id,
        "course_display_name": "Demo",
        "course_organization": "edX",
        "certificate_type": certificate_type,
        "created_date": "2026-01-10T12:00:00Z",
        "modified_date": "2026-01-10T12:00:00Z",
        "status": status,
        "is_passing": status == "downloadable",
        "download_url": "",
        "grade": "0.9",
        "uuid": "0f6c5b2a1d9e4e0f8a7b6c5d4e3f2a1b",
    }


def enrollment(user: str, course_id: str, mode: str = "verified", is_active: bool = True) -> dict[str, object]:
    """A row of the LMS's enrollments list (CourseEnrollmentsApiListView)."""
    return {
        "created": "2026-01-02T10:00:00Z",
        "mode": mode,
        "is_active": is_active,
        "user": user,
        "course_id": course_id,
    }


def ana_pages(rsps: responses.RequestsMock, *, fail_page_two: int = 0) -> None:
    """Ana's certificates (one list) and enrollments (two cursor pages; page two fails ``fail_page_two`` times)."""
    rsps.add(responses.GET, CERTS, json=[certificate(RUN), certificate(RUN2, status="notpassing")])
    rsps.add(
        responses.GET,
        ENROLLMENTS,
        match=[matchers.query_param_matcher({"username": "ana"})],
        json={"next": f"{ENROLLMENTS}?username=ana&cursor=cD0y", "previous": None, "results": [enrollment("ana", RUN)]},
    )
    page_two = [matchers.query_param_matcher({"username": "ana", "cursor": "cD0y"})]
    for _ in range(fail_page_two):
        rsps.add(responses.GET, ENROLLMENTS, match=page_two, status=500, json={"detail": "Server error"})
    rsps.add(
        responses.GET,
        ENROLLMENTS,
        match=page_two,
        json={"next": None, "previous": None, "results": [enrollment("ana", RUN2, mode="audit")]},
    )


@pytest.fixture
def ana_here():  # type: ignore[no-untyped-def]
    """What this service holds for ana: a credential the LMS does not list, an audit enrollment the LMS upgraded."""
    ana = UserFactory(username="ana", lms_user_id=41)
    run = CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")
    CourseRunFactory(key=RUN2, course__key="edX+StatsX", course__organization__key="edX")
    old = CourseRunFactory(key=OLD_RUN, course=run.course)
    CredentialFactory(learner=ana, course_run=old)
    EnrollmentFactory(learner=ana, course_run=run, mode="audit")
    return ana


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("backfill_from_lms", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dry_run_reports_the_drift_both_ways_and_changes_nothing(fake_lms, ana_here) -> None:  # type: ignore[no-untyped-def]
    ana_pages(fake_lms)
    out = run_command("--username", "ana", "--dry-run")
    lines = [line for line in out.splitlines() if line.startswith(("only_", "differs"))]
    assert lines == [
        f"only_in_lms  certificate  ana {RUN}: here=- lms=awarded verified",
        f"only_here    certificate  ana {OLD_RUN}: here=awarded verified lms=-",
        f"differs      enrollment   ana {RUN}: here=audit active lms=verified active",
        f"only_in_lms  enrollment   ana {RUN2}: here=- lms=audit active",
    ]
    assert not CourseRunCredential.objects.filter(course_run__key=RUN).exists()
    assert Enrollment.objects.get().mode == "audit"


def test_the_lms_truth_is_applied_as_backfill_across_pages_and_a_5xx_mid_way(fake_lms, ana_here) -> None:  # type: ignore[no-untyped-def]
    ana_pages(fake_lms, fail_page_two=1)
    out = run_command("--username", "ana")
    assert "applied 4" in out
    credentials = {c.course_run.key: c for c in CourseRunCredential.objects.select_related("course_run")}
    assert credentials[RUN].status == "awarded" and credentials[RUN].source == "backfill"
    assert credentials[OLD_RUN].status == "revoked" and credentials[OLD_RUN].changed_by == "backfill_from_lms"
    assert credentials[OLD_RUN].history.latest().history_source == "backfill by backfill_from_lms"
    enrollments = {e.course_run.key: (e.mode, e.source) for e in Enrollment.objects.select_related("course_run")}
    assert enrollments == {RUN: ("verified", "backfill"), RUN2: ("audit", "backfill")}
    page_two_calls = [c for c in fake_lms.calls if "cursor=cD0y" in c.request.url]
    assert [c.response.status_code for c in page_two_calls] == [500, 200]


def test_a_newer_change_here_is_not_overwritten_by_the_backfill(fake_lms, ana_here) -> None:  # type: ignore[no-untyped-def]
    ana_pages(fake_lms)
    Enrollment.objects.update(source="event", source_time=timezone.now() + timedelta(minutes=5))
    run_command("--username", "ana")
    assert Enrollment.objects.get(course_run__key=RUN).mode == "audit"


def test_an_lms_failing_for_one_learner_applies_the_others_and_says_so(fake_lms, ana_here) -> None:  # type: ignore[no-untyped-def]
    ana_pages(fake_lms)
    fake_lms.add(responses.GET, f"{LMS}/api/certificates/v0/certificates/bo/", status=503)
    with pytest.raises(CommandError, match="did not answer"):
        run_command("--username", "ana", "--username", "bo")
    assert CourseRunCredential.objects.filter(course_run__key=RUN, status="awarded").exists()


def test_a_run_backfill_applies_paginated_grades_and_a_pass_satisfies_credit(fake_lms) -> None:  # type: ignore[no-untyped-def]
    CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")
    CreditCourseFactory(course_key=RUN, enabled=True)
    credit_api.set_credit_requirements(RUN, TWO_REQUIREMENTS)
    UserFactory(username="ana", lms_user_id=41)
    grades = f"{LMS}/api/grades/v1/courses/{RUN}/"
    fake_lms.add(
        responses.GET,
        grades,
        match=[matchers.query_param_matcher({})],
        json={
            "next": f"{grades}?page=2",
            "previous": None,
            "results": [
                {
                    "username": "ana",
                    "email": "ana@example.com",
                    "course_id": RUN,
                    "passed": True,
                    "percent": 0.91,
                    "letter_grade": "Pass",
                },
            ],
        },
    )
    fake_lms.add(
        responses.GET,
        grades,
        match=[matchers.query_param_matcher({"page": "2"})],
        json={
            "next": None,
            "previous": f"{grades}",
            "results": [
                {
                    "username": "bo",
                    "email": "bo@example.com",
                    "course_id": RUN,
                    "passed": False,
                    "percent": 0.4,
                    "letter_grade": "",
                },
            ],
        },
    )
    fake_lms.add(
        responses.GET,
        ENROLLMENTS,
        match=[matchers.query_param_matcher({"course_id": RUN})],
        json={"next": None, "previous": None, "results": [enrollment("ana", RUN), enrollment("bo", RUN, "audit")]},
    )
    run_command("--course-run", RUN)
    assert {(g.learner.username, g.percent_grade) for g in Grade.objects.select_related("learner")} == {
        ("ana", Decimal("0.9100")),
        ("bo", Decimal("0.4000")),
    }
    [grade] = credit_api.get_credit_requirement_status(RUN, "ana", namespace="grade")
    assert grade["status"] == "satisfied" and grade["reason"] == {"final_grade": 0.91}
    assert Enrollment.objects.count() == 2
