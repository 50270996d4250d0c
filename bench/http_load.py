"""`make bench-http`: requests per second over HTTP, gunicorn under ``settings.production``, PostgreSQL, wrk.

What it does, in order:

1. migrates a PostgreSQL database of its own (``BENCH_HTTP_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/cs_bench_http``, created when missing) and fills it the way
   ``bench_learner_cert_status`` and ``bench_program_status`` do: a learner holding 10 awarded
   credentials with grades, and a learner in a program of 30 courses x 10 runs (300 enrollments, 150
   credentials, one run of each course excluded);
2. for each server configuration asked for (``--configs``; ``CONFIGS`` below), starts gunicorn with
   ``gunicorn.conf.py`` and ``settings.production`` exactly as the image does (JSON access log
   included, written to a file), checks each answer once (status 200 and its content), then runs
   wrk on the same machine: 8 connections, 2 threads, 20 s per endpoint (``--connections``,
   ``--duration``), the ``Authorization`` header a subscription service sends and the
   ``X-Forwarded-Proto`` the TLS proxy in front of the service adds;
3. prints, per configuration and endpoint: requests per second, median and p99 latency, errors
   (non-2xx answers and socket errors), and the CPU milliseconds per request spent by the gunicorn
   processes (master and workers, from ``/proc``) and by the PostgreSQL backends serving this
   database, so that a figure taken on a loaded machine can be judged and extrapolated.

The user throttle (``THROTTLE_RATE_USER``, 6,000/minute by default) would answer 429 to one service
account asking 400 times a second: the benchmark raises it to 10,000,000/minute, as an operator would for
such a subscriber; the throttle still runs (one Redis round trip per request, ``BENCH_HTTP_CACHE_URL``,
default ``redis://127.0.0.1:6379/12``).

Needs wrk (Debian: ``apt-get install wrk``), a PostgreSQL server and a Redis server. Not part of CI.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CERT_COURSES = 10
PROGRAM_COURSES = 30
RUNS_PER_COURSE = 10
PORT = 8765
WRK = shutil.which("wrk") or "wrk"


@dataclass(frozen=True)
class ServerConfig:
    """One way to run gunicorn: its command-line options and environment, and how many instances share the port."""

    name: str
    description: str
    options: tuple[str, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    instances: int = 1


CONFIGS = {
    config.name: config
    for config in (
        ServerConfig(
            "image-before",
            "what the image shipped before issue 17: 2 sync workers, a new database connection per request",
            options=("--workers", "2", "--worker-class", "sync"),
            environment={"DATABASE_CONN_MAX_AGE": "0"},
        ),
        ServerConfig(
            "sync-2-persistent",
            "2 sync workers, persistent database connections",
            options=("--workers", "2", "--worker-class", "sync"),
            environment={"DATABASE_CONN_MAX_AGE": "300"},
        ),
        ServerConfig(
            "sync-3-persistent",
            "3 sync workers, persistent database connections",
            options=("--workers", "3", "--worker-class", "sync"),
            environment={"DATABASE_CONN_MAX_AGE": "300"},
        ),
        ServerConfig(
            "gthread-2x4",
            "2 gthread workers of 4 threads, keep-alive, persistent database connections",
            options=("--workers", "2", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "5"),
            environment={"DATABASE_CONN_MAX_AGE": "300"},
        ),
        ServerConfig(
            "gthread-3x2",
            "3 gthread workers of 2 threads, keep-alive, persistent database connections",
            options=("--workers", "3", "--worker-class", "gthread", "--threads", "2", "--keep-alive", "5"),
            environment={"DATABASE_CONN_MAX_AGE": "300"},
        ),
        ServerConfig(
            "shipped",
            "what gunicorn.conf.py ships when nothing overrides it (the image and the Tutor plugin)",
        ),
        ServerConfig(
            "shipped-2-instances",
            "two gunicorn instances of the shipped configuration, 1 worker each, sharing the port (SO_REUSEPORT)",
            options=("--workers", "1", "--reuse-port"),
            instances=2,
        ),
        ServerConfig(
            "shipped-1-instance-1-worker",
            "one gunicorn instance of the shipped configuration with 1 worker (the unit the line above doubles)",
            options=("--workers", "1"),
        ),
    )
}
DEFAULT_CONFIGS = ("image-before", "sync-2-persistent", "gthread-2x4", "gthread-3x2", "shipped")


def _environment(database_url: str, cache_url: str) -> dict[str, str]:
    secret = "bench-http-" + "k" * 40
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.production",
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": "bench-http-secret-key-" + "s" * 40,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "JWT_SECRET_KEY": secret,
        "JWT_ISSUER": "bench-http-issuer",
        "JWT_AUDIENCE": "bench-http-audience",
        "RETIRED_USER_SALTS": "bench-http-salt",
        "THROTTLE_RATE_USER": "10000000/minute",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }


def _seed(environment: dict[str, str]) -> dict[str, dict[str, object]]:
    """Migrate and fill the database; return each endpoint's path, body, expected answer and token."""
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from core.jwt import encode_jwt
    from core.models import User
    from credentials_status.models import CourseRunCredential, Grade
    from enrollments.models import Enrollment
    from programs.models import Course, CourseRun, Organization, Program, ProgramCourse

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    now = timezone.now()
    User.objects.create(username="http_reader", is_staff=True)
    org = Organization.objects.create(key="HttpBenchX")

    cert_learner = User.objects.create(username="http_cert_learner", lms_user_id=910001)
    cert_courses = Course.objects.bulk_create(
        [Course(key=f"HttpBenchX+Cert{i}", organization=org, title=f"Course {i}") for i in range(CERT_COURSES)]
    )
    cert_runs = CourseRun.objects.bulk_create(
        [CourseRun(key=f"course-v1:HttpBenchX+Cert{i}+1T2025", course=c, start=now) for i, c in enumerate(cert_courses)]
    )
    CourseRunCredential.objects.bulk_create(
        [
            CourseRunCredential(
                learner=cert_learner,
                course_run=r,
                status="awarded",
                type="verified",
                awarded_at=now - timedelta(days=1),
            )
            for r in cert_runs
        ]
    )
    Grade.objects.bulk_create(
        [Grade(learner=cert_learner, course_run=r, percent_grade="0.9", letter_grade="A") for r in cert_runs]
    )

    program_learner = User.objects.create(username="http_program_learner", lms_user_id=910002)
    courses = Course.objects.bulk_create(
        [Course(key=f"HttpBenchX+Prog{i}", organization=org, title=f"Course {i}") for i in range(PROGRAM_COURSES)]
    )
    runs = CourseRun.objects.bulk_create(
        [
            CourseRun(key=f"course-v1:HttpBenchX+Prog{i}+{r}T2025", course=c, start=now - timedelta(days=30 * r))
            for i, c in enumerate(courses)
            for r in range(RUNS_PER_COURSE)
        ]
    )
    program = Program.objects.create(
        title="HTTP bench program", type="MicroMasters", applicable_seat_types=["verified"]
    )
    ProgramCourse.objects.bulk_create(
        [ProgramCourse(program=program, course=c, position=i) for i, c in enumerate(courses)]
    )
    program.excluded_course_runs.set(runs[::RUNS_PER_COURSE])
    Enrollment.objects.bulk_create([Enrollment(learner=program_learner, course_run=r, mode="verified") for r in runs])
    credited = [r for index, r in enumerate(runs) if index % RUNS_PER_COURSE < RUNS_PER_COURSE // 2]
    CourseRunCredential.objects.bulk_create(
        [
            CourseRunCredential(
                learner=program_learner,
                course_run=r,
                status="awarded",
                type="verified",
                awarded_at=now - timedelta(days=1),
            )
            for r in credited
        ]
    )
    # Statistics, as autovacuum gives a production database: without them PostgreSQL takes the fresh tables
    # for nearly empty and probes the program's runs once per learner record (3x the time of a hash join).
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    token = encode_jwt(username="http_reader", administrator=True)  # type: ignore[arg-type]
    # A token lives for JWT_EXPIRATION seconds (an hour by default): long enough for every configuration.
    connections.close_all()
    return {
        f"learner_cert_status C={CERT_COURSES}": {
            "path": "/api/credentials/v1/learner_cert_status/",
            "body": {"username": "http_cert_learner", "courses": [str(c.uuid) for c in cert_courses]},
            "check": lambda answer: len(answer["status"]) == CERT_COURSES,
            "token": token,
        },
        f"learner_program_status {PROGRAM_COURSES} courses": {
            "path": "/api/credentials/v1/learner_program_status/",
            "body": {"username": "http_program_learner", "program_uuid": str(program.uuid)},
            "check": lambda answer: (
                answer["completed_courses"] == PROGRAM_COURSES and len(answer["warnings"]) == PROGRAM_COURSES
            ),
            "token": token,
        },
    }


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _server_cpu(masters: list[int]) -> float:
    """CPU seconds of the gunicorn masters and their live workers (a worker that exits takes its CPU with it)."""
    return sum(_cpu_seconds(pid) + sum(_cpu_seconds(child) for child in _children(pid)) for pid in masters)


def _database_cpu(database_url: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to the benchmark's database (persistent connections only)."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        pids = [row[0] for row in connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])]
    return sum(_cpu_seconds(pid) for pid in pids)


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not listen on port {port} within {timeout:.0f} s")


def _check(endpoint: dict[str, object]) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{endpoint['path']}",
        data=json.dumps(endpoint["body"]).encode(),
        headers=_headers(endpoint),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (http://127.0.0.1 only)
        answer = json.loads(response.read())
    if not endpoint["check"](answer):  # type: ignore[operator]
        raise SystemExit(f"unexpected answer from {endpoint['path']}: {json.dumps(answer)[:300]}")


def _headers(endpoint: dict[str, object]) -> dict[str, str]:
    return {
        "Host": "localhost",
        "Content-Type": "application/json",
        "Authorization": f"JWT {endpoint['token']}",
        "X-Forwarded-Proto": "https",
    }


def _wrk_script(endpoint: dict[str, object], directory: str) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(endpoint['body']))}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in _headers(endpoint).items()]
    path = Path(directory) / (re.sub(r"\W+", "-", str(endpoint["path"])).strip("-") + ".lua")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def _parse_wrk(output: str) -> dict[str, float]:
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "p99": _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def _start(config: ServerConfig, environment: dict[str, str], log_path: Path) -> list[subprocess.Popen[bytes]]:
    servers = []
    for _ in range(config.instances):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "settings.wsgi:application",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--no-control-socket",
            "--timeout",
            "60",
            *config.options,
        ]
        log = log_path.open("ab")
        servers.append(
            subprocess.Popen(  # noqa: S603 (this module's own command)
                command,
                cwd=ROOT,
                env={**environment, **config.environment},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    _wait_for_port(PORT)
    time.sleep(2 if config.instances == 1 else 4)  # every worker (and instance) booted
    return servers


def _stop(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def run(configs: list[str], connections: int, duration: int, threads: int) -> list[dict[str, object]]:
    database_url = os.environ.get("BENCH_HTTP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cs_bench_http")
    cache_url = os.environ.get("BENCH_HTTP_CACHE_URL", "redis://127.0.0.1:6379/12")
    environment = _environment(database_url, cache_url)
    from bench.util import postgres_database_create

    postgres_database_create(database_url)
    endpoints = _seed(environment)
    workdir = tempfile.mkdtemp(prefix="cs-bench-http-")
    results: list[dict[str, object]] = []
    for name in configs:
        config = CONFIGS[name]
        servers = _start(config, environment, Path(workdir) / f"{name}.log")
        try:
            for label, endpoint in endpoints.items():
                for _ in range(20):  # every worker answers once before the clock starts
                    _check(endpoint)
                script = _wrk_script(endpoint, workdir)
                server_before = _server_cpu([s.pid for s in servers])
                database_before = _database_cpu(database_url)
                output = subprocess.run(  # noqa: S603 (wrk, this module's arguments)
                    [
                        WRK,
                        f"--connections={connections}",
                        f"--threads={threads}",
                        f"--duration={duration}s",
                        "--timeout=5s",
                        "--latency",
                        f"--script={script}",
                        f"http://127.0.0.1:{PORT}{endpoint['path']}",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=duration + 60,
                ).stdout
                figures = _parse_wrk(output)
                server_cpu = _server_cpu([s.pid for s in servers]) - server_before
                database_cpu = _database_cpu(database_url) - database_before
                result = {
                    "config": name,
                    "endpoint": label,
                    **figures,
                    "server_cpu_ms_per_request": 1000 * server_cpu / max(figures["requests"], 1),
                    "database_cpu_ms_per_request": 1000 * database_cpu / max(figures["requests"], 1),
                }
                results.append(result)
                print(
                    f"{name:28} {label:34} {figures['rps']:7.1f} req/s  median {figures['p50']:6.1f} ms  "
                    f"p99 {figures['p99']:6.1f} ms  errors {figures['errors']:.0f}  "
                    f"CPU/request: gunicorn {result['server_cpu_ms_per_request']:.2f} ms, "
                    f"PostgreSQL {result['database_cpu_ms_per_request']:.2f} ms",
                    flush=True,
                )
        finally:
            _stop(servers)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs", default=",".join(DEFAULT_CONFIGS), help=f"comma-separated, of: {', '.join(CONFIGS)}"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint and configuration")
    parser.add_argument("--json", help="also write the figures to this file")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    unknown = [name for name in arguments.configs.split(",") if name not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(unknown)}")
    print(
        f"# HTTP benchmark: wrk {arguments.connections} connections, {arguments.threads} threads, "
        f"{arguments.duration} s per endpoint; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"# command: .venv/bin/python bench/http_load.py --configs {arguments.configs}")
    results = run(arguments.configs.split(","), arguments.connections, arguments.duration, arguments.threads)
    print(f"# load average at the end {os.getloadavg()[0]:.1f}")
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
