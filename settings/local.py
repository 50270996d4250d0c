"""Local development: SQLite, in-process Celery, console email, DEBUG on."""

from settings.base import *  # noqa: F403
from settings.base import JWT_AUTH
from settings.env import env_bool, raise_problems
from settings.jwt_keys import DEV_JWT_SECRET_KEY, jwt_issuers

DEBUG = env_bool("DEBUG", True)

# Serve static files from the apps without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The published development secret verifies tokens here (create_dev_jwt signs with it) unless the
# environment names a secret; settings.base and settings.production never trust it.
JWT_ISSUERS = jwt_issuers(default_secret=DEV_JWT_SECRET_KEY)
JWT_SECRET_KEY = JWT_ISSUERS[0]["SECRET_KEY"]
JWT_AUTH = {**JWT_AUTH, "JWT_ISSUERS": JWT_ISSUERS}

# Last line of every settings module Django loads: one ImproperlyConfigured naming every bad variable.
raise_problems()
