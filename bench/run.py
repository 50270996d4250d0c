"""`make bench`: run every bench/bench_*.py against a fresh database and print its figures.

Each benchmark module has ``run() -> list[str]``: it builds its own data and returns report lines.
``python bench/run.py NAME`` runs only bench_NAME.py. The database is a fresh SQLite file unless
DATABASE_URL names another (e.g. PostgreSQL); it is migrated first.
"""

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(selected: list[str]) -> None:
    available = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))
    if any(name in ("-h", "--help") for name in selected):
        print(__doc__)
        print(f"Benchmarks: {', '.join(available)}")
        return
    unknown = [name for name in selected if name not in available]
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(available)}")
    database_ready()
    from django.core.management import call_command

    names = selected or available
    print(f"# credentials-status benchmarks ({os.environ['DATABASE_URL'].split(':')[0]}, {os.cpu_count()} cores)")
    print(f"# command: make bench   (or: .venv/bin/python bench/run.py {' '.join(names)})")
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        call_command("flush", interactive=False, verbosity=0)  # each benchmark starts from an empty database
        started = time.perf_counter()
        lines = module.run()
        print(f"\n## {name}  ({time.perf_counter() - started:.1f} s including setup)")
        for line in lines:
            print(f"  {line}")


def database_ready() -> None:
    """Django set up on the benchmark settings and its database migrated: a fresh SQLite file unless
    ``DATABASE_URL`` names another."""
    workdir = tempfile.mkdtemp(prefix="cs-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings.test"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1:])
