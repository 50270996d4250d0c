"""Settings shared by every environment.

Everything is defined here and read from the environment through ``settings.env``; ``local``,
``test`` and ``production`` only override. Variable names follow the Configuration table of
the service API contract.
"""

from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from settings.env import env_bool, env_int, env_json, env_list, env_str
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
    "core",
    "programs",
    "credentials_status",
    "enrollments",
    "credit",
    "support",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "core.middleware.JsonApiNotFoundMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # History rows name the request's user (after DRF authenticates it) and source (core.history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["core.backends.ThrottledModelBackend"]
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
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'credentials_status.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))}
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

LANGUAGE_CODE = "en-us"
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
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("The environment variable TRUSTED_PROXY_COUNT must be 0 or more.")

# --- REST framework, authentication and errors -------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    # JWT first: its WWW-Authenticate header makes missing credentials a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.LearnerJwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
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
        "anon": env_str("THROTTLE_RATE_ANON", "60/minute"),
        "user": env_str("THROTTLE_RATE_USER", "6000/minute"),
        "credit_callback": env_str("THROTTLE_RATE_CREDIT_CALLBACK", "120/minute"),
    },
}

# Trusted issuers and keys (settings/jwt_keys.py): no HS256 secret here unless the environment names one;
# settings.local and settings.test add the development secret. The first issuer signs dev tokens.
JWT_PUBLIC_SIGNING_JWK_SET = env_str("JWT_PUBLIC_SIGNING_JWK_SET", None)
JWT_ISSUERS = jwt_issuers()
JWT_ISSUER, JWT_AUDIENCE, JWT_SECRET_KEY = (JWT_ISSUERS[0][name] for name in ("ISSUER", "AUDIENCE", "SECRET_KEY"))

JWT_AUTH = {
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
    "ENUM_NAME_OVERRIDES": {
        "ProgramStatusEnum": "programs.models.ProgramStatus",
        "SyncStatusEnum": "programs.models.SyncStatus",
        "CredentialStatusEnum": "credentials_status.models.CredentialStatus",
        "RequirementStatusEnum": "credit.models.RequirementStatus",
        "CreditRequestStatusEnum": "credit.models.CreditRequestStatus",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.add_error_responses"],
}

# --- Upstreams: Discovery and the LMS ----------------------------------------------------------
DISCOVERY_API_URL = env_str("DISCOVERY_API_URL", None)
OAUTH2_PROVIDER_URL = env_str("OAUTH2_PROVIDER_URL", None)
OAUTH2_CLIENT_ID = env_str("OAUTH2_CLIENT_ID", None)
OAUTH2_CLIENT_SECRET = env_str("OAUTH2_CLIENT_SECRET", None)
LMS_URL = env_str("LMS_URL", None)
UPSTREAM_CONNECT_TIMEOUT_SECONDS = float(env_str("UPSTREAM_CONNECT_TIMEOUT_SECONDS", "5"))
UPSTREAM_READ_TIMEOUT_SECONDS = float(env_str("UPSTREAM_READ_TIMEOUT_SECONDS", "30"))
ENROLLMENT_BACKEND = env_str("ENROLLMENT_BACKEND", "local")
# One bulk enrollment through the LMS stops sending calls after this many retryable failures in a
# row, or this many seconds into the request (below gunicorn's 60 s worker timeout).
LMS_CIRCUIT_BREAKER_FAILURES = env_int("LMS_CIRCUIT_BREAKER_FAILURES", 20)
LMS_TIME_BUDGET_SECONDS = float(env_str("LMS_TIME_BUDGET_SECONDS", "45"))
PROGRAM_SYNC_INTERVAL_MINUTES = env_int("PROGRAM_SYNC_INTERVAL_MINUTES", 60)
# Celery beat realises pending enrollments whose email now belongs to a learner (what arrivals missed).
PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES = env_int("PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES", 15)
# A sync that would retire more than this share of the synced programs stops instead (outage guard).
PROGRAM_SYNC_MAX_RETIRE_FRACTION = float(env_str("PROGRAM_SYNC_MAX_RETIRE_FRACTION", "0.1"))
# A sync still "running" after this many minutes is recorded as failed (its process was killed); the
# Celery task is stopped at this limit, so no live sync is that old.
PROGRAM_SYNC_STALE_MINUTES = env_int("PROGRAM_SYNC_STALE_MINUTES", 120)
# Items per Discovery page: large pages keep a sync under Discovery's 200 requests/hour throttle.
PROGRAM_SYNC_PAGE_SIZE = env_int("PROGRAM_SYNC_PAGE_SIZE", 100)
# Restricted run types to request from Discovery (sent identically to the course and program calls).
# Both by default: the LMS pushes restricted runs here anyway, and only a sync that sees them can
# see a program excluding one (docs/decisions/0004). Set to an empty string to request none.
PROGRAM_SYNC_INCLUDE_RESTRICTED = env_list("PROGRAM_SYNC_INCLUDE_RESTRICTED", ["custom-b2c", "custom-b2b-enterprise"])

# --- Credit -----------------------------------------------------------------------------------
CREDIT_PROVIDER_SECRET_KEYS = env_json("CREDIT_PROVIDER_SECRET_KEYS", {})
CREDIT_ELIGIBILITY_EXPIRATION_DAYS = env_int("CREDIT_ELIGIBILITY_EXPIRATION_DAYS", 365)
CREDIT_PROVIDER_TIMESTAMP_EXPIRATION = env_int("CREDIT_PROVIDER_TIMESTAMP_EXPIRATION", 15 * 60)
# Longest time a learner's LMS country and mailing address are reused for credit requests (0: every time).
LMS_ACCOUNT_CACHE_SECONDS = env_int("LMS_ACCOUNT_CACHE_SECONDS", 300)
if not 0 <= LMS_ACCOUNT_CACHE_SECONDS <= 86400:
    raise ImproperlyConfigured("LMS_ACCOUNT_CACHE_SECONDS must be between 0 and 86400.")

# --- Celery: unset broker = tasks run in-process -----------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", None)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "program-sync": {
        "task": "programs.tasks.program_sync_scheduled",
        "schedule": PROGRAM_SYNC_INTERVAL_MINUTES * 60.0,
    },
    "pending-enrollments-sweep": {
        "task": "enrollments.pending_enrollments_sweep",
        "schedule": PENDING_ENROLLMENT_SWEEP_INTERVAL_MINUTES * 60.0,
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

# --- Logging: one JSON object per line, with stable event names --------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # edx-drf-extensions logs each claim it copies onto the user; keep them out of the logs.
        "edx_rest_framework_extensions.auth.jwt.authentication": {"level": "WARNING"},
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
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
# Bulk bodies (10,000 enrollment pairs) fit; larger ones get a JSON 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
# Over these, a JSON 414 (query string) or 431 (a header, all headers): below gunicorn.conf.py's limits.
MAX_QUERY_STRING_BYTES = 4096
MAX_REQUEST_HEADER_BYTES = 8192
MAX_REQUEST_HEADERS_TOTAL_BYTES = 32768
# edx-django-utils monitoring: no New Relic here.
OPENEDX_TELEMETRY: list[str] = []
