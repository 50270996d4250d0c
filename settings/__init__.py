"""Django settings, URLs, WSGI entry point and the Celery app of credentials-status."""

from settings.celery import app as celery_app

__all__ = ["celery_app"]
