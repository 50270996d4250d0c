"""settings.production refuses to start without what a multi-worker deployment needs."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "settings.production",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789",
    "ALLOWED_HOSTS": "status.example.com",
    "DATABASE_URL": "postgres://status@db.example.com:5432/status",
    "JWT_SECRET_KEY": "an-operator-configured-jwt-secret-0123456789abcdef",
    "JWT_ISSUER": "https://lms.example.com/oauth2",
    "JWT_AUDIENCE": "credentials-status",
    "CACHE_URL": "redis://cache.example.com:6379/1",
}


def load_settings(
    code: str = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
    **overrides: str | None,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` on the production settings in a fresh interpreter (they are read once, at import)."""
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    env.update(PRODUCTION_ENV)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(  # noqa: S603 (the code is this module's own literal)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_without_cache_url_refuses_to_start_naming_it():
    # Fails on the old settings: production silently used a per-process cache.
    result = load_settings(CACHE_URL=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CACHE_URL" in result.stderr


def test_production_with_cache_url_uses_the_shared_redis_cache():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_a_negative_trusted_proxy_count_refuses_to_start_naming_it():
    result = load_settings(TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in result.stderr


def email_backend(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    """The EMAIL_BACKEND settings.production resolves to (in a fresh interpreter), or its start-up error."""
    env = {
        key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV and not key.startswith("EMAIL_")
    }
    env.update(PRODUCTION_ENV)
    env.update({key: value for key, value in overrides.items() if value is not None})
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_without_an_smtp_host_discards_mail_instead_of_printing_it_into_the_logs():
    # Fails on the old settings: the console backend wrote every notification, addresses included, to stdout.
    result = email_backend()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.dummy.EmailBackend"


def test_production_with_an_smtp_host_sends_mail():
    result = email_backend(EMAIL_HOST="smtp.example.com")
    assert result.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_production_refuses_the_console_email_backend_naming_it():
    result = email_backend(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert result.returncode != 0
    assert "EMAIL_BACKEND is the console backend" in result.stderr


def test_rate_limit_and_credit_window_defaults_are_pinned():
    # The production values when the environment does not set them (settings.test loosens the anonymous rate).
    code = (
        "import json; from django.conf import settings; print(json.dumps({"
        "'rates': settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'],"
        "'callback_window': settings.CREDIT_PROVIDER_TIMESTAMP_EXPIRATION,"
        "'eligibility_days': settings.CREDIT_ELIGIBILITY_EXPIRATION_DAYS}))"
    )
    unset = dict.fromkeys(
        [
            "THROTTLE_RATE_ANON",
            "THROTTLE_RATE_CREDIT_CALLBACK",
            "CREDIT_PROVIDER_TIMESTAMP_EXPIRATION",
            "CREDIT_ELIGIBILITY_EXPIRATION_DAYS",
        ]
    )
    result = load_settings(code, **unset)
    assert result.returncode == 0, result.stderr
    defaults = json.loads(result.stdout)
    assert defaults["rates"]["anon"] == "60/minute"
    assert defaults["rates"]["credit_callback"] == "120/minute"
    assert defaults["callback_window"] == 15 * 60
    assert defaults["eligibility_days"] == 365
