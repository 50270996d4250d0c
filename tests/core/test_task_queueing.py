"""A broker that refuses follow-up tasks never turns a committed write into a 500."""

import logging
from unittest import mock

import pytest
from kombu.exceptions import OperationalError as BrokerError

from core.jwt import encode_jwt
from core.models import User
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.tasks import bulk_enrollment_notify_task, pending_enrollments_realize_task
from tests.factories import CourseRunFactory

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit callbacks run as in production

RUN_KEY = "course-v1:edX+DemoX+1T2030"


def refused(*args, **kwargs):
    raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_learners_first_request_succeeds_while_the_broker_is_down(api_client, caplog):
    CourseRunFactory(key=RUN_KEY)
    PendingEnrollment.objects.create(email="newbie@example.com", course_run_id=CourseRunFactory().pk, mode="audit")
    token = encode_jwt(username="newbie", lms_user_id=99, email="newbie@example.com")
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    with (
        mock.patch.object(pending_enrollments_realize_task, "delay", side_effect=refused) as delay,
        caplog.at_level(logging.ERROR, logger="core.tasks"),
    ):
        response = api_client.post(
            "/api/credentials/v1/learner_cert_status/", {"username": "newbie", "course_runs": [RUN_KEY]}, format="json"
        )
    assert response.status_code == 200, response.content
    assert delay.called
    assert User.objects.filter(username="newbie", email="newbie@example.com").exists()
    assert PendingEnrollment.objects.count() == 1  # kept: realised at the next arrival
    assert [r.message for r in caplog.records] == ["task_queue_failed"]


def test_a_bulk_enrollment_with_notify_is_committed_while_the_broker_is_down(jwt_client):
    run = CourseRunFactory(key=RUN_KEY)
    User.objects.create(username="ana", email="ana@example.com")
    admin = jwt_client("admin", roles=["enrollment_admins"])
    body = {
        "enrollments_info": [
            {"email": "ana@example.com", "course_run_key": RUN_KEY},
            {"email": "nobody@example.com", "course_run_key": RUN_KEY},
        ],
        "notify": True,
    }
    with (
        mock.patch.object(bulk_enrollment_notify_task, "delay", side_effect=refused) as notify,
        mock.patch.object(pending_enrollments_realize_task, "delay", side_effect=refused),
    ):
        response = admin.post("/api/enrollments/v1/bulk_enroll/", body, format="json")
    assert response.status_code == 202, response.content
    assert notify.called
    assert Enrollment.objects.filter(learner__username="ana", course_run=run).exists()
    assert PendingEnrollment.objects.filter(email="nobody@example.com").exists()
