"""Celery tasks of the event consumer's bookkeeping."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(name="events.applied_events_prune")
def applied_events_prune_task() -> int:
    """Celery beat, daily: forget applied events older than ``EVENT_BUS_APPLIED_EVENTS_KEEP_DAYS``; returns how many."""
    from events.services import applied_events_prune

    keep = timedelta(days=settings.EVENT_BUS_APPLIED_EVENTS_KEEP_DAYS)
    return applied_events_prune(applied_before=timezone.now() - keep)
