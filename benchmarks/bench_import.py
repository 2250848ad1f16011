"""Benchmark of price-file parsing and validation: ``read_file`` + ``check_problems``.

The file is a long-layout CSV (``date,ticker,open,high,low,close,adj_close,volume``) of
100 tickers x 2,525 sessions = 252,500 rows (about 13 MB), generated deterministically: a
seeded geometric random walk per ticker, with consistent open/high/low, on the last 2,525
XNYS sessions up to 2025-12-31. It is written by a child process into a temporary folder, so
the figures below belong to parsing alone.

``read_s`` is the median wall time of ``REPEATS`` in-process runs of
``read_file(path, sessions=...)`` then ``check_problems(..., skip_bad_rows=False)`` (after
one warm-up run), timed with ``time.perf_counter``; ``peak_mb`` is this process's peak
resident size (``resource.getrusage``), imports included. Target (the price-import issue):
well under 0.3 s, so that ``reaction prices import`` of the file takes under 0.7 s.

Prints one JSON line::

    {"rows": 252500, "read_s": ..., "peak_mb": ...}

Run: ``.venv/bin/python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPEATS = 5
TICKERS = 100
SESSIONS = 2525
SEED = 20251031


def _sessions() -> np.ndarray:
    """The last ``SESSIONS`` XNYS sessions up to 2025-12-31 (datetime64[D])."""
    from events import nyse

    days = nyse().sessions
    return days[days <= np.datetime64("2025-12-31")][-SESSIONS:]


def write_file(path: Path) -> int:
    """Write the benchmark file to ``path``; return its number of rows."""
    import polars as pl

    rng = np.random.default_rng(SEED)
    days = _sessions()
    n = days.shape[0]
    start = rng.uniform(20.0, 500.0, size=(TICKERS, 1))
    close = start * np.exp(np.cumsum(rng.normal(0.0, 0.02, size=(TICKERS, n)), axis=1))
    prev = np.concatenate([start, close[:, :-1]], axis=1)
    open_ = prev * np.exp(rng.normal(0.0, 0.005, size=(TICKERS, n)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, 0.01, size=(TICKERS, n))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, 0.01, size=(TICKERS, n))))
    volume = rng.lognormal(15.0, 1.0, size=(TICKERS, n)).astype(np.int64)
    frame = pl.DataFrame(
        {
            "date": np.tile(days, TICKERS),
            "ticker": np.repeat([f"TK{i:02d}" for i in range(TICKERS)], n),
            # rounding down/up keeps open and close inside [low, high] after rounding
            "open": np.round(open_, 2).ravel(),
            "high": np.ceil(high * 100).ravel() / 100,
            "low": np.floor(low * 100).ravel() / 100,
            "close": np.round(close, 2).ravel(),
            "adj_close": pl.Series([None] * (TICKERS * n), dtype=pl.Float64),
            "volume": volume.ravel(),
        }
    ).with_columns(pl.col("date").cast(pl.Date))
    frame.write_csv(path)
    return frame.height


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        write_file(Path(sys.argv[2]))
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "prices.csv"
        subprocess.run([sys.executable, __file__, "--write", str(path)], check=True)
        from storage.sources.files import check_problems, read_file

        sessions = _sessions()
        times = []
        rows = 0
        for i in range(REPEATS + 1):
            start = time.perf_counter()
            parsed = read_file(path, sessions=sessions)
            check_problems(parsed, skip_bad_rows=False)
            elapsed = time.perf_counter() - start
            rows = parsed.prices.height
            if i:
                times.append(elapsed)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows": rows,
                "read_s": round(statistics.median(times), 4),
                "peak_mb": round(peak_kb / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
