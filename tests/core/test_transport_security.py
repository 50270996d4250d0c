"""HTTPS in production (redirect, HSTS, from the environment) and the Content-Security-Policy header."""

import json
import subprocess
import sys

import pytest

from tests.core.test_jwt_key_trust import ROOT, production_env

pytestmark = pytest.mark.django_db

PRINT_TRANSPORT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps([settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.SECURE_REDIRECT_EXEMPT]))
"""


def production_transport_settings(**env: str) -> list:
    result = subprocess.run(  # noqa: S603 (this interpreter, the script above)
        [sys.executable, "-c", PRINT_TRANSPORT_SETTINGS],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_redirects_to_https_and_sends_hsts_by_default_and_both_can_be_turned_off():
    redirect, hsts, exempt = production_transport_settings()
    assert redirect is True
    assert hsts >= 365 * 24 * 3600
    assert exempt == ["^health/$"]
    assert production_transport_settings(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")[:2] == [False, 0]


@pytest.fixture
def https_only(settings):  # type: ignore[no-untyped-def]
    """The transport settings as settings.production builds them by default."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_plain_http_is_redirected_and_https_gets_hsts(https_only, staff_client):
    plain = staff_client.get("/api/programs/v1/courses/")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    secure = staff_client.get("/api/programs/v1/courses/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


def test_the_container_health_check_over_plain_http_is_not_redirected(https_only, api_client):
    assert api_client.get("/health/").status_code == 200


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/admin/login/", "/support/", "/health/"])
def test_pages_carry_a_content_security_policy_without_inline_scripts(client, url):
    policy = client.get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_swagger_ui_loads_its_start_up_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_fetches_nothing_from_another_origin(client):
    page = client.get("/api/redoc/").content.decode()
    assert "https://" not in page
    assert "<script>" not in page
