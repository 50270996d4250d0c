"""Production: secrets must come from the environment; cookies and transport are hardened."""

from django.core.exceptions import ImproperlyConfigured

from settings.base import *  # noqa: F403
from settings.base import DATABASES, EMAIL_BACKEND, EMAIL_HOST, JWT_ISSUERS, JWT_PUBLIC_SIGNING_JWK_SET
from settings.env import env_bool, env_int, env_list, env_str, problem, raise_problems
from settings.jwt_keys import refuse_untrusted_jwt_keys

DEBUG = False
# Required here; each one missing is reported together with every other problem (raise_problems).
SECRET_KEY = env_str("SECRET_KEY")
# Empty, Django would answer every request 400.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)
# The defaults are development values: production names its issuer and audience (or lists JWT_ISSUERS).
if env_str("JWT_ISSUERS", None) is None:
    env_str("JWT_ISSUER")
    env_str("JWT_AUDIENCE")
if not env_str("DATABASE_URL", ""):
    problem("DATABASE_URL", "required and not set (postgres://... or mysql://...)")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    problem("DATABASE_URL", "must name PostgreSQL or MySQL/MariaDB in production, not SQLite")
else:
    # Persistent connections (docs/performance.rst, "HTTP": a new connection per request halved the
    # requests per second); checked before reuse, so a restarted database costs one failed check,
    # not one failed request.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 300, min_value=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if not env_str("CACHE_URL", ""):
    # Throttles and the sign-in lockout count in the cache: per process, each worker would grant
    # the full rate and its own budget of password guesses.
    problem("CACHE_URL", "required in production (redis://...): throttles and the sign-in lockout are shared")
# A key must be configured, and no HS256 secret may be a published default or shorter than 32 bytes;
# reported with every other problem.
try:
    refuse_untrusted_jwt_keys(JWT_ISSUERS, jwk_set=JWT_PUBLIC_SIGNING_JWK_SET)
except ImproperlyConfigured as exc:
    problem("JWT_SECRET_KEY", str(exc))
# Email: the console backend (base's default without EMAIL_HOST) prints every message, learners' addresses
# and enrollment notices included, to the process's stdout, which is the log stream in production. Without
# an SMTP host, notifications are discarded instead; the console backend is refused outright.
if not EMAIL_HOST and not env_str("EMAIL_BACKEND", ""):
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    problem(
        "EMAIL_BACKEND",
        "EMAIL_BACKEND is the console backend, which writes learners' email addresses and messages into the "
        "logs: set EMAIL_HOST (SMTP) or another EMAIL_BACKEND.",
    )
# The development salt is public (retired usernames made with it could be reversed by guessing):
# without the LMS's salts, retirement answers 503 instead (privacy.services).
RETIRED_USER_SALTS = env_list("RETIRED_USER_SALTS")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only: plain-HTTP requests are redirected (but /health/, probed over HTTP inside the container)
# and browsers are told to stay on HTTPS. Both can be turned off for a plain-HTTP test deployment.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# The LMS redirects back to https://<this service>/complete/edx-oauth2/.
SOCIAL_AUTH_REDIRECT_IS_HTTPS = env_bool("SOCIAL_AUTH_REDIRECT_IS_HTTPS", True)

# Last line of every settings module Django loads: one ImproperlyConfigured naming every bad variable.
raise_problems()
