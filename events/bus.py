"""The consumer ``EVENT_BUS_CONSUMER`` names by default: edx-event-bus-redis, a stable name, outages held.

openedx-events' ``consume_events`` passes only the topic and group; the Redis consumer also needs
its name within the group. A stable name (``EVENT_BUS_REDIS_CONSUMER_NAME``) lets a restarted
consumer re-read the events it had received but not acknowledged, and ``check_backlog`` (on by
default here) makes it resume where its group stopped instead of at the stream's end, so events
produced while it was down are not skipped (docs/decisions/0011).
"""

import logging
from typing import Any

from django.conf import settings
from edx_event_bus_redis import RedisEventConsumer as _LibraryRedisEventConsumer
from openedx_events.event_bus import EventBusConsumer

from events.services import database_wait, is_database_unavailable

log = logging.getLogger(__name__)


class RedisEventConsumer(_LibraryRedisEventConsumer):
    """edx-event-bus-redis's consumer, holding an event through a database outage instead of dropping it.

    The library acknowledges every message it received, processed or not, and checks the database
    connection before the receivers run: an outage there would acknowledge an event nothing applied.
    Here such an event is held (unacknowledged, so a consumer killed meanwhile re-reads it at restart)
    until the database answers, then emitted again. Every other error is the library's: logged and
    acknowledged.
    """

    def record_event_consuming_error(self, run_context: Any, error: Any, maybe_message: Any) -> None:
        super().record_event_consuming_error(run_context, error, maybe_message)
        causes = [error, *getattr(error, "causes", [])]
        if maybe_message is None or not any(is_database_unavailable(cause) for cause in causes):
            return
        while True:
            log.error("event_held_for_database", extra={"event_id": str(maybe_message.event_metadata.id)})
            database_wait()
            try:
                self.emit_signals_from_message(maybe_message)
                return
            except Exception as retry_error:  # what the library does with any error, for this one
                if not any(is_database_unavailable(c) for c in [retry_error, *getattr(retry_error, "causes", [])]):
                    super().record_event_consuming_error(run_context, retry_error, maybe_message)
                    return


def redis_consumer_create(*, topic: str, group_id: str, **kwargs: Any) -> EventBusConsumer:
    """A ``RedisEventConsumer``; ``--extra '{"consumer_name": ..., "check_backlog": false}'`` overrides the defaults."""
    kwargs.setdefault("consumer_name", settings.EVENT_BUS_REDIS_CONSUMER_NAME)
    kwargs.setdefault("check_backlog", True)
    consumer: EventBusConsumer = RedisEventConsumer(topic=topic, group_id=group_id, **kwargs)
    return consumer
