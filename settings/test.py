"""Test settings: fast hashing, in-memory email, tasks in-process unless a broker is named."""

import os

from settings.base import *  # noqa: F403
from settings.base import JWT_AUTH, LOGGING, REST_FRAMEWORK
from settings.env import raise_problems
from settings.jwt_keys import DEV_JWT_SECRET_KEY, jwt_issuers

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
    "filters": LOGGING["filters"],
    "handlers": {
        "devnull": {
            "class": "logging.FileHandler",
            "filename": os.devnull,
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["devnull"], "level": "INFO"},
    "loggers": {
        **LOGGING["loggers"],  # production's levels: a test of what is logged sees what production logs
        **{app: {"level": "DEBUG"} for app in ("core", "credentials_status", "programs", "enrollments", "credit")},
        "support": {"level": "DEBUG"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# Serve static files from the apps without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The published development secret verifies tokens here (create_dev_jwt signs with it) unless the
# environment names a secret; settings.base and settings.production never trust it.
JWT_ISSUERS = jwt_issuers(default_secret=DEV_JWT_SECRET_KEY)
JWT_SECRET_KEY = JWT_ISSUERS[0]["SECRET_KEY"]
JWT_AUTH = {**JWT_AUTH, "JWT_ISSUERS": JWT_ISSUERS}

# The event bus consumer polls Redis for a second at a time, so a test stops it quickly; a database
# outage is retried every second at most.
EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT = 1
EVENT_BUS_REDIS_CONSUMER_POLL_FAILURE_SLEEP = 0.1
EVENT_BUS_DATABASE_RETRY_MAX_SECONDS = 1

# Last line of every settings module Django loads: one ImproperlyConfigured naming every bad variable.
raise_problems()
