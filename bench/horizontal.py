"""`make bench-horizontal`: one worker process against two on the same queued work (Celery, the event bus).

The work, queued through RabbitMQ exactly as the web processes queue it, before any worker starts:

* **notification**: ``credit.eligibility_email_send`` for ``--emails`` credit eligibilities, one task
  each (a read of the eligibility, its learner and course, a rendered mail written by Django's
  file-based mail backend, so the whole task runs without a mail server);
* **realise**: ``enrollments.pending_enrollments_realize`` for ``--learners`` learners who just
  appeared, each holding ``--runs`` pending enrollments, 10 learners per task as the receivers queue
  them (the work a program sync or an LMS event leaves behind: enrollments created, pending rows
  deleted, history written).

For each worker count asked for (``--workers 1,2``), ``--rounds`` times alternately, the database is
refilled, the tasks queued, then that many ``celery worker --concurrency 1`` processes start together;
the figure is the wall time from their start until the work is done (every mail file written; every
pending row realised; the group caught up with the stream, timed from the group's creation so that
Django's start is not counted), tasks per second, and the CPU seconds per 1,000 tasks spent by the worker
processes (``/proc``: each worker's main process and its pool child) and by the PostgreSQL server (its
processes, those that exited during the run included), so that a figure taken
on a loaded machine can be judged. On 2 cores two workers can at most double the rate; the CPU per
task says what more machines would give (docs/scaling.rst).

Needs PostgreSQL (``BENCH_HORIZONTAL_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/cs_bench_horizontal``, created when missing) and RabbitMQ
(``BENCH_HORIZONTAL_BROKER_URL``, default ``amqp://guest:guest@127.0.0.1:5672//``; the tasks go to a
queue of their own, ``bench-horizontal``, purged first); the events workload Redis
(``EVENT_BUS_REDIS_CONNECTION_URL``, default ``redis://127.0.0.1:6379/0``, a stream of its own, deleted
afterwards). Not part of CI. ``--workloads events --events 20000`` runs only the event consumers.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_HORIZONTAL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cs_bench_horizontal")
BROKER_URL = os.environ.get("BENCH_HORIZONTAL_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
MAIL_DIR = Path(tempfile.gettempdir()) / "credentials-status-bench-mail"
TASKS_PER_REALISE = 10
TIMEOUT_SECONDS = 1800
EVENT_TOPIC = "bench-horizontal-learning"

os.environ.update(
    DATABASE_URL=DATABASE_URL,
    CELERY_BROKER_URL=BROKER_URL,
    BENCH_EMAIL_DIR=str(MAIL_DIR),
    DJANGO_SETTINGS_MODULE="bench.horizontal_settings",
    EVENT_BUS_TOPIC_PREFIX=f"cs-bench-horizontal-{uuid4().hex[:12]}",
    EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT="1",  # a stopped consumer's loop notices at its next poll
)
os.environ.setdefault("EVENT_BUS_REDIS_CONNECTION_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Result:
    workload: str
    workers: int
    tasks: int
    wall: float
    worker_cpu: float
    database_cpu: float

    @property
    def per_second(self) -> float:
        return self.tasks / self.wall

    def cpu_per_thousand(self, cpu: float) -> float:
        return cpu / self.tasks * 1000


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first); [] once it has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process, 0 once it has gone."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a Celery worker and its prefork pool)."""
    found = [pid]
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for child_pid in child.read_text().split():
            found += _tree(int(child_pid))
    return found


def _database_server_cpu() -> float:
    """CPU seconds the PostgreSQL server has used so far, backends that have exited included.

    Workers' backends come and go between two looks at ``pg_stat_activity``; the postmaster reaps
    each one, and ``/proc`` then counts its CPU in the postmaster's children's time. So the server's
    CPU is the postmaster's own and reaped children's time plus its live processes' time (the whole
    server: on this machine nothing else uses it during the benchmark but this process's polling).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    postmaster = int(_stat(backend)[1])
    fields = _stat(postmaster)
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    seconds = ticks / os.sysconf("SC_CLK_TCK")
    return seconds + sum(_cpu_seconds(pid) for pid in _tree(postmaster)[1:])


def _fill(emails: int, learners: int, runs: int) -> tuple[list[int], list[int]]:
    """Empty the tables the tasks touch and fill them; returns (eligibility ids, learner ids)."""
    from django.utils import timezone

    from core.models import User
    from credit.models import CreditCourse, CreditEligibility
    from enrollments.models import Enrollment, PendingEnrollment
    from programs.models import Course, CourseRun, Organization

    Enrollment.objects.all().delete()
    Enrollment.history.all().delete()
    PendingEnrollment.objects.all().delete()
    PendingEnrollment.history.all().delete()
    CreditEligibility.objects.all().delete()
    User.objects.filter(username__startswith="horizontal_").delete()

    org, _ = Organization.objects.get_or_create(key="HorizontalX")
    course, _ = Course.objects.get_or_create(key="HorizontalX+Bench", defaults={"organization": org})
    course_runs = [
        CourseRun.objects.get_or_create(key=f"course-v1:HorizontalX+Bench+{n}T2026", defaults={"course": course})[0]
        for n in range(runs)
    ]
    credit_course, _ = CreditCourse.objects.get_or_create(course_key="course-v1:HorizontalX+Bench+0T2026")
    people = User.objects.bulk_create(
        User(username=f"horizontal_{n}", email=f"horizontal_{n}@example.com", full_name=f"Learner {n}")
        for n in range(max(emails, learners))
    )
    deadline = timezone.now() + timedelta(days=365)
    eligibilities = CreditEligibility.objects.bulk_create(
        CreditEligibility(learner=person, course=credit_course, deadline=deadline) for person in people[:emails]
    )
    PendingEnrollment.objects.bulk_create(
        PendingEnrollment(email=person.email, course_run=run, mode="verified")
        for person in people[:learners]
        for run in course_runs
    )
    return [e.pk for e in eligibilities], [person.pk for person in people[:learners]]


def _mails_written() -> int:
    """Messages in the mail directory: the file backend names its files by second and object id, so two
    tasks may share one file; each message ends with a line of 79 dashes."""
    return sum(path.read_text().count("\n" + "-" * 79 + "\n") for path in MAIL_DIR.iterdir())


def _queue(workload: str, eligibility_ids: list[int], learner_ids: list[int]) -> tuple[int, Callable[[], bool]]:
    """Queue the workload's tasks; returns how many, and a check that says when their work is done."""
    from credit.tasks import credit_eligibility_email_send_task
    from enrollments.models import PendingEnrollment
    from enrollments.tasks import pending_enrollments_realize_task

    if workload == "notification":
        for pk in eligibility_ids:
            credit_eligibility_email_send_task.delay(pk)
        return len(eligibility_ids), lambda: _mails_written() >= len(eligibility_ids)
    batches = [learner_ids[i : i + TASKS_PER_REALISE] for i in range(0, len(learner_ids), TASKS_PER_REALISE)]
    for batch in batches:
        pending_enrollments_realize_task.delay(learner_ids=batch)
    return len(batches), lambda: not PendingEnrollment.objects.exists()


def _events_produce(count: int) -> int:
    """Produce the events workload's stream once (every measurement reads it with a new group)."""
    os.environ["BENCH_EVENTS"] = str(count)  # read by bench_events at import
    from edx_event_bus_redis import create_producer
    from edx_event_bus_redis.internal import producer as producer_module
    from openedx_events.data import EventsMetadata

    from bench import bench_events

    producer_module.STREAM_MAX_LEN = count * 2  # the LMS's trimming must keep the whole run
    producer = create_producer()
    assert producer is not None
    produced = 0
    for signal, data, at in bench_events._events(_event_run_keys()):
        (name,) = data
        key_field = "catalog_info.course_key" if name == "catalog_info" else f"{name}.course.course_key"
        metadata = EventsMetadata(event_type=signal.event_type, time=at)
        producer.send(
            signal=signal, topic=EVENT_TOPIC, event_key_field=key_field, event_data=data, event_metadata=metadata
        )
        produced += 1
    return produced


def _event_run_keys() -> list[str]:
    from bench import bench_events

    return [f"course-v1:BenchX+Course{n}+1T2026" for n in range(bench_events.RUNS)]


def _events_reset() -> None:
    """An empty database but for the runs the events name (as bench_events starts)."""
    from django.core.management import call_command

    from programs.services import course_run_upsert

    call_command("flush", interactive=False, verbosity=0)
    for key in _event_run_keys():
        course_run_upsert(key=key, title=key)


def _stream_state(group: str) -> tuple[bool, bool]:
    """(the group exists, it has read and acknowledged the whole stream)."""
    from django.conf import settings
    from edx_event_bus_redis.internal.config import get_full_topic
    from redis import Redis

    redis = Redis.from_url(settings.EVENT_BUS_REDIS_CONNECTION_URL)
    stream = get_full_topic(EVENT_TOPIC)
    groups = {g["name"].decode(): g for g in redis.xinfo_groups(stream)}
    info = groups.get(group)
    if info is None:
        return False, False
    last = redis.xinfo_stream(stream)["last-generated-id"]
    return True, info["last-delivered-id"] == last and int(info["pending"]) == 0


def _records() -> dict[str, Any]:
    """What the consumers left: each record's state and the time of the change that made it."""
    from credentials_status.models import CourseRunCredential, Grade
    from enrollments.models import Enrollment
    from events.models import AppliedEvent
    from programs.models import CourseRun

    def rows(model: Any, *fields: str) -> list[tuple[Any, ...]]:
        return sorted(model.objects.values_list("learner__username", "course_run__key", *fields, "source_time"))

    return {
        "credentials": rows(CourseRunCredential, "status", "type"),
        "enrollments": rows(Enrollment, "mode", "is_active"),
        "grades": rows(Grade, "percent_grade"),
        "runs": sorted(CourseRun.objects.values_list("key", "title", "hidden", "catalog_event_time")),
        "recorded": AppliedEvent.objects.values("event_id").distinct().count(),
    }


def _stop(processes: list[subprocess.Popen[bytes]], log: Any) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)
    log.close()


def _differences(reference: dict[str, Any], records: dict[str, Any]) -> str:
    """``same``, or how many rows of each record kind differ from the reference (either side)."""
    differing = {
        name: len(set(reference[name]) ^ set(records[name]))
        for name in reference
        if name != "recorded" and reference[name] != records[name]
    }
    return "same" if not differing else "differ (" + ", ".join(f"{n} {k}" for k, n in differing.items()) + " rows)"


def _events_measure(workers: int, events: int) -> tuple[Result, dict[str, Any], dict[str, int]]:
    """``workers`` consume_events processes of a new group; the result, the records and the log's counts."""
    _events_reset()
    group = f"bench-{workers}-{uuid4().hex[:8]}"
    log_path = Path(tempfile.gettempdir()) / f"bench-horizontal-events-{workers}.log"
    log = open(log_path, "w")  # noqa: SIM115
    command = [sys.executable, "manage.py", "consume_events", "-t", EVENT_TOPIC, "-g", group, "--extra"]
    processes = [
        subprocess.Popen(  # noqa: S603 (this project's own command)
            [*command, json.dumps({"consumer_name": f"bench{n}"})],
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        for n in range(workers)
    ]
    spawned = time.perf_counter()
    try:
        while not _stream_state(group)[0]:  # Django's start, not timed
            if time.perf_counter() - spawned > 120:
                raise RuntimeError(f"no consumer joined {group} in 120 s: see {log_path}")
            time.sleep(0.05)
        started = time.perf_counter()
        cpu_before = {process.pid: _cpu_seconds(process.pid) for process in processes}
        database_before = _database_server_cpu()
        while not _stream_state(group)[1]:  # the consumers run until stopped: their CPU is read once, at the end
            if time.perf_counter() - started > TIMEOUT_SECONDS:
                raise RuntimeError(f"{workers} consumers not done after {TIMEOUT_SECONDS} s")
            time.sleep(0.1)
        wall = time.perf_counter() - started
        cpu_after = {process.pid: _cpu_seconds(process.pid) for process in processes}
        database_cpu = _database_server_cpu() - database_before
    finally:
        _stop(processes, log)
    text = log_path.read_text()
    counts = {name: text.count(name) for name in ("event_batch_held_for_database", "event_batch_written_one_by_one")}
    worker_cpu = sum(cpu_after[pid] - cpu_before[pid] for pid in cpu_before)
    return Result("events", workers, events, wall, worker_cpu, database_cpu), _records(), counts


def _measure(workload: str, workers: int, args: argparse.Namespace) -> Result:
    from settings.celery import app

    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    MAIL_DIR.mkdir(parents=True)
    eligibility_ids, learner_ids = _fill(
        args.emails if workload == "notification" else 0, args.learners if workload == "realise" else 0, args.runs
    )
    queue_name = app.conf.task_default_queue  # bench.horizontal_settings: a queue of the benchmark's own
    with app.connection_for_write() as conn:
        queue = app.amqp.queues[queue_name](conn.default_channel)
        queue.declare()
        queue.purge()
    tasks, done = _queue(workload, eligibility_ids, learner_ids)
    log = open(Path(tempfile.gettempdir()) / f"bench-horizontal-worker-{workload}-{workers}.log", "w")  # noqa: SIM115
    command = [sys.executable, "-m", "celery", "-A", "settings.celery", "worker", "--concurrency", "1"]
    command += ["--queues", queue_name, "--without-gossip", "--without-mingle", "--without-heartbeat"]
    database_before = _database_server_cpu()
    started = time.perf_counter()
    processes = [
        subprocess.Popen(  # noqa: S603 (this module's own command)
            [*command, "--hostname", f"bench{n}@%h"], cwd=ROOT, stdout=log, stderr=log
        )
        for n in range(workers)
    ]
    worker_cpu: dict[int, float] = {}  # last seen, per process: a pool child may be replaced mid-run
    try:
        while True:
            for process in processes:
                for pid in _tree(process.pid):
                    worker_cpu[pid] = _cpu_seconds(pid)
            if done():
                break
            if time.perf_counter() - started > TIMEOUT_SECONDS:
                raise RuntimeError(f"{workload} with {workers} workers not done after {TIMEOUT_SECONDS} s")
            time.sleep(0.2)
        wall = time.perf_counter() - started
        database_cpu = _database_server_cpu() - database_before
    finally:
        _stop(processes, log)
    return Result(workload, workers, tasks, wall, sum(worker_cpu.values()), database_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (default 1,2)")
    parser.add_argument("--workloads", default="notification,realise,events")
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="pending enrollments per learner")
    parser.add_argument("--events", type=int, default=20000, help="events of the events workload")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="workers open a new database connection for every task (Celery's default without CELERY_DB_REUSE_MAX)",
    )
    args = parser.parse_args()
    if args.reconnect:
        os.environ["BENCH_RECONNECT"] = "1"

    from bench.util import postgres_database_create

    postgres_database_create(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    results: list[Result] = []
    counts = [int(n) for n in args.workers.split(",")]
    for workload in args.workloads.split(","):
        if workload == "events":
            produced = _events_produce(args.events)
            reference: dict[str, Any] | None = None
        for round_ in range(args.rounds):
            for workers in counts if round_ % 2 == 0 else list(reversed(counts)):
                if workload == "events":
                    result, records, log_counts = _events_measure(workers, produced)
                    reference = reference or records
                    print(
                        f"events        workers={workers} round={round_ + 1}: every event recorded once: "
                        f"{records['recorded'] == produced}; records as the first measurement left them: "
                        f"{_differences(reference, records)}; batches held for the database "
                        f"{log_counts['event_batch_held_for_database']}, written one by one "
                        f"{log_counts['event_batch_written_one_by_one']}",
                        flush=True,
                    )
                else:
                    result = _measure(workload, workers, args)
                results.append(result)
                print(
                    f"{workload:13} workers={workers} round={round_ + 1}: {result.tasks} tasks in {result.wall:.1f} s "
                    f"({result.per_second:.1f}/s), CPU per 1,000 tasks: workers "
                    f"{result.cpu_per_thousand(result.worker_cpu):.1f} s, PostgreSQL "
                    f"{result.cpu_per_thousand(result.database_cpu):.1f} s",
                    flush=True,
                )
    print(f"\nMedians over {args.rounds} rounds (load average {os.getloadavg()[0]:.1f} at the end):")
    for workload in args.workloads.split(","):
        base = None
        for workers in counts:
            mine = [r for r in results if r.workload == workload and r.workers == workers]
            rate = statistics.median(r.per_second for r in mine)
            base = base or rate
            print(
                f"  {workload:13} workers={workers}: {rate:.1f} tasks/s ({rate / base:.2f}x), CPU per 1,000 tasks: "
                f"workers {statistics.median(r.cpu_per_thousand(r.worker_cpu) for r in mine):.1f} s, "
                f"PostgreSQL {statistics.median(r.cpu_per_thousand(r.database_cpu) for r in mine):.1f} s"
            )


if __name__ == "__main__":
    main()
