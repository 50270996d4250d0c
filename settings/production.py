"""Production: secrets must come from the environment; cookies and transport are hardened."""

from django.core.exceptions import ImproperlyConfigured

from settings.base import *  # noqa: F403
from settings.base import JWT_ISSUERS, JWT_PUBLIC_SIGNING_JWK_SET
from settings.env import env_bool, env_int, env_list, env_str
from settings.jwt_keys import refuse_untrusted_jwt_keys

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    # Empty, Django answers every request 400: fail at start instead.
    raise ImproperlyConfigured("The environment variable ALLOWED_HOSTS is required.")
if not env_str("CACHE_URL", ""):
    # Throttles and the sign-in lockout count in the cache: per process, each worker would grant
    # the full rate and its own budget of password guesses.
    raise ImproperlyConfigured(
        "The environment variable CACHE_URL is required in production (redis://...): throttles and the "
        "sign-in lockout must be shared by every worker."
    )
# A key must be configured, and no HS256 secret may be a published default or shorter than 32 bytes.
refuse_untrusted_jwt_keys(JWT_ISSUERS, jwk_set=JWT_PUBLIC_SIGNING_JWK_SET)
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
