"""Events as the LMS and Studio send them: openedx-events data classes, produced with edx-event-bus-redis.

The LMS's openedx-events hook calls the configured producer's ``send`` with the signal, the topic of
``EVENT_BUS_PRODUCER_CONFIG``, the event key field and the signal's data; ``LmsProducer.send`` does
the same with the real ``RedisEventProducer``.
"""

import os
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid1

from edx_event_bus_redis import create_producer
from edx_event_bus_redis.internal.config import get_full_topic
from edx_event_bus_redis.internal.utils import get_headers_from_metadata
from opaque_keys.edx.keys import CourseKey
from openedx_events.content_authoring.data import CourseCatalogData, CourseScheduleData
from openedx_events.data import EventsMetadata
from openedx_events.learning.data import (
    CertificateData,
    CourseData,
    CourseEnrollmentData,
    PersistentCourseGradeData,
    UserData,
    UserPersonalData,
)
from openedx_events.tooling import OpenEdxPublicSignal
from redis import Redis

REDIS_URL = os.environ.get("TEST_EVENT_BUS_REDIS_URL", "redis://127.0.0.1:6379/7")
TOPIC = "credentials-status-learning"
# The LMS's event key fields (EVENT_BUS_PRODUCER_CONFIG); the Redis bus does not use them.
EVENT_KEY_FIELDS = {
    "certificate": "certificate.course.course_key",
    "enrollment": "enrollment.course.course_key",
    "grade": "grade.course.course_key",
    "catalog_info": "catalog_info.course_key",
}


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def user_data(*, lms_user_id: int, username: str, email: str | None = None, name: str = "") -> UserData:
    return UserData(
        id=lms_user_id,
        is_active=True,
        pii=UserPersonalData(username=username, email=email or f"{username}@example.com", name=name),
    )


def course_data(run_key: str) -> CourseData:
    return CourseData(course_key=CourseKey.from_string(run_key))


def certificate_data(user: UserData, run_key: str, *, mode: str = "verified", status: str = "downloadable") -> Any:
    return CertificateData(
        user=user,
        course=course_data(run_key),
        mode=mode,
        grade="0.9",
        download_url="",
        name=user.pii.name,
        current_status=status,
    )


def enrollment_data(user: UserData, run_key: str, *, mode: str = "verified", is_active: bool = True) -> Any:
    return CourseEnrollmentData(
        user=user, course=course_data(run_key), mode=mode, is_active=is_active, creation_date=datetime.now(UTC)
    )


def grade_data(lms_user_id: int, run_key: str, *, percent: float, passed: bool) -> Any:
    return PersistentCourseGradeData(
        user_id=lms_user_id,
        course=course_data(run_key),
        course_edited_timestamp=datetime.now(UTC),
        course_version="",
        grading_policy_hash="",
        percent_grade=percent,
        letter_grade="Pass" if passed else "",
        passed_timestamp=datetime.now(UTC) if passed else None,
    )


def catalog_data(run_key: str, *, name: str, start: datetime, end: datetime | None = None, hidden: bool = False) -> Any:
    return CourseCatalogData(
        course_key=CourseKey.from_string(run_key),
        name=name,
        schedule_data=CourseScheduleData(start=start, pacing="instructor", end=end),
        hidden=hidden,
    )


class LmsProducer:
    """Sends events to ``TOPIC`` with the real producer, as the LMS's openedx-events hook does."""

    def __init__(self) -> None:
        producer = create_producer()
        assert producer is not None, "EVENT_BUS_REDIS_CONNECTION_URL is not set"
        self.producer = producer
        self.redis = Redis.from_url(REDIS_URL)

    def send(
        self, signal: OpenEdxPublicSignal, *, at: datetime | None = None, event_id: UUID | None = None, **data: Any
    ) -> EventsMetadata:
        (name,) = data
        metadata = EventsMetadata(event_type=signal.event_type, id=event_id or uuid1(), time=at or datetime.now(UTC))
        self.producer.send(
            signal=signal, topic=TOPIC, event_key_field=EVENT_KEY_FIELDS[name], event_data=data, event_metadata=metadata
        )
        return metadata

    def send_raw(self, metadata: EventsMetadata, event_data: bytes) -> None:
        """A message with valid headers and a body that is not the event's Avro encoding."""
        self.redis.xadd(get_full_topic(TOPIC), {**get_headers_from_metadata(metadata), b"event_data": event_data})

    def stream_length(self) -> int:
        return int(self.redis.xlen(get_full_topic(TOPIC)))

    def group_state(self, group: str) -> dict[str, Any]:
        """``pending`` (delivered, not acknowledged) and whether the group has read the whole stream."""
        full = get_full_topic(TOPIC)
        groups = {g["name"].decode(): g for g in self.redis.xinfo_groups(full)} if self.redis.exists(full) else {}
        info = groups.get(group)
        if info is None:
            return {"pending": 0, "read_all": False}
        last = self.redis.xinfo_stream(full)["last-generated-id"]
        return {"pending": int(info["pending"]), "read_all": info["last-delivered-id"] == last}

    def drop(self) -> None:
        self.redis.delete(get_full_topic(TOPIC))


_consumers: list[Any] = []


def recorded_consumer_create(**kwargs: Any) -> Any:
    """The real consumer ``EVENT_BUS_CONSUMER`` builds, remembered so that a test can stop its loop."""
    from events.bus import redis_consumer_create

    consumer = redis_consumer_create(**kwargs)
    _consumers.append(consumer)
    return consumer


def consume_until_caught_up(lms: LmsProducer, group: str, *, timeout: float = 30) -> None:
    """Run ``manage.py consume_events`` in this (main) thread until the group has read and acknowledged all.

    The Redis consumer times its calls with SIGALRM, so it must run in the main thread; a watcher
    thread stops its loop (the library's own ``_shut_down``) once the group is caught up, or at the
    timeout.
    """
    from django.core.management import call_command

    _consumers.clear()
    done = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done.is_set():
            state = lms.group_state(group)
            if state["read_all"] and state["pending"] == 0:
                break
            time.sleep(0.05)
        while not _consumers and time.monotonic() < deadline + 5:
            time.sleep(0.05)
        for consumer in _consumers:
            consumer._shut_down()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        call_command("consume_events", "-t", TOPIC, "-g", group)
    finally:
        done.set()
        watcher.join(timeout=10)
