"""Test settings: fast hashing, in-memory email, tasks in-process unless a broker is named."""

import os

from settings.base import *  # noqa: F403
from settings.base import LOGGING, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "anon": "100000/minute",
        "user": "100000/minute",
    },
}
# Every log call of the project builds its record in tests (to nowhere), so a call that cannot be
# logged (an ``extra`` key LogRecord reserves, such as "created") fails a test instead of production.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": LOGGING["formatters"]["json"]},
    "handlers": {"devnull": {"class": "logging.FileHandler", "filename": os.devnull, "formatter": "json"}},
    "root": {"handlers": ["devnull"], "level": "INFO"},
    "loggers": {
        **{app: {"level": "DEBUG"} for app in ("core", "credentials_status", "programs", "enrollments", "credit")},
        "support": {"level": "DEBUG"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# Serve static files from the apps without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
