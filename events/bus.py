"""The consumer ``EVENT_BUS_CONSUMER`` names by default: edx-event-bus-redis with a stable consumer name.

openedx-events' ``consume_events`` passes only the topic and group; the Redis consumer also needs
its name within the group. A stable name (``EVENT_BUS_REDIS_CONSUMER_NAME``) lets a restarted
consumer re-read the events it had received but not acknowledged, and ``check_backlog`` (on by
default here) makes it resume where its group stopped instead of at the stream's end, so events
produced while it was down are not skipped (docs/decisions/0011).
"""

from typing import Any

from django.conf import settings
from openedx_events.event_bus import EventBusConsumer


def redis_consumer_create(*, topic: str, group_id: str, **kwargs: Any) -> EventBusConsumer:
    """A ``RedisEventConsumer``; ``--extra '{"consumer_name": ..., "check_backlog": false}'`` overrides the defaults."""
    from edx_event_bus_redis import RedisEventConsumer

    kwargs.setdefault("consumer_name", settings.EVENT_BUS_REDIS_CONSUMER_NAME)
    kwargs.setdefault("check_backlog", True)
    consumer: EventBusConsumer = RedisEventConsumer(topic=topic, group_id=group_id, **kwargs)
    return consumer
