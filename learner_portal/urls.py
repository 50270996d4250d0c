"""The learner's program pages, mounted at /learner/."""

from django.contrib.auth.views import LogoutView
from django.urls import path, reverse_lazy

from learner_portal import views

app_name = "learner_portal"

urlpatterns = [
    path("login/", views.LearnerLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page=reverse_lazy("learner_portal:login")), name="logout"),
    path("programs/", views.ProgramListPage.as_view(), name="programs"),
    path("programs/<uuid:program_uuid>/", views.ProgramPage.as_view(), name="program"),
]
