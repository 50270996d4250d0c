from django.urls import path

from programs.rest_api.v1 import views

app_name = "programs_v1"

urlpatterns = [
    path("course_runs/<path:course_run_key>/", views.CourseRunIngestView.as_view(), name="course_run_ingest"),
]
