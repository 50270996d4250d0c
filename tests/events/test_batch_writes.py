"""A batch's learner-record events written together (events.batches) leave what one at a time leaves.

The same stream (awards, revocations, late older events, enrollments toggled, grades passing a
credit course, a pending enrollment, a run created mid-stream, malformed and unknown events, an
identity conflict, a copy of an event) is applied once event by event and once as one batch, each
from the same starting rows; the records, their history, the outcomes, the pending rows and the
credit requirement statuses must be the same.
"""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid1

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from openedx_events.learning.signals import (
    CERTIFICATE_CREATED,
    COURSE_ENROLLMENT_CREATED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)

import events.batches
import events.services
from core.api import LearnerAccount, learners_get_or_create_many
from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from credit import api as credit_api
from credit.models import CreditRequirementStatus
from enrollments.models import Enrollment, PendingEnrollment
from events.facts import EventRef
from events.models import AppliedEvent
from events.services import (
    catalog_event_apply,
    certificate_event_apply,
    enrollment_event_apply,
    event_batch,
    grade_event_apply,
)
from programs.api import CatalogChange, course_runs_catalog_apply
from programs.models import CourseRun
from tests.concurrency import skip_unless_on
from tests.credit.conftest import COURSE_KEY, TWO_REQUIREMENTS
from tests.credit.factories import CreditCourseFactory
from tests.events.lms import catalog_data, certificate_data, enrollment_data, grade_data, user_data
from tests.factories import CourseRunFactory

pytestmark = pytest.mark.django_db

RUN = "course-v1:edX+DemoX+1T2024"
NEW_RUN = "course-v1:edX+NewX+1T2026"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
ANA = user_data(lms_user_id=3001, username="ana")
BEN = user_data(lms_user_id=3002, username="ben", email="Ben@Example.com")
CLA = user_data(lms_user_id=3003, username="cla")
DEE = user_data(lms_user_id=3004, username="dee")
IMPOSTOR = user_data(lms_user_id=3999, username="ben")  # ben's username under another LMS user id


@pytest.fixture
def catalog(db: None) -> None:
    CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")
    CourseRunFactory(key=COURSE_KEY, course__key="edX+DemoX2015", course__organization__key="edX")
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    credit_api.set_credit_requirements(COURSE_KEY, TWO_REQUIREMENTS)
    PendingEnrollment.objects.create(email="ben@example.com", course_run=CourseRun.objects.get(key=RUN), mode="audit")
    cla = User.objects.create(username="cla", lms_user_id=3003, email="cla@example.com")
    # Records stored before the stream, which it updates (the batch writers' path for stored rows).
    old = T0 - timedelta(days=1)
    run = CourseRun.objects.get(key=RUN)
    Grade.objects.create(learner=cla, course_run=run, percent_grade="0.3", source="ingest", source_time=old)
    dee = User.objects.create(username="dee", lms_user_id=3004, email="dee@example.com")
    CourseRunCredential.objects.create(
        learner=dee, course_run=run, status="awarded", type="verified", source="ingest", source_time=old
    )


def _stream() -> list[tuple[Any, str, Any, datetime]]:
    """(applier, argument name, data, event time) in arrival order."""
    minutes = [T0 + timedelta(minutes=n) for n in range(30)]
    cert, enrol, grade, catalog = (
        certificate_event_apply,
        enrollment_event_apply,
        grade_event_apply,
        catalog_event_apply,
    )
    return [
        (enrol, "enrollment", enrollment_data(ANA, RUN), minutes[1]),
        (cert, "certificate", certificate_data(ANA, RUN), minutes[2]),
        (cert, "certificate", certificate_data(ANA, RUN, status="notpassing"), minutes[5]),  # revoked by status
        (cert, "certificate", certificate_data(ANA, RUN), minutes[3]),  # late, older: stale
        (cert, "certificate", certificate_data(CLA, RUN), minutes[4]),  # cla revoked without a credential: skipped
        (
            enrol,
            "enrollment",
            enrollment_data(BEN, COURSE_KEY, mode="audit"),
            minutes[6],
        ),  # ben arrives: pending realised
        (enrol, "enrollment", enrollment_data(BEN, COURSE_KEY, is_active=False), minutes[8]),
        (enrol, "enrollment", enrollment_data(BEN, COURSE_KEY, is_active=True), minutes[7]),  # stale
        (enrol, "enrollment", enrollment_data(BEN, COURSE_KEY), minutes[8]),  # verified again: may earn credit
        (grade, "grade", grade_data(3002, COURSE_KEY, percent=0.85, passed=True), minutes[9]),  # credit satisfied
        (grade, "grade", grade_data(3002, COURSE_KEY, percent=0.5, passed=False), minutes[8]),  # stale
        (grade, "grade", grade_data(3003, RUN, percent=0.4, passed=False), minutes[9]),
        (grade, "grade", grade_data(4040, RUN, percent=0.9, passed=True), minutes[9]),  # unknown learner: skipped
        (cert, "certificate", certificate_data(BEN, NEW_RUN), minutes[10]),  # run not known yet: skipped
        (catalog, "catalog_info", catalog_data(NEW_RUN, name="New", start=T0), minutes[10]),  # creates the run
        (cert, "certificate", certificate_data(BEN, NEW_RUN, mode="honor"), minutes[11]),  # now known
        (cert, "certificate", certificate_data(ANA, RUN, mode="no-such-mode"), minutes[12]),  # skipped
        (cert, "certificate", certificate_data(IMPOSTOR, RUN), minutes[12]),  # identity conflict: skipped
        (cert, "certificate", certificate_data(DEE, RUN, status="notpassing"), minutes[12]),  # stored: revoked
        (enrol, "enrollment", enrollment_data(CLA, RUN, mode="honor"), minutes[13]),
        (cert, "certificate", certificate_data(ANA, RUN), minutes[14]),  # awarded again
        (catalog, "catalog_info", catalog_data(RUN, name="Renamed", start=T0, hidden=True), minutes[15]),
        (catalog, "catalog_info", catalog_data(RUN, name="Older", start=T0), minutes[14]),  # stale
        (catalog, "catalog_info", catalog_data(RUN, name="Bad", start=T0, end=T0 - timedelta(days=1)), minutes[16]),
        (catalog, "catalog_info", catalog_data(NEW_RUN, name="New again", start=T0), minutes[17]),
    ]


def _apply_all(events: list[tuple[Any, str, Any, datetime]], ids: list[Any], *, batch: bool) -> None:
    def apply() -> None:
        for (applier, name, data, at), event_id in zip(events, ids, strict=True):
            event_type = {
                "certificate": CERTIFICATE_CREATED.event_type,
                "enrollment": COURSE_ENROLLMENT_CREATED.event_type,
                "grade": PERSISTENT_GRADE_SUMMARY_CHANGED.event_type,
                "catalog_info": "org.openedx.content_authoring.course.catalog_info.changed.v1",
            }[name]
            applier(event=EventRef(id=event_id, type=event_type, time=at), **{name: data})

    if batch:
        with event_batch(ids):
            apply()
    else:
        apply()


def _state() -> dict[str, Any]:
    def rows(model: Any, *fields: str) -> list[tuple[Any, ...]]:
        return sorted(model.objects.values_list("learner__username", "course_run__key", *fields))

    def history(model: Any) -> list[tuple[Any, ...]]:
        return sorted(
            model.history.values_list(
                "learner__username", "course_run__key", "history_type", "history_source", "source_time", "source"
            )
        )

    return {
        "credentials": rows(CourseRunCredential, "status", "type", "awarded_at", "revoked_at", "source", "source_time"),
        "grades": rows(Grade, "percent_grade", "letter_grade", "source", "source_time"),
        "enrollments": rows(Enrollment, "mode", "is_active", "source", "source_time"),
        "history": [history(CourseRunCredential), history(Grade), history(Enrollment)],
        "learners": sorted(User.objects.values_list("username", "lms_user_id", "email")),
        "pending": sorted(PendingEnrollment.objects.values_list("email", "course_run__key")),
        "credit": sorted(
            CreditRequirementStatus.objects.values_list("learner__username", "requirement__name", "status", "reason")
        ),
        "outcomes": sorted(AppliedEvent.objects.values_list("event_id", "outcome")),
        "runs": sorted(CourseRun.objects.values_list("key", "title", "start", "end", "hidden", "catalog_event_time")),
        "run_history": sorted(
            CourseRun.history.values_list("key", "title", "hidden", "history_type", "history_source")  # type: ignore[attr-defined]
        ),
    }


def test_a_batch_leaves_the_records_that_one_event_at_a_time_leaves(
    catalog: None, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    events = _stream()
    ids = [uuid1() for _ in events]
    ids.append(ids[2])  # the revocation delivered twice: its copy is a replay
    events.append(events[2])

    rollback = transaction.savepoint()
    with django_capture_on_commit_callbacks(execute=True):
        _apply_all(events, ids, batch=False)
    one_by_one = _state()
    transaction.savepoint_rollback(rollback)

    assert CourseRunCredential.objects.count() == 1  # dee's, from the fixture
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level("WARNING"):
        _apply_all(events, ids, batch=True)
    batched = _state()
    assert "event_batch_written_one_by_one" not in caplog.messages  # written as a batch, not by the fallback

    assert batched == one_by_one
    # What the stream was built to cover happened.
    outcomes = [outcome for _, outcome in one_by_one["outcomes"]]
    assert sorted(set(outcomes)) == ["applied", "skipped", "stale"]
    assert one_by_one["credentials"][0][:4] == ("ana", RUN, "awarded", "verified")
    assert ("ben", NEW_RUN, "awarded", "honor") in [row[:4] for row in one_by_one["credentials"]]
    assert one_by_one["pending"] == []
    assert ("dee", RUN, "revoked") in [row[:3] for row in one_by_one["credentials"]]
    assert ("cla", RUN, Decimal("0.4000")) in [row[:3] for row in one_by_one["grades"]]
    # A stored record the batch updated keeps its creation time, and so does its new history row.
    grade = Grade.objects.get(learner__username="cla")
    assert grade.created < grade.modified
    assert {row.created for row in grade.history.all()} == {grade.created}  # type: ignore[attr-defined]
    assert (RUN, "Renamed", T0, None, True) in [row[:5] for row in one_by_one["runs"]]
    assert ("ben", "grade", "satisfied", {"final_grade": 0.85}) in one_by_one["credit"]


def test_a_batch_writes_its_learner_records_in_a_few_statements(catalog: None) -> None:
    """What makes a batch fast: its statements do not grow with its events (a dozen per event before)."""

    def statements(first: int, count: int) -> int:
        events = []
        for n in range(first, first + count):
            user = user_data(lms_user_id=5000 + n, username=f"learner{n}")
            events += [
                (enrollment_event_apply, "enrollment", enrollment_data(user, RUN), T0 + timedelta(seconds=n)),
                (certificate_event_apply, "certificate", certificate_data(user, RUN), T0 + timedelta(seconds=n)),
                (grade_event_apply, "grade", grade_data(5000 + n, RUN, percent=0.9, passed=False), T0),
            ]
        with CaptureQueriesContext(connection) as queries:
            _apply_all(events, [uuid1() for _ in events], batch=True)
        return len(queries)

    small, large = statements(0, 4), statements(4, 40)
    assert large == small, (small, large)
    # 44 learners, each with an enrollment, a credential and a grade (and the fixture's credential and grade).
    assert Enrollment.objects.count() == CourseRunCredential.objects.count() - 1 == Grade.objects.count() - 1 == 44


def test_a_batch_write_that_fails_for_another_reason_than_the_database_falls_back_to_one_event_at_a_time(
    catalog: None, monkeypatch: Any, caplog: Any
) -> None:
    def broken(changes: Any) -> Any:
        raise ValueError("a bug in the batch writer")

    monkeypatch.setattr(events.batches, "course_run_credentials_apply", broken)
    events_ = [
        (enrollment_event_apply, "enrollment", enrollment_data(ANA, RUN), T0),
        (certificate_event_apply, "certificate", certificate_data(ANA, RUN), T0),
        (certificate_event_apply, "certificate", certificate_data(ANA, RUN, mode="no-such-mode"), T0),
    ]
    ids = [uuid1() for _ in events_]
    with caplog.at_level("WARNING"):
        _apply_all(events_, ids, batch=True)

    assert "event_batch_written_one_by_one" in [record.getMessage() for record in caplog.records]
    # The enrollment written by the batch before the failure was rolled back with it, then written again once.
    assert list(Enrollment.objects.values_list("learner__username", "source")) == [("ana", "event")]
    assert Enrollment.history.count() == 1  # type: ignore[attr-defined]
    assert CourseRunCredential.objects.get(learner__username="ana").status == "awarded"
    outcomes = dict(AppliedEvent.objects.values_list("event_id", "outcome"))
    assert outcomes == {ids[0]: "applied", ids[1]: "applied", ids[2]: "skipped"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_records_of_a_run_and_learner_another_batch_is_updating_can_be_inserted_meanwhile() -> None:
    """Runs in CI on PostgreSQL only (marked ``postgres``: MariaDB takes no key-share locks).

    A batch locks the runs it changes (catalog) and the learners it names (identity) until it commits.
    Another batch inserting records of that run and learner checks its foreign keys at its commit
    with a key-share lock on them: it must not wait for the first (``FOR NO KEY UPDATE``,
    ``core.db.rows_lock``). With ``FOR UPDATE`` it waited, and two consumers of one group deadlocked.
    """
    skip_unless_on("postgresql")
    run = CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")
    learner = User.objects.create(username="ana", lms_user_id=3001, email="ana@example.com")
    errors: list[BaseException] = []

    def other_batch() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")  # waiting fails the test, never hangs it
                Enrollment.objects.create(learner=learner, course_run=run, mode="audit")
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        changed = course_runs_catalog_apply(
            [CatalogChange(key=RUN, title="Renamed", start=None, end=None, hidden=False, event_time=T0)]
        )
        [found] = learners_get_or_create_many(
            accounts=[LearnerAccount(username="ana", lms_user_id=3001, email="ana@new.example.com")]
        )
        thread = threading.Thread(target=other_batch)
        thread.start()
        thread.join(10)
    assert errors == []
    assert changed == [True] and found == learner
    assert Enrollment.objects.filter(learner=learner, course_run=run).exists()
    assert CourseRun.objects.get(key=RUN).title == "Renamed"


def test_an_event_that_fails_alone_after_the_fallback_is_logged_and_the_others_are_applied(
    catalog: None, monkeypatch: Any, caplog: Any
) -> None:
    """A bug that fails the batch write and then one event's own write does not stop the consumer."""

    def broken(changes: Any) -> Any:
        raise ValueError("a bug in the batch writer")

    upsert = events.services.enrollment_upsert

    def broken_for_ben(**kwargs: Any) -> Any:
        if kwargs["learner"].username == "ben":
            raise ValueError("a bug in the one-record writer")
        return upsert(**kwargs)

    monkeypatch.setattr(events.batches, "enrollments_apply", broken)
    monkeypatch.setattr(events.services, "enrollment_upsert", broken_for_ben)
    events_ = [
        (enrollment_event_apply, "enrollment", enrollment_data(BEN, RUN), T0),
        (enrollment_event_apply, "enrollment", enrollment_data(ANA, RUN), T0),
    ]
    ids = [uuid1() for _ in events_]
    with caplog.at_level("WARNING"):
        _apply_all(events_, ids, batch=True)

    failed = [record for record in caplog.records if record.getMessage() == "event_apply_failed"]
    assert [record.event_id for record in failed] == [str(ids[0])]  # type: ignore[attr-defined]
    assert list(Enrollment.objects.values_list("learner__username", flat=True)) == ["ana"]
    assert dict(AppliedEvent.objects.values_list("event_id", "outcome")) == {ids[1]: "applied"}
