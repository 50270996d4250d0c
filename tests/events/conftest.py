"""The event bus fixture: a topic of the test's own on Redis, and the LMS producing to it."""

from typing import Any
from uuid import uuid1

import pytest

from tests.events.lms import REDIS_URL, LmsProducer, redis_is_up


@pytest.fixture
def lms(settings: Any) -> Any:
    """A topic of this test's own (a unique prefix) on the Redis bus, and the LMS producing to it."""
    if not redis_is_up():
        pytest.skip("SKIPPED: the event bus tests need Redis on 127.0.0.1:6379")
    settings.EVENT_BUS_REDIS_CONNECTION_URL = REDIS_URL
    settings.EVENT_BUS_TOPIC_PREFIX = f"cs-test-{uuid1().hex}"
    settings.EVENT_BUS_CONSUMER = "tests.events.lms.recorded_consumer_create"
    producer = LmsProducer()
    yield producer
    producer.drop()
