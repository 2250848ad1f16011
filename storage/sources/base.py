"""The contract every price source meets, and the canonical frame schemas.

A source turns "ticker, start, end" into one :class:`PriceBatch` in our own
schema, straight away: no source-specific columns leave the source module.

Canonical price frame (``PRICE_SCHEMA``), one row per ticker and session:

=========  =========  ==========================================================
column     dtype      meaning
=========  =========  ==========================================================
ticker     String     upper-case symbol
date       Date       exchange-local session date
open       Float64    split-adjusted open
high       Float64    split-adjusted high
low        Float64    split-adjusted low
close      Float64    split-adjusted close (Yahoo's "Close"; *not* dividend-adjusted)
adj_close  Float64    split- and dividend-adjusted close; null when the source has none
volume     Int64      shares (split-adjusted); null when unknown
=========  =========  ==========================================================

Canonical corporate-action frame (``ACTION_SCHEMA``):

=========  =========  ==========================================================
ticker     String     upper-case symbol
date       Date       ex-date (session)
kind       String     ``"dividend"`` or ``"split"``
value      Float64    cash per share (split-adjusted) or split ratio new/old (4.0 for 4:1)
=========  =========  ==========================================================

Ticker symbols are Yahoo's (``AMZN``, ``BRK-B``, ``BF.B``, ``^GSPC``, ``EURUSD=X``):
:func:`check_ticker` is the one rule every file and source applies to them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import polars as pl

PRICE_SCHEMA: dict[str, pl.DataType] = {
    "ticker": pl.String(),
    "date": pl.Date(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "adj_close": pl.Float64(),
    "volume": pl.Int64(),
}

ACTION_SCHEMA: dict[str, pl.DataType] = {
    "ticker": pl.String(),
    "date": pl.Date(),
    "kind": pl.String(),
    "value": pl.Float64(),
}


#: A normalised ticker symbol: an optional leading ``^`` (indices), then a letter or digit, then
#: up to 19 letters, digits, ``.``, ``^``, ``=`` or ``-``. Upper-case only: normalise first.
#: The characters ``str.strip()`` removes, spelled out so that vectorised code (polars'
#: ``strip_chars``) normalises exactly as :func:`check_ticker` does.
WHITESPACE = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def check_ticker(value: str) -> str:
    """``value`` stripped and upper-cased, if it is a ticker symbol.

    The rule is the project's one rule, :func:`events.normalise_ticker` (catalogs, study
    files, ``--ticker`` options and price files all apply it).

    Raises
    ------
    ValueError
        with a sentence naming the value and what a symbol may hold.
    """
    from events.tickers import normalise_ticker

    return normalise_ticker(value)


def empty_prices() -> pl.DataFrame:
    """An empty frame with :data:`PRICE_SCHEMA` (for *actions* only; never a failed fetch)."""
    return pl.DataFrame(schema=PRICE_SCHEMA)


def empty_actions() -> pl.DataFrame:
    """An empty frame with :data:`ACTION_SCHEMA`."""
    return pl.DataFrame(schema=ACTION_SCHEMA)


@dataclass(frozen=True)
class PriceBatch:
    """What one source returned for one ticker: prices and corporate actions.

    ``prices`` is never empty: a source raises :class:`storage.errors.NoPriceDataError`
    instead.
    """

    ticker: str
    prices: pl.DataFrame
    actions: pl.DataFrame = field(default_factory=empty_actions)
    source: str = "unknown"


@runtime_checkable
class PriceSource(Protocol):
    """Anything that can fetch daily bars for one ticker.

    Implementations: :class:`storage.sources.yahoo.YahooSource` (network) and
    :class:`storage.sources.files.FileSource` (a price file or a folder of them).
    Tests use :class:`storage.sources.memory.MemorySource`.
    """

    name: str

    def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
        """Daily bars for ``ticker`` with ``start <= date <= end`` (both inclusive).

        Raises
        ------
        storage.errors.SourceError
            (or a subclass) when nothing usable came back: never an empty frame.
        """
        ...
