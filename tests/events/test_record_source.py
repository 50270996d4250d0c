"""Every writer records where a learner record came from: ingest by default, admin for an edit in the admin."""

import pytest
from django.urls import reverse
from rest_framework import status

from core.models import User
from credentials_status.models import Grade
from enrollments.models import Enrollment
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def test_an_ingested_grade_is_recorded_as_ingest_with_its_time(jwt_client) -> None:  # type: ignore[no-untyped-def]
    issuer = jwt_client("lms", roles=["credential_issuers"])
    response = issuer.post(
        "/api/credentials/v1/grades/",
        {"username": "ana", "course_run_key": "course-v1:edX+DemoX+1T2024", "percent_grade": "0.8"},
        format="json",
    )
    assert response.status_code == status.HTTP_201_CREATED
    grade = Grade.objects.get()
    assert grade.source == "ingest" and grade.source_time is not None


def test_an_enrollment_edited_in_the_admin_is_recorded_as_admin_by_the_editor(client) -> None:  # type: ignore[no-untyped-def]
    User.objects.create_superuser("root", "root@example.com", "pw-123-secret")
    client.login(username="root", password="pw-123-secret")
    enrollment = EnrollmentFactory(mode="audit")
    url = reverse("admin:enrollments_enrollment_change", args=[enrollment.pk])
    response = client.post(
        url,
        {
            "learner": enrollment.learner_id,
            "course_run": enrollment.course_run_id,
            "mode": "verified",
            "is_active": "on",
            "license_uuid": "",
        },
    )
    assert response.status_code == status.HTTP_302_FOUND, response.content[:2000]
    enrollment = Enrollment.objects.get()
    assert (enrollment.mode, enrollment.source, enrollment.changed_by) == ("verified", "admin", "root")
    assert enrollment.source_time is not None
