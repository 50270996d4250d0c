"""Discovery sync of a synthetic catalog served over local HTTP: a first full sync, then a no-change re-sync.

Catalog: BENCH_SYNC_PROGRAMS programs (default 1,000) x 8 courses x 6 runs (48,000 runs), one run of
each program excluded, 20 organizations, in Discovery's payload shapes. The fake Discovery runs in a
separate process (as the real one would), generating each page on request, so this process's peak
RSS is the sync's own. Reports wall time, SQL queries (counted, not stored) and peak RSS.
``BENCH_SYNC_PROGRAMS=100 python bench/run.py program_sync`` for a quick run.
"""

import json
import multiprocessing
import os
import resource
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from django.conf import settings
from django.db import connection

from bench.util import timed_cpu
from programs.discovery import DiscoveryClient, DiscoveryConfig
from programs.models import Program
from programs.sync import program_sync
from tests.programs.fake_discovery import course_payload, fake_uuid, org_payload, program_payload, run_payload

PROGRAMS = int(os.environ.get("BENCH_SYNC_PROGRAMS", "1000"))
COURSES_PER_PROGRAM = 8
RUNS_PER_COURSE = 6
ORGS = 20
PAGE_SIZE = int(os.environ.get("BENCH_SYNC_PAGE_SIZE", "100"))


def _course_key(index: int) -> str:
    program, course = divmod(index, COURSES_PER_PROGRAM)
    return f"Org{program % ORGS}+P{program}C{course}"


def _course(index: int) -> dict[str, Any]:
    key = _course_key(index)
    return course_payload(key, [run_payload(f"course-v1:{key}+R{r}") for r in range(RUNS_PER_COURSE)])


def _program(index: int) -> dict[str, Any]:
    first = index * COURSES_PER_PROGRAM
    keys = [_course_key(first + c) for c in range(COURSES_PER_PROGRAM)]
    body = program_payload(fake_uuid(f"bench-program:{index}"), f"Program {index}", keys, org=f"Org{index % ORGS}")
    body["courses"] = []
    for c in range(COURSES_PER_PROGRAM):
        course = _course(first + c)
        if c == 0:  # Discovery omits the excluded run from the program's nested runs
            course["course_runs"] = course["course_runs"][:-1]
        body["courses"].append(course)
    return body


RESOURCES: dict[str, tuple[int, Callable[[int], dict[str, Any]]]] = {
    "organizations": (ORGS, lambda i: org_payload(f"Org{i}")),
    "courses": (PROGRAMS * COURSES_PER_PROGRAM, _course),
    "programs": (PROGRAMS, _program),
}


class _Handler(BaseHTTPRequestHandler):
    def _send(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send({"access_token": "bench", "token_type": "JWT", "expires_in": 3600, "scope": ""})

    def do_GET(self) -> None:
        parsed = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        total, make = RESOURCES[parsed.path.rstrip("/").rsplit("/", 1)[-1]]
        page, size = int(query.get("page", 1)), int(query.get("page_size", 20))
        start, stop = (page - 1) * size, min(page * size, total)
        root = f"http://127.0.0.1:{self.server.server_address[1]}{parsed.path}"
        self._send(
            {
                "count": total,
                "next": f"{root}?{urlencode({**query, 'page': page + 1})}" if stop < total else None,
                "previous": None,
                "results": [make(i) for i in range(start, stop)],
            }
        )

    def log_message(self, *args: Any) -> None:
        pass


def _serve(port_queue: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_sync(client: DiscoveryClient) -> tuple[float, float, int, Any]:
    """Wall seconds, CPU seconds (steadier on a busy machine), queries, result.

    CPU is this process's plus, on PostgreSQL on the same machine, its server process's.
    """
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    def sync() -> Any:
        with connection.execute_wrapper(count):
            return program_sync(client=client, max_retire_fraction=0.1)

    wall, cpu, result = timed_cpu(sync)  # its own queries (the server's pid) are not counted
    return wall, cpu, queries, result


def run() -> list[str]:
    ctx = multiprocessing.get_context("fork")
    port_queue = ctx.Queue()
    server = ctx.Process(target=_serve, args=(port_queue,), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{port_queue.get(timeout=10)}"
        config = DiscoveryConfig(
            api_url=f"{base}/api/v1/",
            oauth2_provider_url=base,
            client_id="bench",
            client_secret="bench",
            connect_timeout=5,
            read_timeout=60,
            page_size=PAGE_SIZE,
            include_restricted=tuple(settings.PROGRAM_SYNC_INCLUDE_RESTRICTED),  # the requests production sends
        )
        baseline = _peak_rss_mb()
        first_time, first_cpu, first_queries, first = _timed_sync(DiscoveryClient(config))
        first_rss = _peak_rss_mb()
        again_time, again_cpu, again_queries, again = _timed_sync(DiscoveryClient(config))
        again_rss = _peak_rss_mb()
    finally:
        server.terminate()
        server.join(timeout=10)

    runs = PROGRAMS * COURSES_PER_PROGRAM * RUNS_PER_COURSE
    pages = sum(-(-total // PAGE_SIZE) for total, _ in RESOURCES.values())
    c1, c2 = first.counts, again.counts
    assert c1.programs_created == PROGRAMS and c1.course_runs_created == runs, c1
    assert c1.excluded_runs_found == PROGRAMS and Program.objects.count() == PROGRAMS
    assert c2.programs_unchanged == PROGRAMS and c2.course_runs_updated == 0, c2
    return [
        f"{PROGRAMS} programs x {COURSES_PER_PROGRAM} courses x {RUNS_PER_COURSE} runs = {runs} runs; "
        f"{pages} Discovery pages of {PAGE_SIZE} ({connection.vendor})",
        f"first sync: {first_time:.1f} s (CPU {first_cpu:.1f} s), {first_queries} SQL queries "
        f"({first_queries / pages:.1f} per page), {first.discovery_requests} HTTP requests",
        f"re-sync, nothing changed: {again_time:.1f} s (CPU {again_cpu:.1f} s), {again_queries} SQL queries "
        f"({again_queries / pages:.1f} per page)",
        f"peak RSS: {baseline:.0f} MB before, {first_rss:.0f} MB after the first sync, "
        f"{again_rss:.0f} MB after the re-sync",
    ]
