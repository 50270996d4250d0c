"""edx-enterprise's bulk enrollment path, mounted at ``/enterprise/api/v1/`` (license-manager calls it there)."""

from django.urls import path

from enrollments.rest_api.v1 import views

app_name = "enterprise_v1"

urlpatterns = [
    path(
        "enterprise-customer/<uuid:enterprise_customer_uuid>/enroll_learners_in_courses/",
        views.EnterpriseBulkEnrollView.as_view(),
        name="enroll_learners_in_courses",
    ),
]
