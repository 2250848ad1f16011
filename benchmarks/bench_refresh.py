"""Benchmark of the daily refresh: one new session for the 13 tickers of ``prices_daily.csv``.

The store holds every ticker's history up to the session before the file's last
one; a :class:`~storage.sources.memory.MemorySource` serves the whole file from
memory (no network), and :func:`jobs.services.refresh.run_refresh` adds the last session
(re-reading the five before it, as every day). Measured with 1 year and with the
full ~25 years already stored, to show that the cost follows the new sessions,
not the stored history; plus a 25-year store that is 20 sessions behind, and a
no-op run (already up to date).

Each figure is the median wall time of ``REPEATS`` runs, each on a fresh copy of
the prepared store file (DuckDB file opens and transactions included).

Prints one line per scenario and, as the last line, one JSON object::

    {"tickers": 13, "new_1y_s": ..., "new_25y_s": ..., "behind20_25y_s": ..., "noop_25y_s": ...,
     "rows_25y": ..., "target_s": 2.0}

Data folder: ``REACTION_DATA_DIR``, else ``../shared/data`` beside the repository.
Run: ``.venv/bin/python benchmarks/bench_refresh.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from events import nyse  # noqa: E402
from jobs.services.refresh import run_refresh  # noqa: E402
from jobs.settings import Settings  # noqa: E402
from storage.datadir import shared_data_dir as data_dir  # noqa: E402
from storage.sources.files import read_file  # noqa: E402
from storage.sources.memory import MemorySource  # noqa: E402
from storage.store import Store  # noqa: E402

REPEATS = 5
TARGET_SECONDS = 2.0


def prepare(path: Path, prices: pl.DataFrame) -> int:
    store = Store(path)
    with store.transaction() as con:
        store.upsert_prices(con, prices, source="bench")
    return prices.height


def timed_refresh(
    template: Path, work: Path, source: MemorySource, tickers: tuple[str, ...], as_of: dt.datetime
) -> tuple[float, str]:
    times, status = [], ""
    for i in range(REPEATS):
        db = work / f"run{i}.duckdb"
        shutil.copy(template, db)
        settings = Settings(db=db, benchmarks=tickers, seed=False, recent_sessions=5)
        store = Store(db)
        started = time.perf_counter()
        result = run_refresh(settings, as_of=as_of, source=source, store=store)
        times.append(time.perf_counter() - started)
        status = result.status
        db.unlink()
    return statistics.median(times), status


def main() -> None:
    prices = read_file(data_dir() / "prices_daily.csv").prices
    tickers = tuple(sorted(prices.get_column("ticker").unique().to_list()))
    cal = nyse()
    last: dt.date = prices.get_column("date").max()  # type: ignore[assignment]
    sessions = cal.sessions_in_range(dt.date(last.year - 1, 1, 1), last)
    as_of = cal.close_of(last) + dt.timedelta(hours=2)
    source = MemorySource(prices)  # served from memory; filtering per ticker is the source's cost

    figures: dict[str, float | int | str] = {"tickers": len(tickers), "last_session": str(last)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        before = sessions[-2]
        year_ago = sessions[-253]
        scenarios = [
            ("new_1y_s", "1 new session, 1 year stored", year_ago, before),
            ("new_25y_s", "1 new session, 25 years stored", None, before),
            ("behind20_25y_s", "20 new sessions, 25 years stored", None, sessions[-21]),
            ("noop_25y_s", "no-op (up to date), 25 years stored", None, last),
        ]
        for key, label, start, end in scenarios:
            kept = prices.filter(pl.col("date") <= end)
            if start is not None:
                kept = kept.filter(pl.col("date") >= start)
            template = work / f"{key}.duckdb"
            rows = prepare(template, kept)
            seconds, status = timed_refresh(template, work, source, tickers, as_of)
            figures[key] = round(seconds, 3)
            figures[key.replace("_s", "_rows")] = rows
            print(
                f"{label:<40} {rows:>7} rows stored  {seconds * 1000:8.0f} ms  ({status}, "
                f"median of {REPEATS})"
            )
    figures["target_s"] = TARGET_SECONDS
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
