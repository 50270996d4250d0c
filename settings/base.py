"""Settings shared by every environment.

Everything is defined here and read from the environment through ``settings.env``; ``local``,
``test`` and ``production`` only override. Variable names follow the Configuration table of
the service API contract.
"""

import logging
import tempfile
from pathlib import Path
from typing import Any

from csp.constants import NONE, SELF, UNSAFE_INLINE

from settings.env import (
    SECRETS_BY_ID,
    env_bool,
    env_database_url,
    env_fraction,
    env_int,
    env_json,
    env_jwk_set,
    env_list,
    env_positive_seconds,
    env_rate,
    env_str,
)
from settings.jwt_keys import jwt_issuers

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env_str("SECRET_KEY", "insecure-dev-secret-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_guid",
    "social_django",
    "core",
    "programs",
    "credentials_status",
    "enrollments",
    "credit",
    "support",
    "privacy",
    "events",
    "openedx_events",
    "learner_portal",
    "scale",
]

MIDDLEWARE = [
    # First: every later middleware, view and log line sees the request id (core.request_id).
    "django_guid.middleware.guid_middleware",
    # Frees each API answer as soon as it is sent, not at the next garbage collection (core.middleware).
    "core.middleware.ReleaseRenderedResponseMiddleware",
    # edx-django-utils: the request cache, then custom attributes reported to OPENEDX_TELEMETRY's backends.
    # The request cache is cleared at each request: JwtAuthCookieMiddleware caches the JWT cookie's user
    # there, and without it one request's user would serve the next.
    "edx_django_utils.cache.middleware.RequestCacheMiddleware",
    "edx_django_utils.monitoring.MonitoringSupportMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "core.middleware.JsonApiNotFoundMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The LMS language cookie, else Accept-Language, picks the language (LANGUAGE_COOKIE_NAME).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Joins the LMS's split JWT cookie pair; on the learner pages it signs the learner in, no session needed.
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # History rows name the request's user (after DRF authenticates it) and source (core.history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "social_django.middleware.SocialAuthExceptionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"
AUTH_USER_MODEL = "core.User"
# --- Signing in through the LMS (OAuth2), as Open edX IDAs do; only when its client is configured ----
# Register the client in the LMS with the redirect URI <this service>/complete/edx-oauth2/.
SOCIAL_AUTH_EDX_OAUTH2_KEY = env_str("SOCIAL_AUTH_EDX_OAUTH2_KEY", "")
SOCIAL_AUTH_EDX_OAUTH2_SECRET = env_str("SOCIAL_AUTH_EDX_OAUTH2_SECRET", "")
# The LMS root this service calls (token endpoint); PUBLIC_URL_ROOT is where browsers are sent, if different.
SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT = env_str("SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT", env_str("LMS_URL", "") or "")
SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT = env_str(
    "SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT", SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT
)
SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL = env_str("SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL", "")
SOCIAL_AUTH_STRATEGY = "auth_backends.strategies.EdxDjangoStrategy"
SOCIAL_AUTH_USER_MODEL = "core.User"
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/learner/programs/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/learner/login/?lms_error=1"
SOCIAL_AUTH_SANITIZE_REDIRECTS = True
# A failed sign-in (forged state, refused identity) returns to the sign-in page with a message, not a
# 500; the refusal is logged (lms_sign_in_refused) with the ids involved.
SOCIAL_AUTH_RAISE_EXCEPTIONS = False
SOCIAL_AUTH_REDIRECT_IS_HTTPS = env_bool("SOCIAL_AUTH_REDIRECT_IS_HTTPS", False)
SOCIAL_AUTH_PIPELINE = [
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    # The one writer of learner identity creates or renames the row (core.lms_sign_in).
    "core.lms_sign_in.learner_from_lms",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
]

AUTHENTICATION_BACKENDS = (["auth_backends.backends.EdXOAuth2"] if SOCIAL_AUTH_EDX_OAUTH2_KEY else []) + [
    "core.backends.ThrottledModelBackend"
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/support/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL: sqlite:///path, postgres://..., mysql://... (MySQL and MariaDB through PyMySQL).
DATABASES = {
    "default": env_database_url(
        "DATABASE_URL",
        f"sqlite:///{BASE_DIR / 'credentials_status.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, min_value=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take SQLite's lock when their transaction begins and wait for it up to 20 s; a
    # deferred transaction that must upgrade its lock fails at once ("database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer fails the connection in seconds (libpq would wait for the
    # operating system's TCP timeout): requests answer 503 and /health/ reports it without hanging.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    import pymysql

    # Django checks the mysqlclient version it talks to; PyMySQL speaks the same interface.
    pymysql.version_info = (2, 2, 7, "final", 0)
    pymysql.install_as_MySQLdb()
    DATABASES["default"].setdefault("OPTIONS", {})["charset"] = "utf8mb4"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The LMS stores the learner's language in this cookie (on the shared parent domain).
LANGUAGE_COOKIE_NAME = env_str("LANGUAGE_COOKIE_NAME", "openedx-language-preference")
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("CACHE_URL"),
            # An unreachable Redis fails in about a second instead of holding a worker: throttles and
            # the sign-in lockout then fail open and /health/ reports it (docs/decisions/0009).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if env_str("CACHE_URL", "")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Reverse proxies in front of the service that append to X-Forwarded-For (0: none, REMOTE_ADDR is the
# client). Throttles and the sign-in lockout count per client address (core.client_address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, min_value=0)

# --- REST framework, authentication and errors -------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    # JWT first: its WWW-Authenticate header makes missing credentials a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.LearnerJwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.JSONRenderer",  # DRF's JSON, written by orjson
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.DefaultPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.errors.json_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.AnonRateThrottle", "core.throttling.UserRateThrottle"],
    # The throttles ask core.client_address; DRF's own reading of X-Forwarded-For agrees with it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("THROTTLE_RATE_ANON", "60/minute"),
        "user": env_rate("THROTTLE_RATE_USER", "6000/minute"),
        "credit_callback": env_rate("THROTTLE_RATE_CREDIT_CALLBACK", "120/minute"),
    },
}

# Trusted issuers and keys (settings/jwt_keys.py): no HS256 secret here unless the environment names one;
# settings.local and settings.test add the development secret. The first issuer signs dev tokens.
JWT_PUBLIC_SIGNING_JWK_SET = env_jwk_set("JWT_PUBLIC_SIGNING_JWK_SET", None)
JWT_ISSUERS = jwt_issuers()
JWT_ISSUER, JWT_AUDIENCE, JWT_SECRET_KEY = (JWT_ISSUERS[0][name] for name in ("ISSUER", "AUDIENCE", "SECRET_KEY"))

JWT_AUTH: dict[str, Any] = {
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_VERIFY_AUDIENCE": True,
    "JWT_LEEWAY": 1,
    "JWT_DECODE_HANDLER": "core.authentication.jwt_decode_handler",
    "JWT_PAYLOAD_GET_USERNAME_HANDLER": lambda payload: payload.get("preferred_username"),
    "JWT_ISSUERS": JWT_ISSUERS,
    "JWT_PUBLIC_SIGNING_JWK_SET": JWT_PUBLIC_SIGNING_JWK_SET,
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
    # The LMS splits its JWT cookie in two; JwtAuthCookieMiddleware joins them into JWT_AUTH_COOKIE.
    "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
    "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
}

EDX_DRF_EXTENSIONS = {
    # JWT claim -> user attribute, refreshed on every authenticated request. ``administrator`` is not
    # stored: it governs the request it came with (core.roles.acts_as_staff; docs/decisions/0008).
    "JWT_PAYLOAD_USER_ATTRIBUTE_MAPPING": {
        "email": "email",
        "user_id": "lms_user_id",
        # The learner's full name, sent to credit providers as user_full_name (ADR 0010).
        "name": "full_name",
    },
    # The JWT cookie pair signs a learner in on the server-rendered learner pages too.
    "ENABLE_SET_REQUEST_USER_FOR_JWT_COOKIE": True,
}

# Usernames (service accounts) that hold the learner_status_readers role without a group.
LEARNER_STATUS_WORKERS = env_list("LEARNER_STATUS_WORKERS")

# --- Learner retirement and username replacement (Open edX user retirement) ------------------------
# The service account of the Open edX retirement driver: it (and superusers) may call retire_user/
# and replace_usernames/.
RETIREMENT_SERVICE_WORKER_USERNAME = env_str("RETIREMENT_SERVICE_WORKER_USERNAME", "retirement_service_worker")
# Salts of user-util's retired usernames and emails, the LMS's list: the last one retires, all of them
# recognise a learner retired earlier. Production has no default: retirement answers 503 until set.
RETIRED_USER_SALTS = env_list("RETIRED_USER_SALTS", ["credentials-status-dev-retirement-salt"])
RETIRED_USERNAME_FMT = env_str("RETIRED_USERNAME_FMT", "retired__user_{}")
RETIRED_EMAIL_FMT = env_str("RETIRED_EMAIL_FMT", "retired__user_{}@retired.invalid")

SPECTACULAR_SETTINGS = {
    "TITLE": "credentials-status API",
    "DESCRIPTION": (
        "Where a learner stands in courses and programs, and which course runs do not count. "
        "Authenticate with `Authorization: JWT <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations are grouped by app: the path segment after /api/ (credentials, programs, ...).
    "SCHEMA_PATH_PREFIX": r"/api/",
    "TAGS": [
        {"name": "credentials", "description": "Learner certificate and program status; credential and grade ingest."},
        {"name": "programs", "description": "Catalog: organizations, courses, runs, programs, Discovery syncs."},
        {"name": "enrollments", "description": "Enrollment ingest and bulk enrollment."},
        {"name": "credit", "description": "Credit courses, eligibility, providers and requests."},
        {"name": "health", "description": "Liveness and dependencies."},
        {
            "name": "privacy",
            "description": "Learner retirement and username replacement (the LMS's retirement driver).",
        },
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProgramStatusEnum": "programs.models.ProgramStatus",
        "SyncStatusEnum": "programs.models.SyncStatus",
        "CredentialStatusEnum": "credentials_status.models.CredentialStatus",
        "RequirementStatusEnum": "credit.models.RequirementStatus",
        "CreditRequestStatusEnum": "credit.models.CreditRequestStatus",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.add_error_responses"],
}

# --- The Open edX event bus (docs/decisions/0011-event-ordering-and-idempotency.rst) ---------------
# ``python manage.py consume_events -t TOPIC -g GROUP`` builds the consumer EVENT_BUS_CONSUMER names:
# edx-event-bus-redis by default, ``edx_event_bus_kafka.KafkaEventConsumer`` for Kafka. Without a
# bus nothing here is used.
EVENT_BUS_CONSUMER = env_str("EVENT_BUS_CONSUMER", "events.bus.redis_consumer_create")
EVENT_BUS_REDIS_CONNECTION_URL = env_str("EVENT_BUS_REDIS_CONNECTION_URL", None)
EVENT_BUS_TOPIC_PREFIX = env_str("EVENT_BUS_TOPIC_PREFIX", None)
EVENT_BUS_REDIS_CONSUMER_NAME = env_str("EVENT_BUS_REDIS_CONSUMER_NAME", "credentials-status")
EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT = env_int("EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT", 60)
EVENT_BUS_REDIS_CONSUMER_POLL_FAILURE_SLEEP = env_positive_seconds("EVENT_BUS_REDIS_CONSUMER_POLL_FAILURE_SLEEP", 1.0)
EVENT_BUS_REDIS_STREAM_MAX_LEN = env_int("EVENT_BUS_REDIS_STREAM_MAX_LEN", 10_000)
EVENT_BUS_DATABASE_RETRY_MAX_SECONDS = env_int("EVENT_BUS_DATABASE_RETRY_MAX_SECONDS", 30)
EVENT_BUS_BATCH_SIZE = env_int("EVENT_BUS_BATCH_SIZE", 200)
# Applied events' ids are kept this long (replays within it change nothing), then pruned daily.
EVENT_BUS_APPLIED_EVENTS_KEEP_DAYS = env_int("EVENT_BUS_APPLIED_EVENTS_KEEP_DAYS", 30, min_value=1)
EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS = env_str("EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS", None)
EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL = env_str("EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL", None)
EVENT_BUS_KAFKA_API_KEY = env_str("EVENT_BUS_KAFKA_API_KEY", None)
EVENT_BUS_KAFKA_API_SECRET = env_str("EVENT_BUS_KAFKA_API_SECRET", None)
EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY = env_str("EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY", None)
EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_SECRET = env_str("EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_SECRET", None)

# --- Upstreams: Discovery and the LMS ----------------------------------------------------------
DISCOVERY_API_URL = env_str("DISCOVERY_API_URL", None)
OAUTH2_PROVIDER_URL = env_str("OAUTH2_PROVIDER_URL", None)
OAUTH2_CLIENT_ID = env_str("OAUTH2_CLIENT_ID", None)
OAUTH2_CLIENT_SECRET = env_str("OAUTH2_CLIENT_SECRET", None)
LMS_URL = env_str("LMS_URL", None)
UPSTREAM_CONNECT_TIMEOUT_SECONDS = env_positive_seconds("UPSTREAM_CONNECT_TIMEOUT_SECONDS", 5.0)
UPSTREAM_READ_TIMEOUT_SECONDS = env_positive_seconds("UPSTREAM_READ_TIMEOUT_SECONDS", 30.0)
ENROLLMENT_BACKEND = env_str("ENROLLMENT_BACKEND", "local")
# One bulk enrollment through the LMS stops sending calls after this many retryable failures in a
# row, or this many seconds into the request (below gunicorn's 60 s worker timeout).
LMS_CIRCUIT_BREAKER_FAILURES = env_int("LMS_CIRCUIT_BREAKER_FAILURES", 20, min_value=1)
LMS_TIME_BUDGET_SECONDS = env_positive_seconds("LMS_TIME_BUDGET_SECONDS", 45.0)
PROGRAM_SYNC_INTERVAL_MINUTES = env_int("PROGRAM_SYNC_INTERVAL_MINUTES", 60, min_value=1)
# Celery beat realises pending enrollments whose email now belongs to a learner (what arrivals missed).
PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES = env_int("PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES", 15, min_value=1)
# A sync that would retire more than this share of the synced programs stops instead (outage guard).
PROGRAM_SYNC_MAX_RETIRE_FRACTION = env_fraction("PROGRAM_SYNC_MAX_RETIRE_FRACTION", 0.1)
# A sync still "running" after this many minutes is recorded as failed (its process was killed); the
# Celery task is stopped at this limit, so no live sync is that old.
PROGRAM_SYNC_STALE_MINUTES = env_int("PROGRAM_SYNC_STALE_MINUTES", 120, min_value=1)
# Items per Discovery page: large pages keep a sync under Discovery's 200 requests/hour throttle.
PROGRAM_SYNC_PAGE_SIZE = env_int("PROGRAM_SYNC_PAGE_SIZE", 100, min_value=1)
# Restricted run types to request from Discovery (sent identically to the course and program calls).
# Both by default: the LMS pushes restricted runs here anyway, and only a sync that sees them can
# see a program excluding one (docs/decisions/0004). Set to an empty string to request none.
PROGRAM_SYNC_INCLUDE_RESTRICTED = env_list("PROGRAM_SYNC_INCLUDE_RESTRICTED", ["custom-b2c", "custom-b2b-enterprise"])

# --- Credit -----------------------------------------------------------------------------------
CREDIT_PROVIDER_SECRET_KEYS = env_json("CREDIT_PROVIDER_SECRET_KEYS", {}, shape=SECRETS_BY_ID)
CREDIT_ELIGIBILITY_EXPIRATION_DAYS = env_int("CREDIT_ELIGIBILITY_EXPIRATION_DAYS", 365)
CREDIT_PROVIDER_TIMESTAMP_EXPIRATION = env_int("CREDIT_PROVIDER_TIMESTAMP_EXPIRATION", 15 * 60)
# Longest time a learner's LMS country and mailing address are reused for credit requests (0: every time).
LMS_ACCOUNT_CACHE_SECONDS = env_int("LMS_ACCOUNT_CACHE_SECONDS", 300, min_value=0, max_value=86400)

# --- Celery: unset broker = tasks run in-process -----------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", None)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Celery closes the database connection after every task unless CELERY_DB_REUSE_MAX is set: a new
# PostgreSQL backend per task then costs the server more CPU than the task itself (docs/performance.rst,
# "Celery workers"). Set this high, a worker keeps its connection as the web processes do, and
# settings.celery closes it around a task only when CONN_MAX_AGE has passed or it broke.
CELERY_DB_REUSE_MAX = 1_000_000
# Worker and beat log through LOGGING (settings.celery connects setup_logging), not Celery's text format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Where beat keeps its schedule state: a writable path outside the code (the image's /app is read-only).
CELERY_BEAT_SCHEDULE_FILENAME = env_str(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(Path(tempfile.gettempdir()) / "credentials-status-celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE = {
    "program-sync": {
        "task": "programs.tasks.program_sync_scheduled",
        "schedule": PROGRAM_SYNC_INTERVAL_MINUTES * 60.0,
    },
    "pending-enrollments-sweep": {
        "task": "enrollments.pending_enrollments_sweep",
        "schedule": PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES * 60.0,
    },
    "applied-events-prune": {
        "task": "events.applied_events_prune",
        "schedule": 24 * 60 * 60.0,
    },
}

# --- Email ------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@credentials-status.localhost")

# --- Request id (django-guid; core.request_id carries it into tasks and upstream calls) ---------
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    # Only a UUID is taken from the caller (bounded, nothing to escape); anything else gets a new id.
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
}

# --- Logging: one JSON object per line, with stable event names --------------------------------
# Every process (runserver, gunicorn workers, Celery worker and beat, management commands) logs
# through the root handler: ISO-8601 UTC "time", "level", "logger", "message", the record's
# ``extra`` fields, "request_id" and, inside a task, "task_name" and "task_id". Python warnings
# arrive as records of the "py.warnings" logger. Gunicorn's own logs: core.gunicorn_logging.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
logging.captureWarnings(True)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.logging.json_formatter"},
    },
    "filters": {"request_context": {"()": "core.logging.RequestContextFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers print plain text: send its records to the JSON handler instead.
        **{name: {"handlers": [], "propagate": True} for name in ("django", "django.server", "py.warnings")},
        "django.db.backends": {"level": "WARNING"},
        # edx-drf-extensions logs each claim it copies onto the user; keep them out of the logs.
        "edx_rest_framework_extensions.auth.jwt.authentication": {"level": "WARNING"},
        # django-guid logs every generated id, and invalid ones as sent: nothing worth a line.
        "django_guid": {"level": "ERROR"},
        # The event bus libraries log three lines per event consumed (received, receivers' responses,
        # processed); events.services logs one per event with its id, type and outcome. Their
        # warnings and errors (an event that cannot be read or applied) still reach the log.
        "edx_event_bus_redis.internal.consumer": {"level": "WARNING"},
        "openedx_events.tooling": {"level": "WARNING"},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: the console, the admin and the API docs load
# scripts only from this origin, and no inline script runs (Swagger UI's is served as a file:
# SpectacularSwaggerSplitView). Swagger UI and Redoc style elements inline and draw data: images; Redoc
# runs its search in a blob: worker. Nothing is fetched from another origin (Redoc's web fonts fall back).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT:
    # Signing in through the LMS posts here and is redirected to the LMS's authorize page; browsers
    # apply form-action to that redirect.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT)
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
# Bulk bodies (10,000 enrollment pairs) fit; larger ones get a JSON 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
# Over these, a JSON 414 (query string) or 431 (a header, all headers): below gunicorn.conf.py's limits.
MAX_QUERY_STRING_BYTES = 4096
MAX_REQUEST_HEADER_BYTES = 8192
MAX_REQUEST_HEADERS_TOTAL_BYTES = 32768
# edx-django-utils monitoring backends, as in Open edX: e.g. edx_django_utils.monitoring.OpenTelemetryBackend,
# NewRelicBackend or DatadogBackend (their agents are installed and configured outside Django). None by default.
OPENEDX_TELEMETRY = env_list("OPENEDX_TELEMETRY", [])
