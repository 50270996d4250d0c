"""The consumer ``EVENT_BUS_CONSUMER`` names by default: edx-event-bus-redis, in batches, outages held.

openedx-events' ``consume_events`` passes only the topic and group; the Redis consumer also needs
its name within the group. A stable name (``EVENT_BUS_REDIS_CONSUMER_NAME``) lets a restarted
consumer re-read the events it had received but not acknowledged, and ``check_backlog`` (on by
default here) makes it resume where its group stopped instead of at the stream's end, so events
produced while it was down are not skipped (docs/decisions/0011).
"""

import logging
import time
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError
from edx_event_bus_redis import RedisEventConsumer as _LibraryRedisEventConsumer
from edx_event_bus_redis.internal.consumer import POLL_FAILURE_SLEEP, REDIS_CONSUMERS_ENABLED
from edx_event_bus_redis.internal.message import RedisMessage
from edx_event_bus_redis.internal.utils import Timeout
from openedx_events.event_bus import EventBusConsumer
from openedx_events.tooling import prepare_for_new_work_cycle

from events.services import database_wait, event_batch, is_database_unavailable

log = logging.getLogger(__name__)

#: A raw stream entry as redis-py returns it: ``(entry id, fields)``; ``fields`` is None for a trimmed entry.
RawEntry = tuple[bytes, dict[bytes, bytes] | None]


def _is_outage(error: BaseException) -> bool:
    return any(is_database_unavailable(cause) for cause in [error, *getattr(error, "causes", [])])


class RedisEventConsumer(_LibraryRedisEventConsumer):
    """edx-event-bus-redis's consumer, applying up to ``EVENT_BUS_BATCH_SIZE`` events per transaction.

    The library reads, applies and acknowledges one message at a time, and acknowledges a message
    whatever happened to it. This loop reads up to the batch size with one ``XREADGROUP`` (this
    consumer's pending entries first, as the library does at start), applies the batch in one
    transaction (``events.services.event_batch``: one replay query, the learner records and catalog
    changes written together by ``events.batches``, one insert of ``AppliedEvent`` rows), and
    acknowledges the whole batch with one ``XACK`` after the commit. An event the library cannot
    decode, or whose receivers fail for another reason than the database, is logged as the library
    does (``record_event_consuming_error``), rolled back alone and acknowledged with its batch. A
    database outage anywhere in the batch, the commit included, rolls the whole batch back: it stays
    unacknowledged (a consumer killed meanwhile re-reads it at restart) until the database answers,
    then is applied again from the start.
    """

    # Set by the library's __init__; typed here for mypy.
    has_pending_msgs: bool
    claim_msgs_older_than: int | None

    def __init__(self, *args: Any, batch_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_size = max(1, int(batch_size or settings.EVENT_BUS_BATCH_SIZE))

    def _read_batch(self) -> list[RawEntry]:
        """Up to ``batch_size`` entries: first those delivered to this consumer and never acknowledged."""
        if self.has_pending_msgs:
            if self.claim_msgs_older_than is not None:
                with Timeout(5):
                    self.consumer.autoclaim(
                        self.consumer_name, min_idle_time=self.claim_msgs_older_than, count=self.batch_size
                    )
            with Timeout(5):
                pending: list[RawEntry] = self.consumer.read(count=self.batch_size, last_id="0")
            if pending:
                return pending
            self.has_pending_msgs = False
            self.claim_msgs_older_than = None
        timeout_ms = int(settings.EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT) * 1000
        entries: list[RawEntry] = self.consumer.read(count=self.batch_size, block=timeout_ms)
        return entries

    def _consume_indefinitely(self) -> None:
        if not REDIS_CONSUMERS_ENABLED.is_enabled():
            log.error("Redis consumers not enabled, exiting.")
            return
        run_context = {
            "full_topic": self.full_topic,
            "consumer_group": self.group_id,
            "consumer_name": self.consumer_name,
        }
        log.info("event_consumer_started", extra={**run_context, "batch_size": self.batch_size})
        try:
            while not self._shut_down_loop:
                try:
                    entries = self._read_batch()
                except Exception as error:  # the library's handling of a failed read
                    self.record_event_consuming_error(run_context, error, None)
                    if self._is_fatal_redis_error(error=error):
                        raise
                    time.sleep(POLL_FAILURE_SLEEP)
                    continue
                if entries:
                    self._batch_apply(run_context, entries)
                    self.consumer.ack(*(entry_id for entry_id, _ in entries))
        finally:
            self.db.close()

    def _batch_apply(self, run_context: dict[str, Any], entries: list[RawEntry]) -> None:
        """Apply the entries' events in one committed transaction; returns once it committed."""
        messages = []
        for entry in entries:
            if entry[1] is None:  # trimmed from the stream while pending: nothing left to apply
                log.warning("event_entry_trimmed", extra={"redis_msg_id": entry[0].decode()})
                continue
            try:
                messages.append(RedisMessage.parse(entry, self.full_topic))
            except Exception as error:  # not a message of the bus: logged and acknowledged, as the library does
                self.record_event_consuming_error(run_context, error, None)
        if not messages:
            return
        event_ids = []
        for message in messages:
            try:
                event_ids.append(UUID(str(message.event_metadata.id)))
            except ValueError:
                continue
        while True:
            try:
                prepare_for_new_work_cycle()  # reconnects a lost database connection: may fail in an outage
                with event_batch(event_ids):
                    for message in messages:
                        self._message_apply(run_context, message)
                return
            except IntegrityError:
                # Another consumer of the group recorded one of these ids first: run again, seeing it as a replay.
                log.warning("event_batch_raced", extra={"events": len(messages)})
            except Exception as error:
                if not _is_outage(error):
                    raise
                log.error(
                    "event_batch_held_for_database",
                    extra={"events": len(messages), "first_event_id": str(messages[0].event_metadata.id)},
                )
                database_wait()

    def _message_apply(self, run_context: dict[str, Any], message: RedisMessage) -> None:
        try:
            self.emit_signals_from_message(message)
        except Exception as error:
            if _is_outage(error):
                raise
            self.record_event_consuming_error(run_context, error, message)


def redis_consumer_create(*, topic: str, group_id: str, **kwargs: Any) -> EventBusConsumer:
    """A ``RedisEventConsumer``; ``--extra '{"consumer_name": ..., "check_backlog": false, "batch_size": 1}'``
    overrides the defaults."""
    kwargs.setdefault("consumer_name", settings.EVENT_BUS_REDIS_CONSUMER_NAME)
    kwargs.setdefault("check_backlog", True)
    consumer: EventBusConsumer = RedisEventConsumer(topic=topic, group_id=group_id, **kwargs)
    return consumer
