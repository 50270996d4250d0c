"""The admin lists and searches enrollments and pending enrollments."""

import pytest
from django.test import Client

from enrollments.models import PendingEnrollment
from tests.factories import CourseRunFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("query", ["ana", "ana@example.com", "4242", "DemoX+1T2024"])
def test_enrollments_are_searchable_by_learner_and_run(admin_client_logged_in, query):
    EnrollmentFactory(learner__username="ana", learner__email="ana@example.com", learner__lms_user_id=4242,
                      course_run__key="course-v1:edX+DemoX+1T2024")  # fmt: skip
    EnrollmentFactory(learner__username="bob", course_run__key="course-v1:edX+Other+1T2024")
    response = admin_client_logged_in.get("/admin/enrollments/enrollment/", {"q": query, "is_active__exact": "1"})
    assert response.status_code == 200
    assert b"course-v1:edX+DemoX+1T2024" in response.content
    assert b"course-v1:edX+Other+1T2024" not in response.content


def test_pending_enrollments_are_searchable_by_email(admin_client_logged_in):
    run = CourseRunFactory(key="course-v1:edX+DemoX+1T2024")
    PendingEnrollment.objects.create(email="new@example.com", course_run=run)
    PendingEnrollment.objects.create(email="other@example.com", course_run=run)
    response = admin_client_logged_in.get("/admin/enrollments/pendingenrollment/", {"q": "new@"})
    assert response.status_code == 200
    assert b"new@example.com" in response.content and b"other@example.com" not in response.content
