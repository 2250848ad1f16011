"""Benchmark of ``backtest.trading.run_trade_sweep`` at the scale of S&P 500 earnings.

A synthetic daily OHLC panel (seeded: random betas on one market series, an
overnight gap for the open, a few missing days, quarterly dividends of 0.4% of
the price for half of the tickers and SPY) for the 505 tickers of ``earnings_dates.csv`` on the real XNYS
sessions, with the 36,845 real earnings dates as events (each filing date mapped
to the first session on or after it, timing unknown). The sweep trades long,
entry at the close of day k for k = 0..19 (the first close after news of unknown
timing, and later), exit at the close of k + h for h = 1..20, 5 bps per side,
hedged one-for-one with SPY, overlapping trades skipped: 400 cells.

Prints the panel size, the best cell and, as the last line, one JSON object::

    {"events": N, "cells": 400, "seconds": S, "peak_mb": M}

``seconds`` is the wall time of ``run_trade_sweep`` alone (data in memory,
including laying the prices out as matrices); ``peak_mb`` the peak resident set
size of the process.

Data folder: ``REACTION_DATA_DIR``, else ``../shared/data`` beside the repository.
Run: ``.venv/bin/python benchmarks/bench_sweep.py``.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import data_dir, earnings_events, xnys_sessions  # noqa: E402

from backtest.trading import TradeRule, run_trade_sweep  # noqa: E402

SEED = 20251103
BENCHMARK = "SPY"
ENTRY_OFFSETS = range(20)
HOLDING_PERIODS = range(1, 21)


def load_events(path: Path, sessions: np.ndarray) -> pl.DataFrame:
    """The real earnings dates (shared loader) with this benchmark's extra column."""
    return earnings_events(path, sessions).with_columns(pl.lit("unknown").alias("timing"))


def synthetic_prices(
    tickers: list[str], sessions: np.ndarray, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """PRICE_SCHEMA rows for every ticker and session (plus SPY) and a dividend frame."""
    T, n = sessions.shape[0], len(tickers)
    market = rng.normal(0.0003, 0.011, T)
    beta = rng.uniform(0.5, 1.6, n)
    sigma = rng.uniform(0.01, 0.03, n)
    ret = beta[:, None] * market[None, :] + sigma[:, None] * rng.standard_normal((n, T))
    close = np.vstack([rng.uniform(20, 200, n)[:, None] * np.cumprod(1.0 + ret, axis=1)])
    spy = 100.0 * np.cumprod(1.0 + market)
    close = np.vstack([close, spy[None, :]])
    gap = rng.normal(0.0, 0.004, close.shape)
    open_ = np.concatenate([close[:, :1], close[:, :-1]], axis=1) * (1.0 + gap)
    names = [*tickers, BENCHMARK]
    missing = rng.random(close.shape) < 0.001  # a few missing days
    dates = pl.Series("date", sessions).cast(pl.Date)
    frame = pl.DataFrame(
        {
            "ticker": pl.Series(np.repeat(np.asarray(names, dtype=object), T).tolist()),
            "date": pl.concat([dates] * len(names)),
            "open": open_.ravel(),
            "high": np.maximum(open_, close).ravel() * 1.002,
            "low": np.minimum(open_, close).ravel() * 0.998,
            "close": close.ravel(),
            "adj_close": pl.Series([None] * (len(names) * T), dtype=pl.Float64),
            "volume": pl.Series(np.full(len(names) * T, 1_000_000), dtype=pl.Int64),
        }
    ).filter(~pl.Series(missing.ravel()))
    payers = [*tickers[::2], BENCHMARK]
    payer_rows = [*range(0, n, 2), n]
    ex = np.arange(40, T, 63)
    divs = pl.DataFrame(
        {
            "ticker": np.repeat(np.asarray(payers, dtype=object), ex.shape[0]).tolist(),
            "date": pl.concat([pl.Series(sessions[ex]).cast(pl.Date)] * len(payers)),
            "kind": "dividend",
            "value": (0.004 * close[payer_rows][:, ex]).ravel(),  # about 1.6% a year
        }
    )
    return frame, divs


def main() -> None:
    folder = data_dir()
    sessions = xnys_sessions()
    events = load_events(folder / "earnings_dates.csv", sessions)
    tickers = sorted(events.get_column("ticker").unique().to_list())
    last = np.datetime64(events.get_column("day0").max(), "D")
    span = sessions[sessions <= last + np.timedelta64(40, "D")]
    rng = np.random.default_rng(SEED)
    prices, divs = synthetic_prices(tickers, span, rng)
    rule = TradeRule(
        direction="long", entry="close:0", exit="close:1", cost_bps=5.0, hedge="benchmark"
    )
    session_list = pl.Series(sessions).cast(pl.Date)
    print(
        f"panel: {len(tickers)} tickers + {BENCHMARK}, {span.shape[0]} sessions "
        f"({span[0]} .. {span[-1]}), {prices.height:,} price rows, {divs.height:,} dividends; "
        f"events: {events.height:,}; grid {len(ENTRY_OFFSETS)} x {len(HOLDING_PERIODS)}"
    )
    gc.collect()
    t0 = time.perf_counter()
    result = run_trade_sweep(
        events,
        prices,
        rule,
        ENTRY_OFFSETS,
        HOLDING_PERIODS,
        actions=divs,
        sessions=session_list,
    )
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    cells = result.cells
    print(
        f"trades per cell: {cells['n'].min():,} .. {cells['n'].max():,}; overlapping skipped: "
        f"{cells['n_overlapping'].sum():,} over all cells"
    )
    best = result.best()
    if best is not None:
        print(
            f"best cell (synthetic data): entry {best['entry_offset']:+d}, "
            f"hold {best['holding']}, t {best['t_hedged']:.2f}"
        )
    print(
        json.dumps(
            {
                "events": events.height,
                "cells": cells.height,
                "seconds": round(seconds, 3),
                "peak_mb": round(peak_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
