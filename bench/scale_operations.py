"""The operations bench/scale.py times, each for random generated learners (see that module)."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.contrib.auth.models import Group
from django.db.models import Count, Max, Min
from django.test import Client, override_settings
from django.utils import timezone

from bench.util import client_for
from core.models import User
from credentials_status.models import CourseRunCredential
from privacy.services import learner_retire
from programs.models import Course, CourseRun, Program, ProgramSource
from scale.dataset import generated_learners

READER = "bench-scale-reader"
ADMIN = "bench-scale-admin"
BULK_ITEMS = 1_000
ENROLL_LEARNERS, ENROLL_RUNS = 500, 10  # bulk enrollment of 5,000 pairs
EVENT_BATCH = 200  # EVENT_BUS_BATCH_SIZE's default

Call = Callable[[], object]


@dataclass
class Operations:
    learner_count: int
    items: list[tuple[str, list[Call], Call]] = field(default_factory=list)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response


def operations(rng: random.Random, calls: int) -> Operations:
    bounds = generated_learners().aggregate(low=Min("id"), high=Max("id"), n=Count("id"))
    if not bounds["n"]:
        raise SystemExit("No generated learners here: run generate_scale_dataset first.")
    learner_ids = rng.sample(range(bounds["low"], bounds["high"] + 1), min(bounds["n"], calls * 4 + 2))
    learners = list(User.objects.filter(id__in=learner_ids, retired_at=None).order_by("id"))
    rng.shuffle(learners)
    courses_of = _course_uuids(learners)
    all_courses = [str(u) for u in Course.objects.values_list("uuid", flat=True)[:5_000]]

    reader, _ = User.objects.get_or_create(username=READER, defaults={"is_staff": True})
    reader.groups.add(Group.objects.get_or_create(name="learner_status_readers")[0])
    admin, _ = User.objects.get_or_create(username=ADMIN, defaults={"is_staff": True, "is_superuser": True})
    api = client_for(READER, administrator=True)
    console, admin_site = Client(), Client()
    console.force_login(reader)
    admin_site.force_login(admin)

    program = Program.objects.annotate(n=Count("program_courses")).filter(n__lte=30).order_by("-n", "id").first()
    assert program is not None

    def cert_status(learner: User, extra: int) -> Call:
        own = courses_of.get(learner.id, [])
        others = [c for c in rng.sample(all_courses, min(len(all_courses), extra + len(own))) if c not in own]
        body = {"username": learner.username, "courses": own + others[:extra]}
        return lambda: _ok(api.post("/api/credentials/v1/learner_cert_status/", body, format="json"))

    def bulk(batch: list[User]) -> Call:
        courses = _course_uuids(batch)
        # At most ten courses each: the endpoint takes 10,000 in all, and a data set benchmarked again holds
        # the enrollments earlier runs added.
        body = [{"username": u.username, "courses": courses[u.id][:10]} for u in batch if u.id in courses]
        return lambda: _ok(api.post("/api/credentials/v1/bulk_learner_cert_status/", body, format="json"))

    def program_status(learner: User) -> Call:
        body = {"username": learner.username, "program_uuid": str(program.uuid)}
        return lambda: _ok(api.post("/api/credentials/v1/learner_program_status/", body, format="json"))

    def programs_list(learner: User) -> Call:
        return lambda: _ok(api.get(f"/api/credentials/v1/learners/{learner.username}/programs/"))

    def search(text: str) -> Call:
        return lambda: _ok(console.post("/support/", {"q": text}))

    def learner_page(learner: User) -> Call:
        return lambda: _ok(console.get(f"/support/learners/{learner.username}/"))

    def admin_search(path: str, text: str) -> Call:
        return lambda: _ok(admin_site.get(path, {"q": text}))

    def bulk_enroll(batch: list[User], run_keys: list[str]) -> Call:
        pairs = [{"email": u.email, "course_run_key": key} for u in batch for key in run_keys]
        body = {"enrollments_info": pairs, "notify": False}

        def call() -> object:
            with override_settings(ENROLLMENT_BACKEND="local"):
                response = api.post("/api/enrollments/v1/bulk_enroll/", body, format="json")
            assert response.status_code in (201, 202), response.content[:300]  # 202: some pairs pending
            return response

        return call

    def events(batch: list[User], run_keys: list[str]) -> Call:
        return _event_batch(batch, run_keys)

    def retire(learner: User) -> Call:
        return lambda: learner_retire(
            lms_user_id=learner.lms_user_id, original_username=learner.username, retired_by="scale benchmark"
        )

    sample = learners[:calls]
    first = sample[0]
    open_runs = CourseRun.objects.filter(end__gt=timezone.now(), removed_at=None).order_by("?")
    run_keys = list(open_runs.values_list("key", flat=True)[: ENROLL_RUNS * 4])
    enroll_batches = [
        (batch, run_keys[n * ENROLL_RUNS : (n + 1) * ENROLL_RUNS])
        for n, batch in enumerate(_learner_batches(rng, bounds["low"], bounds["high"], ENROLL_LEARNERS, 4))
    ]
    bulk_learners = _bulk_learners(rng, bounds["low"], bounds["high"])
    event_learners = _learner_batches(rng, bounds["low"], bounds["high"], EVENT_BATCH, calls + 1)
    ops = Operations(learner_count=bounds["n"])
    ops.items = [
        ("learner_cert_status C=10", [cert_status(u, 0) for u in sample], cert_status(first, 0)),
        ("learner_cert_status C=200", [cert_status(u, 190) for u in sample], cert_status(first, 190)),
        (f"bulk_learner_cert_status {BULK_ITEMS} items", [bulk(b) for b in bulk_learners[1:]], bulk(bulk_learners[0])),
        (
            f"learner_program_status {program.program_courses.count()} courses",
            [program_status(u) for u in sample],
            program_status(first),
        ),
        ("learners/{username}/programs/", [programs_list(u) for u in sample], programs_list(first)),
        ("support search: username", [search(u.username) for u in sample], search(first.username)),
        ("support search: email prefix", [search(u.email.split("@")[0][:-1]) for u in sample], search(first.email[:9])),
        (
            # The same answer at every size (one learner): the prefix up to the "@". A nine-character prefix
            # finds about a hundred learners at a million and one at a thousand (docs/performance.rst).
            "support search: email prefix, one learner",
            [search(u.email.split("@")[0] + "@") for u in sample],
            search(first.email.split("@")[0] + "@"),
        ),
        ("support search: LMS user id", [search(str(u.lms_user_id)) for u in sample], search(str(first.lms_user_id))),
        ("support learner page", [learner_page(u) for u in sample], learner_page(first)),
        (
            "admin users: search username",
            [admin_search("/admin/core/user/", u.username) for u in sample],
            admin_search("/admin/core/user/", first.username),
        ),
        (
            "admin credentials: search username",
            [admin_search("/admin/credentials_status/courseruncredential/", u.username) for u in sample],
            admin_search("/admin/credentials_status/courseruncredential/", first.username),
        ),
        (
            "admin enrollments: search username",
            [admin_search("/admin/enrollments/enrollment/", u.username) for u in sample],
            admin_search("/admin/enrollments/enrollment/", first.username),
        ),
        # Cold: 5,000 new pairs each time (new learners, new runs); warm: the same request again (a replay).
        (
            f"bulk enrollment {ENROLL_LEARNERS * ENROLL_RUNS:,} pairs",
            [bulk_enroll(*b) for b in enroll_batches[1:]],
            bulk_enroll(*enroll_batches[0]),
        ),
        # Cold: a consumer batch for new learners each time; warm: new events for the same learners.
        (
            f"event consumer batch of {EVENT_BATCH} events",
            [events(b, run_keys) for b in event_learners[1:]],
            events(event_learners[0], run_keys),
        ),
        # Each retirement takes a learner of its own (the last ones of the sample), warm ones too.
        ("retirement of one learner", [retire(u) for u in learners[calls : calls * 2]], _each(
            [retire(u) for u in learners[calls * 2 : calls * 4]]
        )),
    ]  # fmt: skip
    return ops


def _event_batch(batch: list[User], run_keys: list[str]) -> Call:
    """One batch of the event consumer, applied as ``events.bus`` applies one read from the bus (without
    Redis and Avro, whose cost does not grow with the data): an enrollment, a certificate and a grade
    event in turn, one per learner, on open runs. Each call sends new events, later than the last."""
    from itertools import count

    from openedx_events.learning.signals import (
        CERTIFICATE_CREATED,
        COURSE_ENROLLMENT_CHANGED,
        PERSISTENT_GRADE_SUMMARY_CHANGED,
    )

    from events.facts import EventRef
    from events.services import certificate_event_apply, enrollment_event_apply, event_batch, grade_event_apply
    from tests.events.lms import certificate_data, enrollment_data, grade_data, user_data

    calls = count()

    def event(n: int, learner: User) -> tuple[Callable[..., object], str, object, str]:
        """(applier, its data's argument name, the data, the event type) of the learner's event."""
        run_key = run_keys[n % len(run_keys)]
        user = user_data(lms_user_id=learner.lms_user_id, username=learner.username, email=learner.email)  # type: ignore[arg-type]
        if n % 3 == 0:
            return (
                enrollment_event_apply,
                "enrollment",
                enrollment_data(user, run_key),
                COURSE_ENROLLMENT_CHANGED.event_type,
            )
        if n % 3 == 1:
            return (
                certificate_event_apply,
                "certificate",
                certificate_data(user, run_key),
                CERTIFICATE_CREATED.event_type,
            )
        grade = grade_data(learner.lms_user_id, run_key, percent=0.9, passed=True)  # type: ignore[arg-type]
        return grade_event_apply, "grade", grade, PERSISTENT_GRADE_SUMMARY_CHANGED.event_type

    def call() -> object:
        at = timezone.now() + timedelta(seconds=next(calls))
        events = [event(n, learner) for n, learner in enumerate(batch)]
        refs = [EventRef(id=uuid4(), type=event_type, time=at) for *_, event_type in events]
        with event_batch(ref.id for ref in refs):
            for (apply, name, data, _), ref in zip(events, refs, strict=True):
                apply(event=ref, **{name: data})
        return None

    return call


def _each(calls: list[Call]) -> Call:
    """A call that runs the next of ``calls`` each time (for operations that cannot repeat on one learner)."""
    pending = list(calls)

    def call() -> object:
        return pending.pop()() if pending else None

    return call


def _course_uuids(learners: list[User]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for learner_id, uuid in CourseRunCredential.objects.filter(learner__in=learners).values_list(
        "learner_id", "course_run__course__uuid"
    ):
        if str(uuid) not in found.setdefault(learner_id, []):
            found[learner_id].append(str(uuid))
    return found


def _bulk_learners(rng: random.Random, low: int, high: int) -> list[list[User]]:
    """Four batches of BULK_ITEMS random learners (one warm, three cold)."""
    return _learner_batches(rng, low, high, BULK_ITEMS, 4)


def _learner_batches(rng: random.Random, low: int, high: int, size: int, count: int) -> list[list[User]]:
    size = min(size, high - low + 1)
    batches = []
    for _ in range(count):
        chosen = rng.sample(range(low, high + 1), size)
        learners = generated_learners().filter(id__in=chosen, retired_at=None)
        batch = list(learners.exclude(email=""))
        batches.append(batch)
    return batches


@dataclass
class SyncFigures:
    """One program sync into the generated database, timed as bench/scale.py times the other operations."""

    name: str
    wall_ms: float
    cpu_ms: float  # this process's and, on PostgreSQL on this machine, its server process's
    queries: int
    statements: list[tuple[str, tuple[object, ...]]]


def program_sync_growth(programs: int) -> list[SyncFigures]:
    """A first sync of bench_program_sync's catalog (``programs`` x 8 courses x 6 runs) and a re-sync.

    The catalog is served by that benchmark's fake Discovery, in its own process. The sync reads and
    writes catalog tables only; what it must not do is grow with the learners already stored (an
    exclusion's effect on learners, history, search). Afterwards the benchmark's programs and runs are
    deleted again, so that the next run's first sync is a first sync (their history rows stay).
    """
    import multiprocessing

    from django.conf import settings
    from django.db import connection, transaction

    import bench.bench_program_sync as sync_bench
    from bench.util import timed_cpu
    from programs.discovery import DiscoveryClient, DiscoveryConfig
    from programs.models import Organization
    from programs.sync import program_sync

    sync_bench.PROGRAMS = programs
    sync_bench.RESOURCES["courses"] = (programs * sync_bench.COURSES_PER_PROGRAM, sync_bench._course)
    sync_bench.RESOURCES["programs"] = (programs, sync_bench._program)
    runs = programs * sync_bench.COURSES_PER_PROGRAM * sync_bench.RUNS_PER_COURSE
    context = multiprocessing.get_context("fork")
    port_queue = context.Queue()
    server = context.Process(target=sync_bench._serve, args=(port_queue,), daemon=True)
    server.start()
    figures = []
    # The generated programs count as synced from Discovery: a sync that does not list them would
    # retire them all, which its guard refuses. They are local programs for the time of the benchmark.
    generated = list(Program.objects.filter(source=ProgramSource.DISCOVERY).values_list("pk", flat=True))
    Program.objects.filter(pk__in=generated).update(source=ProgramSource.LOCAL)
    try:
        base = f"http://127.0.0.1:{port_queue.get(timeout=10)}"
        config = DiscoveryConfig(
            api_url=f"{base}/api/v1/",
            oauth2_provider_url=base,
            client_id="bench",
            client_secret="bench",
            connect_timeout=5,
            read_timeout=60,
            page_size=sync_bench.PAGE_SIZE,
            include_restricted=tuple(settings.PROGRAM_SYNC_INCLUDE_RESTRICTED),
        )
        for name in (f"program sync {runs:,} runs: first sync", f"program sync {runs:,} runs: re-sync, no change"):
            statements: list[tuple[str, tuple[object, ...]]] = []

            def keep(execute, sql, params, many, context, statements=statements):  # type: ignore[no-untyped-def]
                statements.append((sql, tuple(params or ()) if not many else ()))
                return execute(sql, params, many, context)

            def sync() -> Any:
                with connection.execute_wrapper(keep):
                    return program_sync(client=DiscoveryClient(config), max_retire_fraction=0.1)

            wall, cpu, result = timed_cpu(sync)
            assert result.counts.course_runs_created in (0, runs), result.counts
            figures.append(SyncFigures(name, wall * 1000, cpu * 1000, len(statements), statements))
    finally:
        server.terminate()
        server.join(timeout=10)
        with transaction.atomic():
            bench_orgs = Organization.objects.filter(key__in=[f"Org{i}" for i in range(sync_bench.ORGS)])
            Program.objects.filter(
                uuid__in=[sync_bench.fake_uuid(f"bench-program:{i}") for i in range(programs)]
            ).delete()
            CourseRun.objects.filter(course__organization__in=bench_orgs).delete()
            Course.objects.filter(organization__in=bench_orgs).delete()
            Program.objects.filter(pk__in=generated).update(source=ProgramSource.DISCOVERY)
    return figures
