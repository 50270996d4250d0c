"""Bulk enrollment racing other writers: identical requests, and a learner arriving mid-request (PostgreSQL).

Runs in CI on PostgreSQL only (marked ``postgres``: CI's MariaDB run deselects it).
"""

import threading
import time

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from core.api import learner_get_or_create
from enrollments.backends import local
from enrollments.data import BulkEnrollmentItem
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.services import bulk_enroll
from tests.factories import CourseRunFactory, UserFactory

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not IS_POSTGRES, reason="LOUD SKIP: these races need PostgreSQL row locks (DATABASE_URL=postgres://...)"
    ),
]


@pytest.fixture(autouse=True)
def _local_backend(settings):
    settings.ENROLLMENT_BACKEND = "local"


def _another_session_waits_for_this_one() -> bool:
    """True when another database session is blocked on a lock this thread's transaction holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return bool(cursor.fetchone()[0])


def test_two_identical_requests_at_once_report_created_once_and_email_once(monkeypatch):
    run = CourseRunFactory()
    UserFactory(email="ana@example.com")
    items = [
        BulkEnrollmentItem(email="ana@example.com", course_run_key=run.key),
        BulkEnrollmentItem(email="new@example.com", course_run_key=run.key),
    ]
    # The first request to read what exists waits there, holding the run locks, until the other one
    # is either blocked by it on a lock (the run locks work: it can read only after our commit) or has
    # read too (they do not: both read "nothing yet" and both report created:true). Either happens in
    # milliseconds; the deadline only bounds a hang.
    real_read = local.enrollments_by_pair
    state = threading.Lock()
    readers: list[int] = []
    stuck: list[str] = []

    def read_then_wait_for_the_other(**kwargs):
        found = real_read(**kwargs)
        with state:
            readers.append(threading.get_ident())
            first = len(readers) == 1
        deadline = time.monotonic() + 10
        while first and len(readers) == 1 and not _another_session_waits_for_this_one():
            if time.monotonic() > deadline:
                stuck.append("the other request neither read nor waited for a lock")
                break
            time.sleep(0.005)
        return found

    monkeypatch.setattr(local, "enrollments_by_pair", read_then_wait_for_the_other)
    results, errors = [], []

    def request() -> None:
        try:
            results.append(bulk_enroll(items=items, notify=True))
        except BaseException as exc:  # reported below; a thread must not swallow it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and stuck == []
    assert sorted(result.successes[0].created for result in results) == [False, True]
    assert sorted(result.pending[0].created for result in results) == [False, True]
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "new@example.com"]
    assert Enrollment.objects.count() == 1 and PendingEnrollment.objects.count() == 1


def test_a_learner_arriving_while_the_pending_rows_are_uncommitted_still_gets_them(monkeypatch):
    """The learner commits (and runs its own realisation, which cannot see the uncommitted rows) between
    this request's pending insert and its commit: a look-up inside the transaction would miss them too."""
    run = CourseRunFactory()
    real_insert = local.pending_rows_insert
    arrived = threading.Event()
    errors: list[BaseException] = []

    def arrive() -> None:
        try:
            learner_get_or_create(username="newbie", lms_user_id=777, email="newbie@example.com")
        except BaseException as exc:
            errors.append(exc)
        finally:
            arrived.set()
            connection.close()

    def insert_then_the_learner_arrives(rows):
        real_insert(rows)
        threading.Thread(target=arrive).start()
        assert arrived.wait(timeout=10)

    monkeypatch.setattr(local, "pending_rows_insert", insert_then_the_learner_arrives)
    result = bulk_enroll(items=[BulkEnrollmentItem(email="newbie@example.com", course_run_key=run.key)])
    assert errors == []
    assert [(p.email, p.created) for p in result.pending] == [("newbie@example.com", True)]
    assert list(Enrollment.objects.values_list("learner__username", "course_run__key", "is_active")) == [
        ("newbie", run.key, True)
    ]
    assert not PendingEnrollment.objects.exists()
