"""Routes of the credit API. Course keys contain ':' and '+' (``course-v1:edX+DemoX+1T2015``)."""

from django.urls import path, register_converter

from credit.models import PROVIDER_ID_ALPHABET, PROVIDER_ID_MAX_LENGTH
from credit.rest_api.v1 import views


class CourseKeyConverter:
    """A course run key in a URL: one path segment, ':' and '+' included (validated by the services)."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


class ProviderIdConverter:
    """A provider id in a URL: the alphabet and length a provider id can have; anything else is the JSON 404."""

    regex = rf"{PROVIDER_ID_ALPHABET}{{1,{PROVIDER_ID_MAX_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


register_converter(CourseKeyConverter, "course_key")
register_converter(ProviderIdConverter, "provider_id")

app_name = "credit_v1"

urlpatterns = [
    path("providers/", views.ProvidersView.as_view(), name="providers"),
    path("providers/<provider_id:provider_id>/", views.ProviderDetailView.as_view(), name="provider"),
    path(
        "providers/<provider_id:provider_id>/request/", views.CreditRequestCreateView.as_view(), name="credit_request"
    ),
    path(
        "providers/<provider_id:provider_id>/callback/",
        views.ProviderCallbackView.as_view(),
        name="provider_callback",
    ),
    # Providers are configured with and without the slash, as the LMS accepts both (a POST cannot be
    # redirected). Left out of the OpenAPI document: the operation above describes it.
    path(
        "providers/<provider_id:provider_id>/callback",
        views.ProviderCallbackView.as_view(schema=None),
        name="provider_callback_without_slash",
    ),
    path("courses/<course_key:course_key>/", views.CreditCourseView.as_view(), name="course"),
    path("courses/<course_key:course_key>/requirements/", views.RequirementsView.as_view(), name="requirements"),
    path(
        "courses/<course_key:course_key>/requirements/status/",
        views.RequirementStatusView.as_view(),
        name="requirement_status",
    ),
    path("eligibility/", views.EligibilityView.as_view(), name="eligibility"),
    path("requests/", views.CreditRequestsView.as_view(), name="credit_requests"),
]
