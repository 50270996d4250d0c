"""Production: secrets must come from the environment; cookies and transport are hardened."""

from django.core.exceptions import ImproperlyConfigured

from settings.base import *  # noqa: F403
from settings.base import JWT_PUBLIC_SIGNING_JWK_SET
from settings.env import env_bool, env_list, env_str

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
if not JWT_PUBLIC_SIGNING_JWK_SET:
    # Symmetric tokens are allowed in production only with an explicitly configured secret.
    env_str("JWT_SECRET_KEY")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
