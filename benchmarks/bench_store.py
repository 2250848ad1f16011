"""Benchmark of opening the store: what every command pays before it does anything.

A store holding the real ``prices_daily.csv`` (13 tickers, ~25 years) and the XNYS sessions
is built once in a temporary folder. Measured:

* ``open_read_s``: ``store.open()`` plus a trivial query (the event count), then close;
* ``open_write_s``: the same with ``write=True`` (the migration check included);
* ``open_sql_s``: ``store.open_sql()`` plus ``SELECT 1`` (people's SQL, locked down);
* ``process_sql_s``: a whole ``python -c`` process importing ``storage``, opening it for
  SQL and running ``SELECT 1`` (interpreter start included, bytecode cached as for an
  installed package; ``process_python_s`` is the bare interpreter for comparison).

In-process figures are the median of ``REPEATS`` runs, process figures of ``PROCESS_REPEATS``.
Prints one JSON line. Data folder: ``REACTION_DATA_DIR``, else ``../shared/data`` beside the
repository. Run: ``.venv/bin/python benchmarks/bench_store.py``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage.datadir import shared_data_dir as data_dir  # noqa: E402
from storage.store import Store  # noqa: E402

REPEATS = 30
PROCESS_REPEATS = 7

PROCESS_SQL = """
import sys
from storage import Store
with Store(sys.argv[1]).open_sql() as sql:
    sql.run("SELECT 1")
"""


def prepare(path: Path) -> Store:
    from events import nyse
    from storage.sources.files import read_file

    store = Store(path)
    parsed = read_file(data_dir() / "prices_daily.csv")
    with store.open(write=True) as db, db.transaction():
        db.market.upsert_prices(parsed.prices, source="bench")
        db.market.ensure_sessions(nyse().sessions)
    return store


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = prepare(Path(tmp) / "bench.duckdb")

        def read() -> None:
            with store.open() as db:
                db.events.count()

        def write() -> None:
            with store.open(write=True) as db:
                db.events.count()

        def sql() -> None:
            with store.open_sql() as q:
                q.run("SELECT 1")

        # Bytecode caching on, as for an installed package (a PYTHONDONTWRITEBYTECODE shell
        # would otherwise recompile every module in every process); the warm-up writes it.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

        def process(code: str, *args: str) -> Callable[[], object]:
            return lambda: subprocess.run(
                [sys.executable, "-c", code, *args],
                check=True,
                cwd=ROOT,
                capture_output=True,
                env=env,
            )

        process(PROCESS_SQL, str(store.path))()

        result = {
            "open_read_s": round(median_seconds(read, REPEATS), 4),
            "open_write_s": round(median_seconds(write, REPEATS), 4),
            "open_sql_s": round(median_seconds(sql, REPEATS), 4),
            "process_sql_s": round(
                median_seconds(process(PROCESS_SQL, str(store.path)), PROCESS_REPEATS), 4
            ),
            "process_python_s": round(median_seconds(process("pass"), PROCESS_REPEATS), 4),
            "repeats": REPEATS,
            "process_repeats": PROCESS_REPEATS,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
