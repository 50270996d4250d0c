"""System checks: a misconfigured enrollment backend is reported at start, naming the setting."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from enrollments.checks import enrollment_backend_check


@pytest.fixture
def lms_configured(settings):
    settings.ENROLLMENT_BACKEND = "lms"
    settings.LMS_URL = "http://lms.test"
    settings.OAUTH2_PROVIDER_URL = "http://lms.test"
    settings.OAUTH2_CLIENT_ID = "credentials-status"
    settings.OAUTH2_CLIENT_SECRET = "s3cret"
    return settings


def test_the_local_backend_and_a_complete_lms_configuration_pass(settings, lms_configured):
    assert enrollment_backend_check() == []
    settings.ENROLLMENT_BACKEND = "local"
    settings.LMS_URL = None
    assert enrollment_backend_check() == []


def test_an_unknown_backend_is_an_error_naming_the_setting(settings):
    settings.ENROLLMENT_BACKEND = "lmss"
    errors = enrollment_backend_check()
    assert [error.id for error in errors] == ["enrollments.E001"]
    assert "ENROLLMENT_BACKEND is 'lmss'" in errors[0].msg


def test_the_lms_backend_without_its_settings_is_an_error_naming_each(lms_configured):
    lms_configured.LMS_URL = None
    lms_configured.OAUTH2_CLIENT_SECRET = ""
    errors = enrollment_backend_check()
    assert [error.id for error in errors] == ["enrollments.E002"]
    assert "LMS_URL, OAUTH2_CLIENT_SECRET" in errors[0].msg


def test_non_positive_call_limits_are_errors(lms_configured):
    lms_configured.LMS_CIRCUIT_BREAKER_FAILURES = 0
    lms_configured.LMS_TIME_BUDGET_SECONDS = -1.0
    errors = enrollment_backend_check()
    assert [error.id for error in errors] == ["enrollments.E003", "enrollments.E003"]
    assert "LMS_CIRCUIT_BREAKER_FAILURES" in errors[0].msg and "LMS_TIME_BUDGET_SECONDS" in errors[1].msg


def test_manage_py_check_fails_on_a_misconfigured_backend(lms_configured):
    """The check is registered: ``manage.py check`` (and migrate, runserver) stop with it."""
    lms_configured.LMS_URL = ""
    with pytest.raises(SystemCheckError, match=r"enrollments\.E002.*LMS_URL"):
        call_command("check")
