"""Fetch many tickers from any :class:`~storage.sources.base.PriceSource`, one at a time.

A failure on one ticker is recorded and the loop moves on: the caller gets every
batch that arrived and every :class:`~storage.errors.SourceError` that did not,
keyed by the upper-case symbol. Only source errors are collected; anything else
(a bug, ``KeyboardInterrupt``) stops the loop.

Progress is a rich bar on **stderr** (stdout stays machine-readable); it is off when
``progress=False`` or when stderr is not a terminal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from storage.errors import SourceError
from storage.sources.base import PriceBatch, PriceSource

__all__ = ["FetchReport", "fetch_many"]

logger = logging.getLogger(__name__)


@dataclass
class FetchReport:
    """The outcome of :func:`fetch_many`: one entry per ticker, in one of the two dicts.

    Attributes
    ----------
    batches
        Upper-case symbol → what the source returned.
    errors
        Upper-case symbol → why the source failed for it.
    """

    batches: dict[str, PriceBatch] = field(default_factory=dict)
    errors: dict[str, SourceError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no ticker failed."""
        return not self.errors

    def summary(self) -> str:
        """One line such as ``"12 fetched, 1 failed (XYZ)"``."""
        text = f"{len(self.batches)} fetched, {len(self.errors)} failed"
        if self.errors:
            text += f" ({', '.join(self.errors)})"
        return text


def fetch_many(
    source: PriceSource,
    tickers: Iterable[str],
    start: dt.date,
    end: dt.date,
    *,
    progress: bool = True,
    console: Console | None = None,
) -> FetchReport:
    """Call ``source.fetch_daily`` for each ticker; keep going when one fails.

    Parameters
    ----------
    source
        Any price source (Yahoo, files, in-memory).
    tickers
        Symbols, any case; duplicates (after upper-casing) are fetched once.
    start, end
        Inclusive date range, the same for every ticker.
    progress
        Show a progress bar on stderr (only when stderr is a terminal).
    console
        Where the bar goes; default ``Console(stderr=True)``.

    Returns
    -------
    FetchReport
        Batches and errors keyed by upper-case symbol, in the order asked.

    Raises
    ------
    ValueError
        ``end`` is before ``start``, or a ticker is empty.
    """
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start}); both dates are inclusive")
    symbols = _unique_symbols(tickers)
    console = console if console is not None else Console(stderr=True)
    report = FetchReport()
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (progress and console.is_terminal),
    )
    with bar:
        task = bar.add_task(f"prices from {source.name}", total=len(symbols))
        for symbol in symbols:
            bar.update(task, description=f"prices from {source.name}: {symbol}")
            try:
                report.batches[symbol] = source.fetch_daily(symbol, start, end)
            except SourceError as exc:
                logger.warning("%s: %s", symbol, exc)
                report.errors[symbol] = exc
            bar.advance(task)
    return report


def _unique_symbols(tickers: Iterable[str]) -> list[str]:
    symbols: dict[str, None] = {}
    for ticker in tickers:
        symbol = ticker.strip().upper()
        if not symbol:
            raise ValueError(f"tickers must be non-empty symbols such as 'MSFT', got {ticker!r}")
        symbols.setdefault(symbol, None)
    return list(symbols)
