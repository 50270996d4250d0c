"""Pending enrollments are realised at every arrival and by a periodic sweep, so a lost task is not lost work.

A realisation queued while the broker was down used to be gone for good: only a *change* of the
learner's stored email queued it, so later requests of the same learner never did (ADR 0007).
"""

from unittest import mock

import freezegun
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import status
from rest_framework.test import APIClient

from core.jwt import encode_jwt
from core.models import User
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.tasks import pending_enrollments_realize_task, pending_enrollments_sweep_task
from tests.factories import CourseRunFactory, UserFactory

STATUS_URL = "/api/credentials/v1/learner_cert_status/"
EMAIL = "newbie@example.com"


@pytest.fixture
def pending(db):
    runs = [CourseRunFactory(), CourseRunFactory()]
    return [PendingEnrollment.objects.create(email=EMAIL, course_run=run, mode="audit") for run in runs]


def arrive(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    return client.post(STATUS_URL, {"username": "newbie", "course_runs": ["course-v1:edX+DemoX+1T2024"]}, format="json")


def enrolled(username: str = "newbie") -> int:
    return Enrollment.objects.filter(learner__username=username, is_active=True).count()


def refused(*args, **kwargs):
    raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.mark.django_db(transaction=True)  # on_commit callbacks run as in production
def test_a_realisation_lost_with_the_broker_is_queued_again_at_the_next_request(pending):
    token = encode_jwt(username="newbie", lms_user_id=777, email=EMAIL)
    with mock.patch.object(pending_enrollments_realize_task, "delay", side_effect=refused) as delay:
        assert arrive(token).status_code == status.HTTP_200_OK
    assert delay.called
    assert PendingEnrollment.objects.count() == 2 and enrolled() == 0

    # The broker is back; the stored email does not change, the learner simply comes back.
    assert arrive(token).status_code == status.HTTP_200_OK

    assert enrolled() == 2
    assert not PendingEnrollment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_token_without_user_id_realises_like_one_with_it(pending):
    assert arrive(encode_jwt(username="newbie", email=EMAIL)).status_code == status.HTTP_200_OK
    assert enrolled() == 2
    assert not PendingEnrollment.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lms_user_id", [777, None], ids=["with-user_id", "without-user_id"])
def test_an_unverified_email_never_captures_pending_enrollments(pending, lms_user_id):
    """The LMS's ``email_verified`` is false until the account is activated: anyone can type any address."""
    token = encode_jwt(username="newbie", lms_user_id=lms_user_id, email=EMAIL, email_verified=False)
    assert arrive(token).status_code == status.HTTP_200_OK
    assert User.objects.get(username="newbie").email == ""  # not stored, so the sweep cannot use it either
    assert pending_enrollments_sweep_task() == 0
    assert PendingEnrollment.objects.count() == 2 and enrolled() == 0

    # Once the LMS says the address is verified, the same learner's next request realises them.
    token = encode_jwt(username="newbie", lms_user_id=lms_user_id, email=EMAIL, email_verified=True)
    assert arrive(token).status_code == status.HTTP_200_OK
    assert enrolled() == 2


@pytest.mark.django_db
def test_an_email_verified_claim_that_is_not_a_boolean_is_refused(pending):
    response = arrive(encode_jwt(username="newbie", email=EMAIL, email_verified="false"))
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert "email_verified" in response.json()["detail"]
    assert PendingEnrollment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_sweep_realises_pending_rows_whose_email_now_belongs_to_a_learner(pending):
    # Arrived while the broker was down: the learner exists, the rows still wait.
    with mock.patch.object(pending_enrollments_realize_task, "delay", side_effect=refused):
        assert arrive(encode_jwt(username="newbie", lms_user_id=777, email=EMAIL)).status_code == 200
    run = CourseRunFactory()
    UserFactory(username="twin1", email="twin@example.com")
    UserFactory(username="twin2", email="Twin@Example.com")
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    for email in ("twin@example.com", "gone@example.com", "nobody@example.com"):
        PendingEnrollment.objects.create(email=email, course_run=run, mode="audit")

    assert pending_enrollments_sweep_task() == 2

    assert enrolled() == 2
    # Two learners share an email (refused to guess, as bulk enrollment does), a deactivated one,
    # and an email nobody has: still pending.
    assert sorted(PendingEnrollment.objects.values_list("email", flat=True)) == [
        "gone@example.com",
        "nobody@example.com",
        "twin@example.com",
    ]
    assert pending_enrollments_sweep_task() == 0  # nothing left that it may realise


@pytest.mark.django_db
def test_the_sweep_pages_through_pending_emails(monkeypatch):
    import enrollments.services

    monkeypatch.setattr(enrollments.services, "CHUNK", 2)
    run = CourseRunFactory()
    for index in range(5):
        UserFactory(username=f"l{index}", email=f"l{index}@example.com")
        PendingEnrollment.objects.create(email=f"l{index}@example.com", course_run=run, mode="audit")
    assert pending_enrollments_sweep_task() == 5
    assert not PendingEnrollment.objects.exists()


def test_celery_beat_runs_the_sweep_every_configured_interval():
    entry = settings.CELERY_BEAT_SCHEDULE["pending-enrollments-sweep"]
    assert entry["task"] == pending_enrollments_sweep_task.name == "enrollments.pending_enrollments_sweep"
    assert entry["schedule"] == settings.PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES * 60


@pytest.mark.django_db
def test_a_request_with_nothing_pending_costs_one_exists_query_a_minute_and_queues_nothing(
    django_capture_on_commit_callbacks,
):
    PendingEnrollment.objects.create(email="someone.else@example.com", course_run=CourseRunFactory(), mode="audit")
    with freezegun.freeze_time("2027-01-04 10:00:00") as clock:
        token = encode_jwt(username="newbie", lms_user_id=777, email=EMAIL)
        assert arrive(token).status_code == status.HTTP_200_OK  # first request: the row, its email, one EXISTS

        def next_request() -> list[str]:
            with (
                mock.patch.object(pending_enrollments_realize_task, "delay") as delay,
                django_capture_on_commit_callbacks(execute=True) as callbacks,
                CaptureQueriesContext(connection) as queries,
            ):
                assert arrive(token).status_code == status.HTTP_200_OK
            assert callbacks == [] and not delay.called
            return [q["sql"] for q in queries.captured_queries]

        # Within the minute nothing is asked again. The whole request, pinned: the returning learner's row
        # (claims unchanged: no lock, no write), the role check (groups), the learner, their credentials.
        clock.tick(30)
        within = next_request()
        assert not [sql for sql in within if "enrollments_pendingenrollment" in sql]
        assert len(within) == 4, within
        # A minute on: one EXISTS on the email index, nothing read.
        clock.tick(31)
        after = next_request()
        pending_queries = [sql for sql in after if "enrollments_pendingenrollment" in sql]
        assert len(pending_queries) == 1 and "LIMIT 1" in pending_queries[0].upper()
        assert len(after) == 5, after


@pytest.mark.django_db(transaction=True)
def test_pending_rows_of_a_new_email_are_realised_at_its_first_arrival_within_the_minute(pending):
    # The learner was just found with nothing pending under another email; the LMS then changed it to the
    # email the pending rows wait for: the first request with it realises them.
    old_email = encode_jwt(username="newbie", lms_user_id=777, email="old@example.com")
    assert arrive(old_email).status_code == status.HTTP_200_OK
    assert enrolled() == 0
    assert arrive(encode_jwt(username="newbie", lms_user_id=777, email=EMAIL)).status_code == status.HTTP_200_OK
    assert enrolled() == 2 and not PendingEnrollment.objects.exists()
