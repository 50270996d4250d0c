from django.urls import path

from credentials_status.rest_api.v1 import views

app_name = "credentials_v1"

urlpatterns = [
    path("learner_cert_status/", views.LearnerCertStatusView.as_view(), name="learner_cert_status"),
    path("bulk_learner_cert_status/", views.BulkLearnerCertStatusView.as_view(), name="bulk_learner_cert_status"),
    path("course_run_credentials/", views.CourseRunCredentialIngestView.as_view(), name="course_run_credentials"),
    path("learner_program_status/", views.LearnerProgramStatusView.as_view(), name="learner_program_status"),
    # Before learners/<username>/: "me" is the signed-in learner (a learner named "me" reads their own here).
    path("learners/me/programs/", views.OwnProgramsView.as_view(), name="own_programs"),
    path("learners/<path:username>/programs/", views.LearnerProgramsView.as_view(), name="learner_programs"),
    path("grades/", views.GradeIngestView.as_view(), name="grades"),
]
