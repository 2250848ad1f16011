"""Benchmark of start-up: whole-process wall time of three light commands.

* ``reaction --help``;
* ``reaction sql "select 1"`` on an existing store;
* ``reaction events list`` on a store holding the 14 seed events.

Each figure is the median of ``REPEATS`` runs after one warm-up (so the operating system's file
cache and Python's bytecode cache are warm, as they are for a user who types commands one after
another; ``PYTHONDONTWRITEBYTECODE`` is removed from the environment), run as a new process
with ``subprocess`` and timed with ``time.perf_counter``. Targets (issue 10, 2-core machine):
help and sql under 0.25 s, events list under 0.4 s.

Prints one JSON line::

    {"help_s": ..., "sql_s": ..., "events_list_s": ..., "repeats": 5}

Run: ``.venv/bin/python benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5


def _reaction() -> list[str]:
    """The installed ``reaction`` script next to this interpreter, else ``python -m``-style."""
    script = Path(sys.executable).with_name("reaction")
    if script.exists():
        return [str(script)]
    found = shutil.which("reaction")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from jobs.cli import main; sys.exit(main())"]


def timed(args: list[str], env: dict[str, str]) -> float:
    """Median wall seconds of ``REPEATS`` runs of ``args`` (after one warm-up run)."""
    times = []
    for i in range(REPEATS + 1):
        start = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode()[-500:]}")
        if i:
            times.append(elapsed)
    return statistics.median(times)


def main() -> None:
    cmd = _reaction()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REACTION_")}
        # as for a user: bytecode is cached (some environments turn that off; the warm-up run
        # then writes the .pyc files the timed runs read)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["REACTION_DB"] = str(Path(tmp) / "bench.duckdb")
        env["COLUMNS"] = "120"
        # create the store with the seed catalog (not timed)
        subprocess.run([*cmd, "events", "list"], env=env, capture_output=True, check=True)
        figures = {
            "help_s": timed([*cmd, "--help"], env),
            "sql_s": timed([*cmd, "sql", "select 1"], env),
            "events_list_s": timed([*cmd, "events", "list"], env),
        }
    print(json.dumps({k: round(v, 3) for k, v in figures.items()} | {"repeats": REPEATS}))


if __name__ == "__main__":
    main()
