from django.urls import path

from enrollments.rest_api.v1 import views

app_name = "enrollments_v1"

urlpatterns = [
    path("enrollments/", views.EnrollmentIngestView.as_view(), name="enrollments"),
    path("bulk_enroll/", views.BulkEnrollView.as_view(), name="bulk_enroll"),
]
