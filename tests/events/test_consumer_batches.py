"""The consumer applies several events per transaction: what a batch may and may not do.

A batch is read with one ``XREADGROUP``, applied in one transaction and acknowledged after its
commit. A bad event in it is skipped alone; a database outage holds all of it unacknowledged; a
replayed batch changes nothing and costs one query.
"""

from typing import Any
from uuid import uuid1

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from openedx_events.data import EventsMetadata
from openedx_events.learning.signals import CERTIFICATE_CREATED

import events.batches
import events.bus
from credentials_status.models import CourseRunCredential
from events.models import AppliedEvent
from programs.models import CourseRun
from tests.events.lms import certificate_data, consume_until_caught_up, user_data
from tests.factories import CourseRunFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

RUN = "course-v1:edX+DemoX+1T2024"


@pytest.fixture
def run(db: None) -> CourseRun:
    return CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")


@pytest.fixture
def batches(monkeypatch: Any) -> list[int]:
    """The number of events in each batch the consumer applies."""
    sizes: list[int] = []
    original = events.bus.event_batch

    def counted(event_ids: Any) -> Any:
        ids = list(event_ids)
        sizes.append(len(ids))
        return original(ids)

    monkeypatch.setattr(events.bus, "event_batch", counted)
    return sizes


def _learner(n: int) -> Any:
    return user_data(lms_user_id=4000 + n, username=f"learner{n}")


def test_a_malformed_event_in_the_middle_of_a_batch_is_skipped_and_the_others_are_applied(
    lms: Any, run: CourseRun, batches: list[int], settings: Any, caplog: Any
) -> None:
    settings.EVENT_BUS_BATCH_SIZE = 10
    first = lms.send(CERTIFICATE_CREATED, certificate=certificate_data(_learner(1), RUN))
    garbage = EventsMetadata(event_type=CERTIFICATE_CREATED.event_type, id=uuid1())
    lms.send_raw(garbage, b"\x00not avro")
    bad_mode = lms.send(CERTIFICATE_CREATED, certificate=certificate_data(_learner(2), RUN, mode="no-such-mode"))
    last = lms.send(CERTIFICATE_CREATED, certificate=certificate_data(_learner(3), RUN))
    with caplog.at_level("INFO"):
        consume_until_caught_up(lms, "cs-batch-a")

    assert batches == [4]
    assert lms.group_state("cs-batch-a")["pending"] == 0
    assert set(CourseRunCredential.objects.values_list("learner__username", flat=True)) == {"learner1", "learner3"}
    outcomes = dict(AppliedEvent.objects.values_list("event_id", "outcome"))
    assert outcomes == {first.id: "applied", bad_mode.id: "skipped", last.id: "applied"}
    # Each applied event names itself as the source of the history rows it wrote.
    credential = CourseRunCredential.objects.get(learner__username="learner1")
    assert credential.history.get().history_source == f"event {first.event_type} {first.id}"  # type: ignore[attr-defined]
    assert any(str(garbage.id) in record.getMessage() for record in caplog.records if record.levelname == "ERROR")


def test_a_database_outage_mid_batch_holds_the_whole_batch_unacknowledged_then_applies_it(
    lms: Any, run: CourseRun, batches: list[int], settings: Any, monkeypatch: Any
) -> None:
    settings.EVENT_BUS_BATCH_SIZE = 10
    for n in (1, 2, 3):
        lms.send(CERTIFICATE_CREATED, certificate=certificate_data(_learner(n), RUN))
    write = events.batches.course_run_credentials_apply
    lost = []

    def connection_lost_at_the_first_write(changes: Any) -> Any:
        if not lost:
            lost.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return write(changes)

    held: list[dict[str, int]] = []

    def database_back() -> None:
        held.append(
            {
                "pending": lms.group_state("cs-batch-b")["pending"],
                "credentials": CourseRunCredential.objects.count(),
                "recorded": AppliedEvent.objects.count(),
            }
        )

    monkeypatch.setattr(events.batches, "course_run_credentials_apply", connection_lost_at_the_first_write)
    monkeypatch.setattr(events.bus, "database_wait", database_back)
    consume_until_caught_up(lms, "cs-batch-b")

    # While held: the learners written before the loss rolled back with the batch, all three delivered and
    # unacknowledged.
    assert held == [{"pending": 3, "credentials": 0, "recorded": 0}]
    assert batches == [3, 3]
    assert CourseRunCredential.objects.count() == 3
    assert set(AppliedEvent.objects.values_list("outcome", flat=True)) == {"applied"}
    assert AppliedEvent.objects.count() == 3
    assert lms.group_state("cs-batch-b")["pending"] == 0


def test_a_replayed_batch_changes_nothing_and_costs_one_query(
    lms: Any, run: CourseRun, batches: list[int], settings: Any
) -> None:
    settings.EVENT_BUS_BATCH_SIZE = 10
    sent = [lms.send(CERTIFICATE_CREATED, certificate=certificate_data(_learner(n), RUN)) for n in range(5)]
    consume_until_caught_up(lms, "cs-batch-c")
    before = sorted(CourseRunCredential.objects.values_list("learner__username", "modified", "status"))
    assert len(before) == 5

    # The bus redelivers the whole batch (same metadata ids), as after a crash before the acknowledgement.
    for n, metadata in enumerate(sent):
        lms.send(CERTIFICATE_CREATED, certificate=certificate_data(_learner(n), RUN), event_id=metadata.id)
    with CaptureQueriesContext(connection) as queries:
        consume_until_caught_up(lms, "cs-batch-c")

    assert batches == [5, 5]
    assert sorted(CourseRunCredential.objects.values_list("learner__username", "modified", "status")) == before
    assert AppliedEvent.objects.count() == 5
    assert lms.group_state("cs-batch-c")["pending"] == 0
    replay_checks = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(replay_checks) == 1, replay_checks
