"""The support console, mounted at /support/."""

from django.contrib.auth.views import LogoutView
from django.urls import path, reverse_lazy

from support import views

app_name = "support"

urlpatterns = [
    path("", views.SearchView.as_view(), name="search"),
    path("login/", views.SupportLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page=reverse_lazy("support:login")), name="logout"),
    # <path:> so that every stored username (one with a "/", say) has a page and reverse() works for it.
    path("learners/<path:username>/", views.LearnerView.as_view(), name="learner"),
    # Its own prefix: under learners/<path:username>/ it would be a username ending in "/lms-check".
    path("lms-check/<path:username>/", views.LearnerLmsCheckView.as_view(), name="learner_lms_check"),
    path("programs/", views.ProgramListView.as_view(), name="programs"),
    path("programs/<uuid:program_uuid>/", views.ProgramView.as_view(), name="program"),
]
