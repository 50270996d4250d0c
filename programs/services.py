"""Writes to the catalog."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from programs.keys import parse_course_run_key
from programs.models import Course, CourseRun, Organization

log = logging.getLogger(__name__)

_UNSET = object()


def course_run_upsert(
    *, key: str, title: str | None = None, start: datetime | None = None, end: datetime | None = None
) -> tuple[CourseRun, bool]:
    """Create or update a run (and its course and organization, derived from the key).

    Idempotent and safe under concurrent identical calls: one caller creates each row, the others
    read it. A run the LMS deleted earlier is restored. Returns ``(run, created)``.
    """
    parsed = parse_course_run_key(key)
    for attempt in range(3):
        try:
            with transaction.atomic():
                run, created = _course_run_get_or_create(parsed.run_key, parsed.course_key, parsed.org_key)
                changed = [
                    field
                    for field, value in (("title", title), ("start", start), ("end", end))
                    if value is not None and getattr(run, field) != value
                ]
                for field in changed:
                    setattr(run, field, {"title": title, "start": start, "end": end}[field])
                if run.removed_at is not None:
                    run.removed_at = None
                    changed.append("removed_at")
                if changed and not created:
                    run.save(update_fields=[*changed, "modified"])
                elif changed:
                    run.save()
                log.info("course_run_upserted", extra={"course_run_key": run.key, "was_created": created})
                return run, created
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def course_run_ensure(*, key: str) -> CourseRun:
    """The run with this key, created from the key when unknown. A removed run stays removed."""
    parsed = parse_course_run_key(key)
    run = CourseRun.objects.select_related("course").filter(key=parsed.run_key).first()
    if run is not None:
        return run
    run, _ = course_run_upsert(key=parsed.run_key)
    return run


def course_run_remove(*, key: str) -> bool:
    """Mark a run deleted by the LMS. Learner records stay; the run stops counting toward programs.

    Idempotent: returns False when the run is unknown or already removed.
    """
    parsed = parse_course_run_key(key)
    updated = CourseRun.objects.filter(key=parsed.run_key, removed_at__isnull=True).update(
        removed_at=timezone.now(), modified=timezone.now()
    )
    log.info("course_run_removed", extra={"course_run_key": parsed.run_key, "was_present": bool(updated)})
    return bool(updated)


def _course_run_get_or_create(run_key: str, course_key: str, org_key: str) -> tuple[CourseRun, bool]:
    run = CourseRun.objects.select_related("course").filter(key=run_key).first()
    if run is not None:
        return run, False
    org, _ = Organization.objects.get_or_create(key=org_key, defaults={"name": org_key})
    course, _ = Course.objects.get_or_create(key=course_key, defaults={"organization": org})
    return CourseRun.objects.get_or_create(key=run_key, defaults={"course": course})
