"""Top-level URLs. Each app mounts its versioned REST API under /api/<app>/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.views import HealthView

handler400 = "core.errors.handler400"
handler403 = "core.errors.handler403"
handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="admin/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP, settings.base).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="core/redoc.html"),
        name="api-redoc",
    ),
    path("api/credentials/v1/", include("credentials_status.rest_api.v1.urls")),
    path("api/programs/v1/", include("programs.rest_api.v1.urls")),
    path("api/enrollments/v1/", include("enrollments.rest_api.v1.urls")),
    path("api/credit/v1/", include("credit.rest_api.v1.urls")),
    # edx-enterprise's enroll_learners_in_courses, answered by bulk enrollment (docs/decisions/0010).
    path("enterprise/api/v1/", include("enrollments.rest_api.enterprise_urls")),
    path("support/", include("support.urls")),
    # Open edX user retirement and username replacement, at the paths every IDA serves them.
    path("api/v1/", include("privacy.rest_api.v1.urls")),
    path("learner/", include("learner_portal.urls")),
    # /login/edx-oauth2/ starts signing in through the LMS, /complete/edx-oauth2/ is its redirect URI.
    path("", include("social_django.urls", namespace="social")),
]
