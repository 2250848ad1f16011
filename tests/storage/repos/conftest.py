"""Fixtures of the repository tests: a fresh store with a fixed clock, and small frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from storage.session import OpenStore
from storage.store import Store

FIXED = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)


@pytest.fixture
def now() -> dt.datetime:
    """The time the store's clock gives."""
    return FIXED


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.duckdb", clock=lambda: FIXED)


@pytest.fixture
def db(store: Store) -> Iterator[OpenStore]:
    """A write session on a fresh store."""
    with store.open(write=True) as session:
        yield session


def price_frame(
    ticker: str, closes: list[float], start: dt.date = dt.date(2025, 10, 1)
) -> pl.DataFrame:
    """Consecutive calendar days from ``start`` (the store does not check for sessions)."""
    closes = [float(c) for c in closes]
    n = len(closes)
    return pl.DataFrame(
        {
            "ticker": [ticker] * n,
            "date": [start + dt.timedelta(days=i) for i in range(n)],
            "open": closes,
            "high": [c + 1 for c in closes],
            "low": [c - 1 for c in closes],
            "close": closes,
            "adj_close": [None] * n,
            "volume": [100] * n,
        }
    )


@pytest.fixture
def prices() -> Callable[..., pl.DataFrame]:
    return price_frame
