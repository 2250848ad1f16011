"""Where prices come from: the default source (Yahoo, or a vendor's files), held to the contract."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl

from jobs.settings import Settings
from storage.errors import NoPriceDataError, SourceError, StorageError
from storage.sources.base import PriceBatch, PriceSource


class CappedSource:
    """Holds a source to the contract: rows within ``[start, end]`` only, never an empty batch.

    It also remembers the last session each ticker's batch reached, and turns
    storage errors of file sources (an unreadable file) into per-ticker
    :class:`~storage.errors.SourceError`.
    """

    def __init__(self, inner: PriceSource) -> None:
        self.inner = inner
        self.name = inner.name
        self.reached: dict[str, dt.date] = {}

    def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
        try:
            batch = self.inner.fetch_daily(ticker, start, end)
        except SourceError:
            raise
        except StorageError as exc:
            raise SourceError(f"{self.name}: {exc}", ticker=ticker) from exc
        window = pl.col("date").is_between(start, end)
        prices = batch.prices.filter(window)
        if prices.height == 0:
            raise NoPriceDataError(
                f"{self.name} returned no prices for {ticker} between {start} and {end}",
                ticker=ticker,
            )
        self.reached[ticker.upper()] = prices.get_column("date").max()  # type: ignore[assignment]
        return PriceBatch(batch.ticker, prices, batch.actions.filter(window), batch.source)


def default_source(settings: Settings, path: Path | None = None) -> PriceSource:
    """A file source over ``path`` or ``settings.source`` when set, else Yahoo Finance."""
    chosen = path or settings.source
    if chosen is not None:
        from storage.sources.files import FileSource

        return FileSource(chosen)
    from storage.sources.yahoo import YahooSource

    return YahooSource()


def default_source_factory(
    settings: Settings, path: Path | None = None
) -> Callable[[], PriceSource]:
    """Sources for repeated runs: a fresh file source each time (new daily drops are read),
    one Yahoo source reused (its session and caches live as long as the process)."""
    if path or settings.source:
        return lambda: default_source(settings, path)
    made: list[PriceSource] = []

    def yahoo() -> PriceSource:
        if not made:
            made.append(default_source(settings))
        return made[0]

    return yahoo
