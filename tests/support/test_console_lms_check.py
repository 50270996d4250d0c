"""The learner page's records with their source and time, and "Check against the LMS" (fake LMS over HTTP)."""

from datetime import UTC, datetime

import pytest
import responses
from django.core.cache import cache
from django.test import Client
from edx_django_utils.cache import RequestCache
from rest_framework import status

from credentials_status.models import CourseRunCredential
from enrollments.models import Enrollment
from tests.conftest import grant
from tests.events.test_backfill import CERTS, ENROLLMENTS, LMS, RUN, certificate
from tests.factories import CourseRunFactory, EnrollmentFactory, UserFactory
from tests.support.test_console import signed_in, text_of

pytestmark = pytest.mark.django_db

URL = "/support/learners/ana/"
CHECK_URL = "/support/lms-check/ana/"


@pytest.fixture
def ana() -> None:
    learner = UserFactory(username="ana", lms_user_id=41)
    run = CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")
    EnrollmentFactory(
        learner=learner,
        course_run=run,
        mode="verified",
        source="event",
        source_time=datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC),
    )


@pytest.fixture
def support() -> Client:
    """A console reader: may run the check, may not apply it."""
    return signed_in("learner_status_readers", username="agent")


@pytest.fixture
def writer() -> Client:
    """A console user who may also change learner records (``credential_issuers``)."""
    return signed_in("learner_status_readers", "credential_issuers", username="editor")


@pytest.fixture
def fake_lms(settings):  # type: ignore[no-untyped-def]
    settings.LMS_URL = LMS
    settings.OAUTH2_PROVIDER_URL = LMS
    settings.OAUTH2_CLIENT_ID = "credentials-status"
    settings.OAUTH2_CLIENT_SECRET = "s3cret"
    cache.clear()
    RequestCache.clear_all_namespaces()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, f"{LMS}/oauth2/access_token", json={"access_token": "t", "expires_in": 3600})
        rsps.add(responses.GET, CERTS, json=[certificate(RUN)])
        rsps.add(
            responses.GET,
            ENROLLMENTS,
            json={
                "next": None,
                "previous": None,
                "results": [
                    {
                        "created": "2026-01-02T10:00:00Z",
                        "mode": "verified",
                        "is_active": True,
                        "user": "ana",
                        "course_id": RUN,
                    },
                ],
            },
        )
        yield rsps
    cache.clear()


def test_the_learner_page_shows_each_records_source_and_time(ana: None, support: Client) -> None:
    page = text_of(support.get(URL).content.decode())
    assert f"{RUN} enrollment verified active event 2026-03-01 10:00:05 UTC" in page
    assert "Check against the LMS" in page


def test_check_against_the_lms_shows_the_drift_then_applies_it_as_backfill_by_the_support_user(
    ana: None, writer: Client, fake_lms: responses.RequestsMock
) -> None:
    checked = writer.post(CHECK_URL)
    assert checked.status_code == status.HTTP_200_OK
    page = text_of(checked.content.decode())
    assert f"Differences with the LMS Run Record Here LMS {RUN} certificate — awarded verified" in page
    assert "Apply the LMS's records" in page
    assert not CourseRunCredential.objects.exists()

    applied = text_of(writer.post(CHECK_URL, {"apply": "1"}).content.decode())
    assert "Applied the LMS's records: 1 changed, recorded as backfill by editor." in applied
    credential = CourseRunCredential.objects.get()
    assert (credential.status, credential.source, credential.changed_by) == ("awarded", "backfill", "editor")
    assert list(credential.history.values_list("history_type", "history_source")) == [("+", "backfill by editor")]
    assert f"{RUN} certificate awarded verified backfill" in applied


def test_a_reader_may_check_but_not_apply(ana: None, support: Client, fake_lms: responses.RequestsMock) -> None:
    page = text_of(support.post(CHECK_URL).content.decode())
    assert f"Differences with the LMS Run Record Here LMS {RUN} certificate — awarded verified" in page
    assert "Apply the LMS's records" not in page  # no button the reader could not use
    enrollment_before = list(Enrollment.objects.values_list("mode", "is_active", "source", "changed_by"))
    calls_before = len(fake_lms.calls)

    refused = support.post(CHECK_URL, {"apply": "1"})
    assert refused.status_code == status.HTTP_403_FORBIDDEN
    assert "applying the LMS's records changes the learner's credentials" in text_of(refused.content.decode())
    assert not CourseRunCredential.objects.exists()
    assert list(Enrollment.objects.values_list("mode", "is_active", "source", "changed_by")) == enrollment_before
    assert len(fake_lms.calls) == calls_before  # refused before the LMS is asked


def test_staff_may_apply(ana: None, fake_lms: responses.RequestsMock) -> None:
    staff = signed_in(staff=True, username="boss")
    applied = text_of(staff.post(CHECK_URL, {"apply": "1"}).content.decode())
    assert "recorded as backfill by boss." in applied
    assert CourseRunCredential.objects.get().changed_by == "boss"


def test_the_check_needs_the_console_role_and_csrf(ana: None, fake_lms: responses.RequestsMock) -> None:
    outsider = signed_in(username="outsider")
    assert outsider.post(CHECK_URL, {"apply": "1"}).status_code == status.HTTP_403_FORBIDDEN
    strict = Client(enforce_csrf_checks=True)
    reader = UserFactory(username="reader")
    grant(reader, "learner_status_readers")
    strict.force_login(reader)
    assert strict.post(CHECK_URL, {"apply": "1"}).status_code == status.HTTP_403_FORBIDDEN
    assert not CourseRunCredential.objects.exists()


def test_without_an_lms_configured_the_page_says_so(ana: None, support: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LMS_URL = None
    page = text_of(support.post(CHECK_URL).content.decode())
    assert "The LMS is not configured here" in page
