"""Benchmark of importing earnings_dates.csv with duplicate linking and timing inference.

Builds a store in a temporary folder (the seed catalog and ``prices_daily.csv``), then times
``jobs.services.ingest.import_events`` on the 36,845 rows of ``earnings_dates.csv`` (day 0,
duplicates of stored events linked as aliases) and ``jobs.services.timing.infer_stored`` on
the imported events (the inference of ``backtest.timing`` for those with stored prices), with
``time.perf_counter``, once each (a fresh store per run; run it several times to see the
noise). Also reports what was decided: the counts are facts of the data, the seconds are not
(a shared machine).

Prints one JSON line::

    {"events": 36845, "linked": 5, "with_prices": 589, "after_close": ..., "during_session": ...,
     "undetermined": ..., "share_after_close": ..., "import_s": ..., "infer_s": ...}

Run: ``.venv/bin/python benchmarks/bench_timing.py``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from _common import data_dir  # the benchmarks folder is on sys.path when run as a script


def main() -> None:
    from events import read_event_csv
    from jobs.services import ingest
    from jobs.services.timing import infer_stored
    from storage.store import Store

    data = data_dir()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        with ingest.open_ready(store) as db:
            ingest.import_price_files(db, [data / "prices_daily.csv"])
        events = read_event_csv(data / "earnings_dates.csv")
        with store.open(write=True) as db:
            t0 = time.perf_counter()
            done = ingest.import_events(db, events, catalog="earnings_dates.csv")
            t1 = time.perf_counter()
            aliases = {a for a, _ in done.links}
            summary = infer_stored(db, event_ids=[e.id for e in events if e.id not in aliases])
            t2 = time.perf_counter()
    with_prices = summary.after_close + summary.during_session + summary.undetermined
    print(
        json.dumps(
            {
                "events": len(events),
                "linked": len(done.links),
                "with_prices": with_prices,
                "after_close": summary.after_close,
                "during_session": summary.during_session,
                "undetermined": summary.undetermined,
                "share_after_close": round(summary.after_close / with_prices, 4),
                "import_s": round(t1 - t0, 3),
                "infer_s": round(t2 - t1, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
