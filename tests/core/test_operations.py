"""Health, OpenAPI schema and docs, JSON errors outside the views, admin, management commands."""

import json
from io import StringIO
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from core.jwt import encode_jwt
from core.models import User

pytestmark = pytest.mark.django_db


def test_schema_documents_every_api_endpoint(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for expected in (
        "/api/credentials/v1/learner_cert_status/",
        "/api/credentials/v1/bulk_learner_cert_status/",
        "/api/credentials/v1/course_run_credentials/",
        "/api/credentials/v1/grades/",
        "/api/enrollments/v1/enrollments/",
        "/api/programs/v1/course_runs/{course_run_key}/",
        "/health/",
    ):
        assert expected in paths, expected
    from django.urls import get_resolver

    api_routes = [
        str(p.pattern)
        for p in get_resolver().url_patterns
        if str(p.pattern).startswith("api/") and "v1" in str(p.pattern)
    ]
    assert api_routes, "versioned APIs are mounted"
    assert all(any(path.startswith("/" + route) for path in paths) for route in api_routes)


def test_schema_documents_jwt_auth_and_the_error_envelope(api_client):
    schema = json.loads(api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`JWT <token>`: a JWT from the LMS's OAuth2 provider (`create_dev_jwt` locally).",
    }
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"type", "code", "title", "status", "detail"}
    status_op = schema["paths"]["/api/credentials/v1/learner_cert_status/"]["post"]
    assert {"jwtAuth": []} in status_op["security"]
    assert {"200", "400", "401", "403", "429"} <= set(status_op["responses"])
    ingest = schema["paths"]["/api/credentials/v1/course_run_credentials/"]["post"]["responses"]
    assert {"200", "201"} <= set(ingest)
    sync_unavailable = schema["paths"]["/api/programs/v1/syncs/"]["post"]["responses"]["503"]
    assert sync_unavailable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    health = schema["paths"]["/health/"]["get"]["responses"]
    assert "401" not in health, "anonymous endpoints do not document 401"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if {} not in operation.get("security", [{}]):
                assert "401" in operation["responses"], (method, path)


def test_schema_groups_operations_by_app(api_client):
    schema = json.loads(api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    tags = {
        path: {tag for operation in operations.values() for tag in operation["tags"]}
        for path, operations in schema["paths"].items()
    }
    assert tags["/api/credentials/v1/learner_cert_status/"] == {"credentials"}
    assert tags["/api/programs/v1/course_runs/{course_run_key}/"] == {"programs"}
    assert tags["/api/enrollments/v1/bulk_enroll/"] == {"enrollments"}
    assert set().union(*tags.values()) == {tag["name"] for tag in schema["tags"]}


def test_docs_page_renders_without_internet(api_client):
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_unknown_url_is_json_404(api_client):
    response = api_client.get("/api/credentials/v1/nope/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not-found"


def test_oversized_body_is_json_413(jwt_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = jwt_client("support", roles=["learner_status_readers"])
    body = {"username": "ana", "course_runs": ["course-v1:edX+DemoX+1T2024"] * 100}
    response = client.post("/api/credentials/v1/learner_cert_status/", body, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"


def test_unexpected_error_is_json_500_without_details(jwt_client):
    client = jwt_client("support", roles=["learner_status_readers"])
    with mock.patch("credentials_status.rest_api.v1.views.learner_cert_status", side_effect=RuntimeError("secret")):
        response = client.post(
            "/api/credentials/v1/learner_cert_status/",
            {"username": "a", "course_runs": ["course-v1:a+b+c"]},
            format="json",
        )
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert "secret" not in response.content.decode()


def test_admin_changelist_and_search_for_every_model(client):
    User.objects.create_superuser("root", "root@example.com", "pw-123-secret")
    client.login(username="root", password="pw-123-secret")
    assert admin.site._registry, "models are registered"
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, {"q": "edX"} if model_admin.search_fields else {})
        assert response.status_code == 200, (model, response.status_code)
        assert client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")).status_code in (
            200,
            403,
        )


def test_grant_role_creates_user_and_grants_groups():
    out = StringIO()
    call_command("grant_role", "svc", "learner_status_readers", "catalog_publishers", stdout=out)
    user = User.objects.get(username="svc")
    assert set(user.groups.values_list("name", flat=True)) == {"learner_status_readers", "catalog_publishers"}
    assert not user.has_usable_password()
    call_command("grant_role", "svc", "catalog_publishers", "--revoke", stdout=out)
    assert list(user.groups.values_list("name", flat=True)) == ["learner_status_readers"]
    call_command("grant_role", "svc", "staff", stdout=out)
    user.refresh_from_db()
    assert user.is_staff


def test_grant_role_password_lets_the_user_sign_in_and_refuses_weak_or_mismatched_ones():
    with mock.patch("getpass.getpass", side_effect=["short", "short"]), pytest.raises(CommandError, match="too short"):
        call_command("grant_role", "agent", "learner_status_readers", "--password", stdout=StringIO())
    mismatched = ["a-Long-enough-9", "another-One-77"]
    with mock.patch("getpass.getpass", side_effect=mismatched), pytest.raises(CommandError, match="do not match"):
        call_command("grant_role", "agent", "learner_status_readers", "--password", stdout=StringIO())
    assert not User.objects.filter(username="agent").exists(), "a refused password changes nothing"
    with mock.patch("getpass.getpass", side_effect=["a-Long-enough-9", "a-Long-enough-9"]):
        call_command("grant_role", "agent", "learner_status_readers", "--password", stdout=StringIO())
    assert User.objects.get(username="agent").check_password("a-Long-enough-9")


def test_grant_role_refuses_unknown_roles():
    with pytest.raises(CommandError, match="Unknown role"):
        call_command("grant_role", "svc", "superpowers")
    assert not User.objects.filter(username="svc").exists()


def test_role_groups_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "learner_status_readers",
        "catalog_publishers",
        "credential_issuers",
        "enrollment_admins",
        "credit_admins",
    }


def test_create_dev_jwt_prints_a_token_the_service_accepts(api_client):
    out = StringIO()
    call_command("create_dev_jwt", "support", "--administrator", stdout=out)
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {out.getvalue().strip()}")
    response = api_client.post(
        "/api/credentials/v1/learner_cert_status/",
        {"username": "x", "courses": [], "course_runs": ["course-v1:a+b+c"]},
        format="json",
    )
    assert response.status_code == 200


def test_create_dev_jwt_refuses_when_no_secret_is_trusted(settings):
    settings.JWT_SECRET_KEY = None
    with pytest.raises(CommandError, match="No JWT_SECRET_KEY is configured"):
        call_command("create_dev_jwt", "support", stdout=StringIO())


def test_demo_data_is_idempotent_and_answers_the_readme_curl(api_client):
    from programs.models import Course, CourseRun

    def catalog() -> list:
        runs = CourseRun.objects.order_by("key").values_list("key", "title", "start", "end", "modified")
        return [*runs, *Course.objects.order_by("key").values_list("key", "title")]

    call_command("load_demo_data", stdout=StringIO())
    counts = [model.objects.count() for model in admin.site._registry]
    before = catalog()
    call_command("load_demo_data", stdout=StringIO())
    assert [model.objects.count() for model in admin.site._registry] == counts
    assert catalog() == before
    assert all(title for _, title in before[-4:]), "every demo course has a title"
    api_client.credentials(HTTP_AUTHORIZATION=f"JWT {encode_jwt(username='support')}")
    response = api_client.post(
        "/api/credentials/v1/learner_cert_status/",
        {"username": "demo", "course_runs": ["course-v1:edX+DemoX+1T2024"], "include_incomplete": True},
        format="json",
    )
    assert response.status_code == 200
    items = response.json()["status"]
    assert [(i["course_run"]["key"], i["status"]) for i in items] == [("course-v1:edX+DemoX+1T2024", "awarded")]
    assert items[0]["grade"]["percent_grade"] == 0.92


@pytest.mark.parametrize("today", ["2026-12-02", "2031-06-15"])
def test_demo_runs_are_dated_from_the_day_they_are_loaded(today):
    from freezegun import freeze_time

    from programs.models import CourseRun

    with freeze_time(today):
        call_command("load_demo_data", stdout=StringIO())
        now = timezone.now()
    runs = {run.key: run for run in CourseRun.objects.all()}
    assert runs["course-v1:edX+DemoX+2T2023"].end < now, "the excluded run has ended"
    assert any(run.start <= now < run.end for run in runs.values()), "a run is in progress"
    assert any(run.start > now for run in runs.values()), "a run starts soon"


def test_admin_finds_credentials_by_learner_email_lms_id_and_run_key(client):
    from tests.factories import CredentialFactory

    User.objects.create_superuser("root", "root@example.com", "pw-123-secret")
    client.login(username="root", password="pw-123-secret")
    wanted = CredentialFactory(learner__username="ana", learner__email="ana@example.com", learner__lms_user_id=77)
    # Every identifier of bob's explicit: factory sequences (learner5077, Org77X) would match "77" in some orders.
    CredentialFactory(
        learner__username="bob",
        learner__lms_user_id=12,
        course_run__key="course-v1:BobX+Other+1T2025",
        course_run__course__key="BobX+Other",
        course_run__course__organization__key="BobX",
    )
    url = reverse("admin:credentials_status_courseruncredential_changelist")
    for query in ("ana", "ana@example.com", "77", wanted.course_run.key):
        response = client.get(url, {"q": query})
        assert response.context["cl"].result_count == 1, query


def test_every_environment_variable_the_settings_read_is_documented():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    read = set()
    for module in (root / "settings").glob("*.py"):
        read |= set(re.findall(r'env_[a-z_]+\("([A-Z0-9_]+)"', module.read_text()))
    documented = (root / "docs" / "configuration.rst").read_text()
    assert read, "the settings read the environment through settings/env.py"
    assert sorted(name for name in read if f"``{name}``" not in documented) == []
