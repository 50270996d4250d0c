"""The event bus consumer: mixed LMS/Studio events produced to Redis, consumed by ``consume_events``.

Figures: events per second through the real consumer (Redis Streams, Avro, the receivers and the
writers; ``EVENT_BUS_BATCH_SIZE`` events per transaction), CPU seconds per 1,000 events of the
consumer (``time.process_time``) and of its PostgreSQL backend (``/proc/PID/stat`` when the database
runs on this machine), so that a figure taken on a loaded machine can be judged; the consumer's RSS
growth across the run; and a replay of the whole stream (a new consumer group reads it from the
start) that must change no row. ``BENCH_EVENTS`` sets the number of events (default 5,000, a few
minutes here; the issue's figure is for 100,000); ``EVENT_BUS_REDIS_CONNECTION_URL`` the Redis
(default ``redis://127.0.0.1:6379/0``, a topic of its own, deleted afterwards). On PostgreSQL:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/cs_bench BENCH_EVENTS=100000 .venv/bin/python bench/run.py events``.

Measured (2 cores, load average under 1, PostgreSQL 15, 100,000 events, batches of 200, d123310):
1,624 events/s, CPU per 1,000 events 0.49 s consumer + 0.11 s backend; replay 4,496 events/s; RSS
growth 1.5 MB. Before the batch writes (events.batches; 314ccd8, 2,000 events): 138 events/s, 5.20 s +
1.53 s. See docs/performance.rst, "Event consumption", and docs/decisions/0011.
"""

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.management import call_command
from django.db.models import Max

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
LEARNERS = EVENTS // 20 + 1  # not a multiple of 10: every learner sees every kind of event
RUNS = 20
TOPIC = "bench-learning"


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds() -> tuple[float, float | None]:
    """CPU seconds used so far by this process and by its PostgreSQL backend (None when not readable here)."""
    from django.db import connection

    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        except OSError:
            backend = None  # the database runs on another machine
    return time.process_time(), backend


def _fingerprint() -> dict[str, Any]:
    from credentials_status.models import CourseRunCredential, Grade
    from enrollments.models import Enrollment
    from events.models import AppliedEvent
    from programs.models import CourseRun

    return {
        model.__name__: (model.objects.count(), model.objects.aggregate(last=Max("modified"))["last"])
        for model in (CourseRunCredential, Grade, Enrollment, CourseRun)
    } | {"AppliedEvent": AppliedEvent.objects.count()}


def _events(run_keys: list[str]) -> Any:
    """Mixed events as the LMS and Studio send them, in time order with some arriving late."""
    from opaque_keys.edx.keys import CourseKey
    from openedx_events.content_authoring.data import CourseCatalogData, CourseScheduleData
    from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED
    from openedx_events.learning.data import (
        CertificateData,
        CourseData,
        CourseEnrollmentData,
        PersistentCourseGradeData,
        UserData,
        UserPersonalData,
    )
    from openedx_events.learning.signals import (
        CERTIFICATE_CREATED,
        CERTIFICATE_REVOKED,
        COURSE_ENROLLMENT_CHANGED,
        COURSE_ENROLLMENT_CREATED,
        PERSISTENT_GRADE_SUMMARY_CHANGED,
    )

    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(EVENTS):
        learner = i % LEARNERS
        run_key = run_keys[(i // LEARNERS + learner) % len(run_keys)]
        course = CourseData(course_key=CourseKey.from_string(run_key))
        user = UserData(
            id=100_000 + learner,
            is_active=True,
            pii=UserPersonalData(username=f"bench{learner}", email=f"bench{learner}@example.com", name=""),
        )
        at = start + timedelta(seconds=i) - timedelta(seconds=30 if i % 50 == 0 else 0)  # 2% late by 30 s
        kind = i % 10
        if kind < 4:
            signal = COURSE_ENROLLMENT_CREATED if kind < 2 else COURSE_ENROLLMENT_CHANGED
            data = {
                "enrollment": CourseEnrollmentData(
                    user=user, course=course, mode="verified", is_active=kind != 3, creation_date=at
                )
            }
        elif kind < 7:
            signal = CERTIFICATE_REVOKED if kind == 6 and i % 7 == 0 else CERTIFICATE_CREATED
            data = {
                "certificate": CertificateData(
                    user=user,
                    course=course,
                    mode="verified",
                    grade="0.9",
                    download_url="",
                    name="",
                    current_status="notpassing" if signal is CERTIFICATE_REVOKED else "downloadable",
                )
            }
        elif kind < 9:
            signal = PERSISTENT_GRADE_SUMMARY_CHANGED
            data = {
                "grade": PersistentCourseGradeData(
                    user_id=100_000 + learner,
                    course=course,
                    course_edited_timestamp=at,
                    course_version="",
                    grading_policy_hash="",
                    # openedx-events 10.5's Avro schema cannot carry passed_timestamp=None: only passing
                    # grades cross the bus.
                    percent_grade=0.5 + (i % 50) / 100,
                    letter_grade="Pass",
                    passed_timestamp=at,
                )
            }
        else:
            signal = COURSE_CATALOG_INFO_CHANGED
            data = {
                "catalog_info": CourseCatalogData(
                    course_key=CourseKey.from_string(run_key),
                    name=f"Run {i}",
                    schedule_data=CourseScheduleData(start=start, pacing="self"),
                )
            }
        yield signal, data, at


def _consume(group: str) -> tuple[float, float, float | None]:
    """Run ``consume_events`` in this thread until the group has read and acknowledged the stream.

    Returns the seconds taken, the CPU seconds of this process and those of its PostgreSQL backend
    (``None`` when it cannot be read), per 1,000 events.
    """
    from edx_event_bus_redis.internal.config import get_full_topic
    from redis import Redis

    import events.bus as bus

    redis = Redis.from_url(settings.EVENT_BUS_REDIS_CONNECTION_URL)
    stream = get_full_topic(TOPIC)
    consumers: list[Any] = []
    original = bus.redis_consumer_create

    def recorded(**kwargs: Any) -> Any:
        consumer = original(**kwargs)
        consumers.append(consumer)
        return consumer

    def watch() -> None:
        last = redis.xinfo_stream(stream)["last-generated-id"]
        while True:
            groups = {g["name"].decode(): g for g in redis.xinfo_groups(stream)}
            info = groups.get(group)
            if info is not None and info["last-delivered-id"] == last and int(info["pending"]) == 0:
                break
            time.sleep(0.2)
        for consumer in consumers:
            consumer._shut_down()

    bus.redis_consumer_create = recorded  # type: ignore[assignment]
    settings.EVENT_BUS_CONSUMER = "events.bus.redis_consumer_create"
    watcher = threading.Thread(target=watch, daemon=True)
    cpu_before, backend_before = _cpu_seconds()
    started = time.perf_counter()
    watcher.start()
    try:
        call_command("consume_events", "-t", TOPIC, "-g", group)
    finally:
        bus.redis_consumer_create = original  # type: ignore[assignment]
    watcher.join()
    # The loop notices the stop at its next poll (up to EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT seconds).
    seconds = time.perf_counter() - started - float(settings.EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT) / 2
    cpu_after, backend_after = _cpu_seconds()
    backend = None if backend_before is None or backend_after is None else backend_after - backend_before
    per_thousand = 1000 / EVENTS
    return seconds, (cpu_after - cpu_before) * per_thousand, None if backend is None else backend * per_thousand


def run() -> list[str]:
    settings.EVENT_BUS_REDIS_CONNECTION_URL = os.environ.get(
        "EVENT_BUS_REDIS_CONNECTION_URL", settings.EVENT_BUS_REDIS_CONNECTION_URL or "redis://127.0.0.1:6379/0"
    )
    settings.EVENT_BUS_TOPIC_PREFIX = f"cs-bench-{uuid4().hex[:12]}"
    from edx_event_bus_redis import create_producer
    from edx_event_bus_redis.internal import producer as producer_module
    from edx_event_bus_redis.internal.config import get_full_topic
    from openedx_events.data import EventsMetadata
    from redis import Redis

    from programs.services import course_run_upsert

    producer_module.STREAM_MAX_LEN = EVENTS * 2  # the LMS's trimming must keep the whole run
    run_keys = [f"course-v1:BenchX+Course{n}+1T2026" for n in range(RUNS)]
    for key in run_keys:
        course_run_upsert(key=key, title=key)
    producer = create_producer()
    assert producer is not None
    produced = time.perf_counter()
    for signal, data, at in _events(run_keys):
        (name,) = data
        producer.send(
            signal=signal,
            topic=TOPIC,
            event_key_field="catalog_info.course_key" if name == "catalog_info" else f"{name}.course.course_key",
            event_data=data,
            event_metadata=EventsMetadata(event_type=signal.event_type, time=at),
        )
    produced = time.perf_counter() - produced
    redis = Redis.from_url(settings.EVENT_BUS_REDIS_CONNECTION_URL)
    stream = get_full_topic(TOPIC)
    try:
        assert redis.xlen(stream) == EVENTS, redis.xlen(stream)
        rss_before = _rss_mb()
        seconds, cpu, backend_cpu = _consume("bench")
        rss_after = _rss_mb()
        applied = _fingerprint()
        replay_seconds, replay_cpu, replay_backend_cpu = _consume("bench-replay")
        replayed = _fingerprint()
    finally:
        redis.delete(stream)
    assert applied["AppliedEvent"] > 0
    return [
        f"{EVENTS:,} mixed events ({LEARNERS:,} learners, {RUNS} runs; enrollments, certificates, grades, catalog) "
        f"produced in {produced:.1f} s",
        f"consumed by consume_events in {seconds:.1f} s: {EVENTS / seconds:,.0f} events/s "
        f"(target at least 1,000/s on PostgreSQL; batches of {settings.EVENT_BUS_BATCH_SIZE})",
        f"CPU per 1,000 events: consumer {cpu:.2f} s, database backend {_seconds(backend_cpu)} "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
        f"consumer RSS {rss_before:.0f} MB -> {rss_after:.0f} MB: growth {rss_after - rss_before:.1f} MB (target < 50)",
        "records: "
        + ", ".join(f"{name} {value[0] if isinstance(value, tuple) else value}" for name, value in applied.items()),
        f"replay of the whole stream by a new group in {replay_seconds:.1f} s "
        f"({EVENTS / replay_seconds:,.0f} events/s; CPU per 1,000: consumer {replay_cpu:.2f} s, "
        f"backend {_seconds(replay_backend_cpu)}): rows and last-modified times unchanged: {replayed == applied}",
    ]


def _seconds(value: float | None) -> str:
    return "n/a (not on this machine)" if value is None else f"{value:.2f} s"
