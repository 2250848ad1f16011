"""An in-memory :class:`~storage.sources.base.PriceSource`, for tests and benchmarks.

It serves the rows it was given, can be told to fail for a ticker, and
records every call, so tests can assert exactly what was asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from storage.errors import NoPriceDataError, SourceError
from storage.sources.base import PRICE_SCHEMA, PriceBatch, empty_actions


@dataclass
class MemorySource:
    """Prices (and actions) held in frames; ``failures`` maps a ticker to the error to raise."""

    prices: pl.DataFrame
    actions: pl.DataFrame = field(default_factory=empty_actions)
    failures: dict[str, SourceError] = field(default_factory=dict)
    name: str = "memory"
    remote: bool = False  # answers at once (see PriceSource)
    calls: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.prices = self.prices.select([pl.col(c).cast(t) for c, t in PRICE_SCHEMA.items()])

    def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
        symbol = ticker.upper()
        self.calls.append((symbol, start, end))
        if symbol in self.failures:
            raise self.failures[symbol]
        window = (pl.col("ticker") == symbol) & pl.col("date").is_between(start, end)
        rows = self.prices.filter(window).sort("date")
        if rows.height == 0:
            raise NoPriceDataError(
                f"no prices for {symbol} between {start} and {end}", ticker=symbol
            )
        return PriceBatch(symbol, rows, self.actions.filter(window).sort("date"), source=self.name)
