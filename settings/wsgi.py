"""WSGI entry point (gunicorn settings.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from core.startup import loaded_objects_freeze

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")
application = get_wsgi_application()
# The worker has loaded the service: the collector stops walking it at every full collection.
loaded_objects_freeze()
