"""Builders of small synthetic panels for the engine tests (seeded, market-model data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from backtest import total_returns


def weekdays(n: int, start: dt.date = dt.date(2020, 1, 2)) -> list[dt.date]:
    """``n`` consecutive weekdays from ``start`` (a stand-in session calendar)."""
    out: list[dt.date] = []
    d = start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def market_panel(
    n_days: int,
    tickers: dict[str, tuple[float, float, float]],
    *,
    seed: int = 7,
    benchmark: str = "SPY",
    market_sd: float = 0.01,
) -> tuple[pl.DataFrame, list[dt.date]]:
    """Returns ``R = a + b R_m + s e`` for ``tickers = {name: (a, b, s)}`` plus the benchmark."""
    rng = np.random.default_rng(seed)
    days = weekdays(n_days)
    market = rng.normal(0.0003, market_sd, n_days)
    frames = [pl.DataFrame({"ticker": benchmark, "date": days, "ret": market})]
    for name, (a, b, s) in tickers.items():
        ret = a + b * market + s * rng.standard_normal(n_days)
        frames.append(pl.DataFrame({"ticker": name, "date": days, "ret": ret}))
    return pl.concat(frames), days


@pytest.fixture(scope="session")
def make_weekdays() -> Callable[..., list[dt.date]]:
    return weekdays


@pytest.fixture(scope="session")
def make_market_panel() -> Callable[..., tuple[pl.DataFrame, list[dt.date]]]:
    return market_panel


@pytest.fixture(scope="session")
def real_returns(shared_data: Path) -> pl.DataFrame:
    """Total returns of the 13 real tickers (close + dividends)."""
    prices = pl.read_csv(
        shared_data / "prices_daily.csv",
        try_parse_dates=True,
        schema_overrides={"adj_close": pl.Float64},
    )
    divs = pl.read_csv(shared_data / "dividends.csv", try_parse_dates=True).select(
        "ticker", "date", pl.lit("dividend").alias("kind"), pl.col("dividend").alias("value")
    )
    return total_returns(prices, divs)


@pytest.fixture(scope="session")
def real_factors(shared_data: Path) -> pl.DataFrame:
    """Fama–French factors as fractions."""
    raw = pl.read_csv(shared_data / "ff_factors_daily.csv", try_parse_dates=True)
    return raw.with_columns(pl.exclude("date") / 100.0)


def frame_rows(frame: pl.DataFrame, columns: Sequence[str]) -> list[tuple[object, ...]]:
    return frame.select(columns).rows()
