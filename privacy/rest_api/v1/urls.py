from django.urls import path

from privacy.rest_api.v1 import views

app_name = "privacy_v1"

urlpatterns = [
    path("retire_user/", views.RetireUserView.as_view(), name="retire_user"),
    path("replace_usernames/", views.UsernameReplacementView.as_view(), name="replace_usernames"),
]
