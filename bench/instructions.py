"""CPU instructions per call of a benchmark's timed calls, counted by valgrind's callgrind.

    .venv/bin/python bench/instructions.py NAME [--case K] [--calls N]

runs ``bench/bench_NAME.py`` as ``bench/run.py`` does (fresh SQLite file, migrated, the benchmark's own
data), but its K-th timed call site (``bench.util.measure``, counted from 0 in the order the benchmark
reaches them) is not timed: after three warm-up calls and the same setting of the collector
(``core.startup``), N calls run with callgrind counting, and the instructions per call are printed.
The other call sites are skipped.

A count is the same from one run to the next whatever else the machine does (seen within 0.01%),
where medians of milliseconds on a shared machine moved by half from one run to the next: compare two
commits by their counts (a worktree of each, the same virtualenv), then time them. It needs valgrind
(Debian: ``apt-get install valgrind``); under it Python runs about 50 times slower, so a run takes a
minute or two. Not part of CI.
"""

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_COUNTING = "CS_BENCH_INSTRUCTIONS_CHILD"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="a benchmark: bench/bench_NAME.py")
    parser.add_argument("--case", type=int, default=0, help="which timed call site, from 0 (default 0)")
    parser.add_argument("--calls", type=int, default=10, help="calls counted (default 10)")
    args = parser.parse_args()
    if not (ROOT / "bench" / f"bench_{args.name}.py").exists():
        raise SystemExit(f"unknown benchmark {args.name}")
    if os.environ.get(_COUNTING):
        _count_inside(args.name, args.case, args.calls)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/instructions.py needs valgrind (Debian: apt-get install valgrind)")
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        *sys.argv[1:],
    ]
    done = subprocess.run(  # noqa: S603 (valgrind running this module again, with its own arguments)
        command, env={**os.environ, _COUNTING: "1"}, capture_output=True, text=True
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"valgrind failed ({done.returncode})")
    print(f"bench_{args.name} case {args.case}: {int(found.group(1)) / args.calls:,.0f} instructions per call")


def _count_inside(name: str, case: int, calls: int) -> None:
    from bench.run import database_ready

    database_ready()
    from core.startup import collector_set_for_serving

    module = importlib.import_module(f"bench.bench_{name}")
    reached = [0]

    def counted(
        call: Callable[[], object], *, repeat: int, collector: list[float] | None = None
    ) -> tuple[float, float, float]:
        site, reached[0] = reached[0], reached[0] + 1
        if site == case:
            for _ in range(3):
                call()
            collector_set_for_serving()
            _instrumentation("on")
            for _ in range(calls):
                call()
            _instrumentation("off")
        if collector is not None:  # not timed here
            collector += [0.0, 0.0]
        return 0.0, 0.0, 0.0

    module.measure = counted  # type: ignore[attr-defined]
    module.run()
    if reached[0] <= case:
        raise SystemExit(f"bench_{name} has {reached[0]} timed call sites; --case {case} is not one")


def _instrumentation(state: str) -> None:
    """Callgrind counts only between ``on`` and ``off`` (``callgrind_control``, through valgrind's gdb server)."""
    control = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run([control, "--instr=" + state, str(os.getpid())], check=True, capture_output=True)  # noqa: S603


if __name__ == "__main__":
    main()
