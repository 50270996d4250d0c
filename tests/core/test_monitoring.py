"""Custom attributes on the hot paths reach the telemetry backend OPENEDX_TELEMETRY names (edx-django-utils)."""

import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.django_db
DEMO_PROGRAM = "5b1f2c3d-0000-4000-8000-00000000d3e0"
DEMO_RUN = "course-v1:edX+DemoX+1T2024"


@pytest.fixture
def traced(settings) -> Callable[[Callable[[], Any]], tuple[Any, dict[str, Any]]]:
    """``traced(call)``: run ``call`` inside an OpenTelemetry span; its result and the span's attributes."""
    settings.OPENEDX_TELEMETRY = ["edx_django_utils.monitoring.OpenTelemetryBackend"]
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")

    def run(call: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
        exporter.clear()
        with tracer.start_as_current_span("request"):
            result = call()
        (span,) = exporter.get_finished_spans()
        return result, dict(span.attributes or {})

    return run


@pytest.fixture
def reader(jwt_client):
    call_command("load_demo_data", stdout=StringIO())
    return jwt_client("support", roles=["learner_status_readers"])


def test_learner_cert_status_reports_the_number_of_courses_asked(traced, reader):
    body = {"username": "demo", "courses": [str(uuid.uuid4())], "course_runs": [DEMO_RUN]}
    response, attributes = traced(lambda: reader.post("/api/credentials/v1/learner_cert_status/", body, format="json"))
    assert response.status_code == 200, response.content
    assert attributes["credentials_status.courses_asked"] == 2


def test_bulk_learner_cert_status_reports_its_size_and_the_courses_asked(traced, reader):
    body = [{"username": name, "course_runs": [DEMO_RUN]} for name in ("demo", "sam", "ana")]
    response, attributes = traced(
        lambda: reader.post("/api/credentials/v1/bulk_learner_cert_status/", body, format="json")
    )
    assert response.status_code == 200, response.content
    assert attributes["credentials_status.bulk_size"] == 3
    assert attributes["credentials_status.courses_asked"] == 3


def test_learner_program_status_reports_the_program_size(traced, reader):
    body = {"username": "sam", "program_uuid": DEMO_PROGRAM}
    response, attributes = traced(
        lambda: reader.post("/api/credentials/v1/learner_program_status/", body, format="json")
    )
    assert response.status_code == 200, response.content
    assert attributes["credentials_status.program_courses"] == response.json()["total_courses"] > 0


def test_bulk_enrollment_reports_its_size(traced, jwt_client):
    call_command("load_demo_data", stdout=StringIO())
    admin = jwt_client("license_manager", roles=["enrollment_admins"])
    items = [{"email": f"l{i}@example.com", "course_run_key": DEMO_RUN} for i in range(4)]
    response, attributes = traced(
        lambda: admin.post("/api/enrollments/v1/bulk_enroll/", {"enrollments_info": items}, format="json")
    )
    assert response.status_code in (201, 202), response.content
    assert attributes["enrollments.bulk_size"] == 4


def test_no_backend_is_used_unless_configured(settings, reader):
    from edx_django_utils.monitoring.internal.backends import configured_backends

    settings.OPENEDX_TELEMETRY = []
    assert configured_backends() == []
    body = {"username": "demo", "course_runs": [DEMO_RUN]}
    assert reader.post("/api/credentials/v1/learner_cert_status/", body, format="json").status_code == 200
