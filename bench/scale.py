"""Growth benchmark: per-request figures on a database filled by ``generate_scale_dataset``.

    DATABASE_URL=postgres://.../cs_scale_1m .venv/bin/python bench/scale.py [--calls N] [--explain]

Unlike ``bench/run.py`` it keeps the database (it is expensive to fill): it adds two staff users and
retires a few generated learners, nothing else. For random generated learners it times each operation
twice: "cold", the first call for a learner never asked before in this process (its rows not yet in
the database's cache unless the data set fits in memory), and "warm", the same call repeated. Each line
gives medians in milliseconds (wall, and this process's CPU on warm calls: the web worker's share)
and the SQL queries per call; ``--explain`` prints each distinct statement's
plan (PostgreSQL) and flags a sequential scan on a table that grows with learners.
``make bench-scale`` fills a 1,000- and a 1,000,000-learner database and prints both side by side.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Tables whose size follows the number of learners: a sequential scan on one of these is a finding.
GROWING_TABLES = (
    "core_user",
    "core_user_groups",
    "credentials_status_courseruncredential",
    "credentials_status_grade",
    "enrollments_enrollment",
    "enrollments_pendingenrollment",
    "credit_creditrequirementstatus",
    "credit_crediteligibility",
    "credit_creditrequest",
    "events_appliedevent",
)
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="Learners (cold) and repeats (warm) per operation.")
    parser.add_argument("--explain", action="store_true", help="Print each statement's plan (PostgreSQL).")
    parser.add_argument("--json", help="Also write the figures to this file.")
    parser.add_argument("--only", help="Only the operations whose name contains this text.")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings.test"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.db import connection

    from bench.scale_operations import operations

    ops = operations(random.Random(42), args.calls)
    learners = ops.learner_count
    print(f"# growth benchmark: {learners:,} generated learners ({connection.vendor}, {os.cpu_count()} cores)")
    print(f"# command: DATABASE_URL=... .venv/bin/python bench/scale.py --calls {args.calls}")
    print(f"{'operation':44} {'cold ms':>9} {'warm ms':>9} {'cpu ms':>7} {'queries':>8}  sequential scans")
    figures: dict[str, dict[str, object]] = {}
    for name, cold_calls, warm_call in ops.items:
        if args.only and args.only not in name:
            continue
        if not cold_calls:
            print(f"{name:44} (no unretired generated learner left to take: regenerate the data set)")
            continue
        cold = [_timed(call) for call in cold_calls]
        queries, statements = _captured(warm_call)
        warm = [_timed(warm_call) for _ in range(args.calls)]
        cpu = [_cpu(warm_call) for _ in range(max(3, args.calls // 3))]
        plans = _plans(statements) if connection.vendor == "postgresql" else []
        scans = _sequential_scans(plans)
        figures[name] = {
            "cold_ms": statistics.median(cold),
            "warm_ms": statistics.median(warm),
            "worker_cpu_ms": statistics.median(cpu),
            "queries": queries,
            "seq_scans": scans,
        }
        print(
            f"{name:44} {statistics.median(cold):9.1f} {statistics.median(warm):9.1f} {statistics.median(cpu):7.1f} "
            f"{queries:8}  "
            f"{', '.join(scans) or '-'}"
        )
        if args.explain and connection.vendor == "postgresql":
            for statement, plan in plans:
                print(f"\n### {name}\n{statement[:600]}\n{plan}")
    if not args.only or "program sync" in args.only:
        _program_sync(args, figures)
    if args.json:
        Path(args.json).write_text(json.dumps({"learners": learners, "figures": figures}, indent=2))


def _program_sync(args: argparse.Namespace, figures: dict[str, dict[str, object]]) -> None:
    """Program sync rows: one first sync and one re-sync (each takes a minute or more), CPU with the database's."""
    from django.db import connection

    from bench.scale_operations import program_sync_growth

    for sync in program_sync_growth(int(os.environ.get("BENCH_SCALE_SYNC_PROGRAMS", "1000"))):
        plans = _plans(sync.statements) if connection.vendor == "postgresql" else []
        scans = _sequential_scans(plans)
        figures[sync.name] = {
            "cold_ms": sync.wall_ms,
            "warm_ms": None,
            "worker_cpu_ms": sync.cpu_ms,
            "queries": sync.queries,
            "seq_scans": scans,
        }
        print(
            f"{sync.name:44} {sync.wall_ms:9.0f} {'':>9} {sync.cpu_ms:7.0f} {sync.queries:8}  {', '.join(scans) or '-'}"
        )
        if args.explain:
            for statement, plan in plans:
                print(f"\n### {sync.name}\n{statement[:600]}\n{plan}")


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _cpu(call: Callable[[], object]) -> float:
    """Milliseconds of this process's CPU (the web worker's share; the database's is not counted)."""
    started = time.process_time()
    call()
    return (time.process_time() - started) * 1000


def _captured(call: Callable[[], object]) -> tuple[int, list[tuple[str, tuple[object, ...]]]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements: list[tuple[str, tuple[object, ...]]] = []

    def keep(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(keep):
        call()
    return len(ctx.captured_queries), statements


def _plans(statements: list[tuple[str, tuple[object, ...]]]) -> list[tuple[str, str]]:
    from django.db import connection

    plans = []
    seen = set()
    with connection.cursor() as cursor:
        for sql, params in statements:
            if not sql.lstrip().upper().startswith("SELECT") or sql in seen:
                continue
            seen.add(sql)
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def _sequential_scans(plans: list[tuple[str, str]]) -> list[str]:
    found: list[str] = []
    for _, plan in plans:
        for table in SEQ_SCAN.findall(plan):
            if table in GROWING_TABLES and table not in found:
                found.append(table)
    return found


if __name__ == "__main__":
    main()
