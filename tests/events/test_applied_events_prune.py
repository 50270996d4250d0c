"""Applied events' ids are kept ``EVENT_BUS_APPLIED_EVENTS_KEEP_DAYS``, then pruned by a daily beat task."""

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.conf import settings
from django.utils import timezone

from events.facts import EventRef
from events.models import AppliedEvent, EventOutcome
from events.services import applied_events_prune, event_apply
from events.tasks import applied_events_prune_task

pytestmark = pytest.mark.django_db


def _applied(days_ago: int) -> AppliedEvent:
    row = AppliedEvent.objects.create(
        event_id=uuid4(), event_type="org.openedx.learning.certificate.created.v1", event_time=timezone.now(),
        outcome=EventOutcome.APPLIED,
    )  # fmt: skip
    AppliedEvent.objects.filter(pk=row.pk).update(applied_at=timezone.now() - timedelta(days=days_ago))
    return row


def test_the_daily_task_forgets_events_applied_before_the_kept_days_and_keeps_the_others(settings: Any) -> None:
    settings.EVENT_BUS_APPLIED_EVENTS_KEEP_DAYS = 30
    old = [_applied(days) for days in (31, 45, 400)]
    recent = [_applied(days) for days in (0, 29)]

    assert applied_events_prune_task() == len(old)
    assert set(AppliedEvent.objects.values_list("pk", flat=True)) == {row.pk for row in recent}


def test_pruning_goes_batch_by_batch_until_nothing_older_is_left() -> None:
    for _ in range(5):
        _applied(60)
    kept = _applied(1)
    assert applied_events_prune(applied_before=timezone.now() - timedelta(days=30), batch_size=2) == 5
    assert list(AppliedEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_an_event_applied_within_the_kept_days_is_still_a_replay_after_pruning() -> None:
    recent = _applied(2)
    applied_events_prune_task()
    event = EventRef(id=recent.event_id, type=recent.event_type, time=timezone.now())

    def must_not_run() -> EventOutcome:
        raise AssertionError("a replay must not be applied again")

    assert event_apply(event=event, apply=must_not_run) is None


def test_the_beat_schedule_runs_the_registered_prune_task_daily() -> None:
    from settings.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["applied-events-prune"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 24 * 60 * 60
