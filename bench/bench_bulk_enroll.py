"""Bulk enrollment: 1,000 and 5,000 pairs in one request (local backend), 1,000 pairs through a fake LMS.

Local: 100 and 500 learners x 10 runs, half of the emails unknown (-> pending), so the query count of
two sizes can be compared: it grows with the chunks of distinct learners and runs (2,000 values per
read) and the write batches, not with the pairs. Each timed call starts from no enrollments (rows
removed between calls, untimed); a replay of the same request is timed too.
LMS: a threaded HTTP server on 127.0.0.1 answering with the LMS's shapes (docs/lms-apis.rst) after 20 ms per call;
100 learners x 10 runs, half unknown (-> enrollment_allowed); the known ones are recorded here on the first call.

Each timed call also reports its CPU time: this process's (``time.process_time``: the request runs in
this process, test client, SQLite and database client alike) plus, on PostgreSQL on the same machine,
its server process's (``bench.util.timed_cpu``, 10 ms resolution). A machine shared with
other work disturbs it far less than wall time.
Options (environment): ``BENCH_BULK_LEARNERS=100,500`` the local sizes (learners; x 10 runs each),
``BENCH_BULK_REPEAT=3`` timed calls per size, ``BENCH_BULK_LMS=0`` to skip the fake-LMS part.
E.g. ``BENCH_BULK_LEARNERS=100 BENCH_BULK_REPEAT=7 BENCH_BULK_LMS=0 python bench/run.py bulk_enroll``
times 1,000 pairs seven times.
"""

import json
import multiprocessing
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.request import urlopen

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from edx_django_utils.cache import RequestCache

from bench.util import client_for, count_queries, timed_cpu
from core.models import User
from enrollments.models import Enrollment, PendingEnrollment
from programs.models import Course, CourseRun, Organization

URL = "/api/enrollments/v1/bulk_enroll/"
LOCAL_SIZES = tuple(int(size) for size in os.environ.get("BENCH_BULK_LEARNERS", "100,500").split(","))
LMS_LEARNERS, RUNS = 100, 10
REPEAT = int(os.environ.get("BENCH_BULK_REPEAT", "3"))
WITH_LMS = os.environ.get("BENCH_BULK_LMS", "1") != "0"
LMS_LATENCY_SECONDS = 0.020


def _runs(prefix: str) -> list[CourseRun]:
    org, _ = Organization.objects.get_or_create(key=prefix)
    courses = Course.objects.bulk_create(
        [Course(key=f"{prefix}+C{i}", organization=org, title=f"Course {i}") for i in range(RUNS)]
    )
    return CourseRun.objects.bulk_create(
        [CourseRun(key=f"course-v1:{prefix}+C{i}+1T2026", course=c, title=c.title) for i, c in enumerate(courses)]
    )


def _timed(call: Any) -> tuple[float, float, Any]:
    return timed_cpu(call)


def _local(learners: int) -> list[str]:
    runs = _runs(f"BulkBench{learners}")
    User.objects.bulk_create(
        [
            User(
                username=f"bulk{learners}_{i}",
                email=f"bulk{learners}_{i}@example.com",
                lms_user_id=learners * 10_000 + i,
            )
            for i in range(learners // 2)
        ]
    )
    emails = [f"bulk{learners}_{i}@example.com" for i in range(learners)]  # the second half is unknown
    body = {"enrollments_info": [{"email": e, "course_run_key": r.key} for e in emails for r in runs], "notify": False}
    client = client_for("bench_bulk_admin", administrator=True)
    run_ids = [r.pk for r in runs]

    def reset() -> None:
        Enrollment.objects.filter(course_run_id__in=run_ids).delete()
        PendingEnrollment.objects.filter(course_run_id__in=run_ids).delete()

    def call() -> Any:
        response = client.post(URL, body, format="json")
        assert response.status_code == 202, response.content[:300]
        return response

    call()  # warm-up (authenticates the admin, fills caches)
    fresh, fresh_cpu = [], []
    for _ in range(REPEAT):
        reset()
        seconds, cpu, _ = _timed(call)
        fresh.append(seconds)
        fresh_cpu.append(cpu)
    assert Enrollment.objects.filter(course_run_id__in=run_ids).count() == learners // 2 * RUNS
    replays = [_timed(call) for _ in range(REPEAT)]
    replay, replay_cpu = [wall for wall, _, _ in replays], [cpu for _, cpu, _ in replays]
    replay_queries = count_queries(call)
    reset()
    fresh_queries = count_queries(call)
    pairs = len(body["enrollments_info"])
    return [
        f"local backend: {pairs} pairs ({learners} learners x {RUNS} runs, half unknown emails) in one request",
        f"  first call: median {statistics.median(fresh):.2f} s over {REPEAT} "
        f"(min {min(fresh):.2f}, max {max(fresh):.2f}); CPU median {statistics.median(fresh_cpu):.3f} s "
        f"(min {min(fresh_cpu):.3f}, max {max(fresh_cpu):.3f}); {fresh_queries} SQL queries",
        f"  replay (all created:false): median {statistics.median(replay):.2f} s; "
        f"CPU median {statistics.median(replay_cpu):.3f} s; {replay_queries} SQL queries",
    ]


class _FakeLms(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per answer and no Nagle: otherwise headers and body leave as two segments
    # and TCP delayed ACKs add ~40 ms to every keep-alive call, which a real LMS does not.
    wbufsize = -1
    disable_nagle_algorithm = True
    known: set[str] = set()
    calls = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        with _FakeLms.lock:
            _FakeLms.calls += 1
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(LMS_LATENCY_SECONDS)
        if self.path.startswith("/oauth2/access_token"):
            return self._answer(200, {"access_token": "bench-jwt", "expires_in": 3600, "token_type": "JWT"})
        body = json.loads(raw or b"{}")
        if self.path == "/api/user/v1/accounts/search_emails":
            found = [e for e in body["emails"] if e in self.known]
            return self._answer(
                200, [{"username": e.split("@")[0], "email": e, "id": 800000 + int(e[3:].split("@")[0])} for e in found]
            )
        if self.path == "/api/enrollment/v1/enrollment":
            course_id = body["course_details"]["course_id"]
            answer = {"created": "2026-01-01T00:00:00Z", "mode": body["mode"], "is_active": body["is_active"]}
            return self._answer(200, {**answer, "user": body["user"], "course_details": {"course_id": course_id}})
        if self.path == "/api/enrollment/v1/enrollment_allowed/":
            return self._answer(201, {"email": body["email"], "course_id": body["course_id"], "auto_enroll": True})
        return self._answer(404, {})

    def do_GET(self) -> None:
        with _FakeLms.lock:
            count, _FakeLms.calls = _FakeLms.calls, 0
        self._answer(200, count)


def _serve(known: list[str], ready: "multiprocessing.Queue[int]") -> None:
    _FakeLms.known = set(known)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLms)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    server.serve_forever()


def _lms() -> list[str]:
    runs = _runs("LmsBench")
    emails = [f"lms{i}@example.com" for i in range(LMS_LEARNERS)]
    _FakeLms.known = set(emails[: LMS_LEARNERS // 2])
    # Its own process, as a real LMS would be: it must not compete with the client for the GIL.
    ready: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(sorted(_FakeLms.known), ready), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ready.get(timeout=10)}"
    body = {"enrollments_info": [{"email": e, "course_run_key": r.key} for e in emails for r in runs]}
    client = client_for("bench_bulk_admin", administrator=True)
    run_ids = [r.pk for r in runs]
    urlopen(f"{url}/calls", timeout=5).read()  # noqa: S310 - our own server; resets its counter
    samples, calls, queries = [], [], []
    try:
        with override_settings(
            ENROLLMENT_BACKEND="lms",
            LMS_URL=url,
            OAUTH2_PROVIDER_URL=url,
            OAUTH2_CLIENT_ID="bench",
            OAUTH2_CLIENT_SECRET="x",
        ):
            for _ in range(REPEAT):
                Enrollment.objects.filter(course_run_id__in=run_ids).delete()
                PendingEnrollment.objects.filter(course_run_id__in=run_ids).delete()
                cache.clear()
                RequestCache.clear_all_namespaces()
                with CaptureQueriesContext(connection) as captured:
                    seconds, _, response = _timed(lambda: client.post(URL, body, format="json"))
                queries.append(len(captured.captured_queries))
                assert response.status_code == 202, response.content[:300]
                assert (
                    len(response.json()["successes"])
                    == len(response.json()["pending"])
                    == len(body["enrollments_info"]) // 2
                )
                samples.append(seconds)
                calls.append(json.loads(urlopen(f"{url}/calls", timeout=5).read()))  # noqa: S310 - our own server
    finally:
        server.terminate()
        server.join(timeout=5)
    return [
        f"lms backend: {len(body['enrollments_info'])} pairs ({LMS_LEARNERS} learners x {RUNS} runs, half unknown) "
        f"against a fake LMS adding {LMS_LATENCY_SECONDS * 1000:.0f} ms per call",
        f"  median {statistics.median(samples):.2f} s over {REPEAT} (min {min(samples):.2f}, max {max(samples):.2f});"
        f" {calls[0]} LMS calls per request (8 concurrent); {queries[0]} SQL queries",
    ]


def run() -> list[str]:
    return [line for size in LOCAL_SIZES for line in _local(size)] + (_lms() if WITH_LMS else [])
