"""course_run_upsert under concurrent writers: it uses core.db.retry_on_integrity_error like every other upsert."""

import pytest
from django.db import OperationalError

from core import db
from programs import services
from programs.models import CourseRun
from programs.services import course_run_upsert

RUN_KEY = "course-v1:RaceX+R101+2026_T1"


@pytest.mark.django_db(transaction=True)
def test_a_deadlocked_first_write_of_a_run_is_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # MySQL/MariaDB turn two concurrent first inserts of one key into a deadlock (error 1213), not an
    # IntegrityError; before, course_run_upsert gave up on it and the LMS PUT answered 500.
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)
    real = services._course_run_get_or_create
    calls = []

    def deadlock_once(*args: object) -> tuple[CourseRun, bool]:
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
        return real(*args)

    monkeypatch.setattr(services, "_course_run_get_or_create", deadlock_once)
    _, created = course_run_upsert(key=RUN_KEY, title="Racing")
    assert created
    assert len(calls) == 2
    assert CourseRun.objects.get(key=RUN_KEY).title == "Racing"
