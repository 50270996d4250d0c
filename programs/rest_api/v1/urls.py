from django.urls import path

from programs.rest_api.v1 import views

app_name = "programs_v1"

urlpatterns = [
    path("organizations/", views.OrganizationListView.as_view(), name="organization_list"),
    path("courses/", views.CourseListView.as_view(), name="course_list"),
    # The list must come before the key route; `<path:...>` needs at least one character anyway.
    path("course_runs/", views.CourseRunListView.as_view(), name="course_run_list"),
    path("course_runs/<path:course_run_key>/", views.CourseRunIngestView.as_view(), name="course_run_ingest"),
    path("programs/", views.ProgramListView.as_view(), name="program_list"),
    path("programs/<uuid:uuid>/", views.ProgramDetailView.as_view(), name="program_detail"),
    path(
        "programs/<uuid:uuid>/excluded_course_runs/", views.ProgramExclusionsView.as_view(), name="program_exclusions"
    ),
    path("syncs/", views.SyncListView.as_view(), name="sync_list"),
    path("syncs/<int:sync_id>/", views.SyncDetailView.as_view(), name="sync_detail"),
]
