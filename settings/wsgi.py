"""WSGI entry point (gunicorn settings.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from core.startup import collector_set_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")
application = get_wsgi_application()
# The worker has loaded the service: the collector stops walking it, and spaces its young collections.
collector_set_for_serving()
