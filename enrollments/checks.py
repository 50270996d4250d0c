"""System checks: a misconfigured enrollment backend is reported at start, not as a 500 on every call.

``manage.py check``, ``migrate`` and ``runserver`` run them; each error names the setting to fix.
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

BACKENDS = ("local", "lms")


def enrollment_backend_check(
    *, app_configs: Sequence[AppConfig] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``ENROLLMENT_BACKEND`` names a backend, ``lms`` has its settings, and its call limits are positive."""
    name = settings.ENROLLMENT_BACKEND
    if name not in BACKENDS:
        return [
            Error(
                f"ENROLLMENT_BACKEND is {name!r}; it must be one of {', '.join(BACKENDS)}.",
                hint="Set the ENROLLMENT_BACKEND environment variable to local or lms.",
                id="enrollments.E001",
            )
        ]
    if name != "lms":
        return []
    from enrollments.lms import missing_settings

    errors: list[CheckMessage] = []
    missing = missing_settings()
    if missing:
        errors.append(
            Error(
                f"ENROLLMENT_BACKEND=lms needs these settings (environment variables): {', '.join(missing)}.",
                hint="Set them, or use ENROLLMENT_BACKEND=local.",
                id="enrollments.E002",
            )
        )
    for setting in ("LMS_CIRCUIT_BREAKER_FAILURES", "LMS_TIME_BUDGET_SECONDS"):
        value = getattr(settings, setting)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            errors.append(Error(f"{setting} must be a positive number, not {value!r}.", id="enrollments.E003"))
    return errors
