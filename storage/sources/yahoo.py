"""Daily prices and corporate actions from Yahoo Finance, through yfinance.

This is the only module of market-reaction that imports :mod:`yfinance`. It asks
``yf.Ticker(sym).history`` for unadjusted-for-dividends bars (``auto_adjust=False``)
with actions, and turns the answer straight into :data:`~storage.sources.base.PRICE_SCHEMA`
and :data:`~storage.sources.base.ACTION_SCHEMA` frames:

- ``date`` is the exchange-local session date (yfinance's index is tz-aware at local midnight);
- ``close`` is Yahoo's *Close* (split-adjusted only), ``adj_close`` its *Adj Close*;
- the ``Dividends`` and ``Stock Splits`` columns become action rows
  (``"dividend"``: cash per share; ``"split"``: ratio new/old, 4.0 for 4:1).

Errors
------
yfinance's typed errors are switched on for the duration of each call only
(``yf.config.debug.hide_exceptions = False``, restored afterwards), and every
exception coming out of yfinance, requests or curl_cffi is translated into
:mod:`storage.errors` (chained with ``raise ... from``):

==========================================  ==========================================
yfinance / HTTP                             raised here
==========================================  ==========================================
``YFRateLimitError``, HTTP 429              :class:`RateLimitedError` (after retries)
timeouts, connection errors                 :class:`SourceTimeoutError` (after retries)
``YFPricesMissingError``, empty frame       :class:`NoPriceDataError`
``YFTzMissingError``, other                 :class:`UnknownTickerError`
``YFTickerMissingError``, HTTP 404
anything else                               :class:`SourceError`
==========================================  ==========================================

Rate limits and timeouts are retried here with capped exponential backoff and full
jitter (:mod:`storage.sources.retry`); yfinance itself has no 429 backoff.

Process-wide state in yfinance
------------------------------
yfinance keeps its configuration, its HTTP session (``YfData`` singleton) and an
in-memory response cache process-wide, and its SQLite caches (timezone per symbol,
cookie, ISIN) in ``~/.cache/py-yfinance`` unless told otherwise. :class:`YahooSource`
therefore, around every call,

1. holds one module-wide lock (two sources must not swap yfinance's global session
   or config under each other's feet; sleeping between retries happens outside it);
2. passes its own session (``None`` keeps whatever session yfinance holds);
3. clears yfinance's in-memory response cache, so a repeated request reaches Yahoo
   (Adj Close changes when a new dividend arrives);
4. points the SQLite caches at ``cache_dir`` (by default a fresh directory under the
   system temp folder, one per instance), so nothing is written to the user's home.

NOTE: yfinance binds its timezone and cookie caches to the first location it opens
in a process (verified with 1.7.0): later ``set_tz_cache_location`` calls do not move
them. With several instances the *first* instance's directory keeps those files,
which is why this module never deletes a cache directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import polars as pl
import yfinance as yf
from yfinance import exceptions as yfe
from yfinance.data import YfData

from storage.errors import (
    NoPriceDataError,
    RateLimitedError,
    SourceError,
    SourceTimeoutError,
    UnknownTickerError,
)
from storage.sources.base import ACTION_SCHEMA, PRICE_SCHEMA, PriceBatch
from storage.sources.retry import RetryPolicy, call_with_retry

if TYPE_CHECKING:
    import requests

# What yfinance returns: a pandas DataFrame. pandas ships no type stubs here
# (no pandas-stubs), so it is typed loosely and read only in normalise_history.
PandasFrame: TypeAlias = Any

__all__ = ["YahooSource"]

# yfinance's config, session and caches are process-wide: one call at a time.
_YFINANCE_LOCK = threading.Lock()

# Matched by name along the MRO so that requests' and curl_cffi's classes both count.
_TIMEOUT_NAMES = frozenset(
    {
        "Timeout",
        "ConnectTimeout",
        "ReadTimeout",
        "TimeoutError",
        "ConnectionError",
        "ChunkedEncodingError",
        "RemoteDisconnected",
    }
)
_PRICE_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
}
_ACTION_COLUMNS = {"Dividends": "dividend", "Stock Splits": "split"}


class YahooSource:
    """A :class:`~storage.sources.base.PriceSource` backed by Yahoo Finance (network).

    Parameters
    ----------
    session
        HTTP session handed to yfinance: a ``requests.Session`` or a
        ``curl_cffi.requests.Session``, subclasses included. ``None`` uses the session
        yfinance holds process-wide: its own curl_cffi session impersonating Chrome
        (what Yahoo expects) unless another caller in the process installed one.
        Tests pass a ``requests.Session`` with a fake transport adapter mounted.
    retries
        Retries after a rate limit (HTTP 429) or a timeout / connection error.
    backoff, max_backoff
        Base and cap of the exponential backoff, in seconds (full jitter).
    sleep, rng
        Injected ``time.sleep`` and random generator (``None``: a fresh ``random.Random()``).
    timeout
        Per-request timeout in seconds, passed to yfinance.
    cache_dir
        Where yfinance may keep its SQLite caches (see the module notes). ``None``:
        a new directory under the system temp folder.
    """

    name = "yahoo"
    remote = True  # every fetch waits on the network (see PriceSource)

    def __init__(
        self,
        session: requests.Session | None = None,
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        timeout: float = 10,
        cache_dir: str | Path | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive (seconds), got {timeout}")
        self._session = session
        self._policy = RetryPolicy(retries=retries, backoff=backoff, max_backoff=max_backoff)
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._timeout = timeout
        if cache_dir is None:
            cache_dir = tempfile.mkdtemp(prefix="market-reaction-yfinance-")
        self.cache_dir = Path(cache_dir)
        # yfinance logs its own retries and failures; ours are raised as sentences instead
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)

    def __repr__(self) -> str:
        return (
            f"YahooSource(retries={self._policy.retries}, backoff={self._policy.backoff}, "
            f"max_backoff={self._policy.max_backoff}, timeout={self._timeout}, "
            f"cache_dir={str(self.cache_dir)!r})"
        )

    def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
        """Daily bars and actions for ``ticker`` with ``start <= date <= end``.

        Parameters
        ----------
        ticker
            Yahoo symbol, any case (``"msft"``, ``"BRK-B"``, ``"SAP.DE"``, ``"^GSPC"``).
        start, end
            First and last session wanted, both inclusive.

        Returns
        -------
        PriceBatch
            ``prices`` in :data:`PRICE_SCHEMA` (never empty), ``actions`` in
            :data:`ACTION_SCHEMA`, ``source="yahoo"``.

        Raises
        ------
        NoPriceDataError
            Yahoo returned no bars in the range (also for a range without sessions).
        UnknownTickerError
            Yahoo does not know the symbol.
        RateLimitedError, SourceTimeoutError
            Still refused, or still no answer, after the retries.
        SourceError
            Any other failure of Yahoo or yfinance.
        ValueError
            An empty ticker, or ``end`` before ``start``.
        """
        symbol = _symbol(ticker)
        if end < start:
            raise ValueError(
                f"end ({end}) is before start ({start}) for {symbol}: both dates are inclusive, "
                "so pass end >= start"
            )
        try:
            frame = call_with_retry(
                lambda: self._history(symbol, start, end),
                is_transient=_is_transient,
                policy=self._policy,
                sleep=self._sleep,
                rng=self._rng,
            )
        except Exception as exc:
            raise _translate(exc, symbol, start, end, self._policy.attempts) from exc
        prices, actions = normalise_history(frame, symbol, start, end)
        return PriceBatch(ticker=symbol, prices=prices, actions=actions, source=self.name)

    def _history(self, symbol: str, start: dt.date, end: dt.date) -> PandasFrame:
        """One attempt: ask yfinance for the bars (its ``end`` is exclusive)."""
        with _yfinance_call(self.cache_dir):
            ticker = yf.Ticker(symbol, session=self._session)
            frame: PandasFrame = ticker.history(
                start=start.isoformat(),
                end=(end + dt.timedelta(days=1)).isoformat(),
                interval="1d",
                auto_adjust=False,
                back_adjust=False,
                actions=True,
                repair=False,
                keepna=False,
                prepost=False,
                rounding=False,
                timeout=self._timeout,
            )
        return frame


@contextlib.contextmanager
def _yfinance_call(cache_dir: Path) -> Iterator[None]:
    """Hold the lock, make yfinance raise, and keep its SQLite caches in ``cache_dir``."""
    with _YFINANCE_LOCK:
        previous = yf.config.debug.hide_exceptions
        yf.config.debug.hide_exceptions = False
        try:
            yf.set_tz_cache_location(str(cache_dir))
            # yfinance answers a repeated past-range request from an in-process LRU cache;
            # Adj Close changes whenever a new dividend or split arrives, so always ask Yahoo.
            YfData.cache_get.cache_clear()
            yield
        finally:
            yf.config.debug.hide_exceptions = previous


def _symbol(ticker: str) -> str:
    symbol = ticker.strip().upper()
    if not symbol:
        raise ValueError(f"ticker must be a non-empty symbol such as 'MSFT', got {ticker!r}")
    return symbol


# ----------------------------------------------------------------------------- errors


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status of a requests / curl_cffi ``HTTPError``, else ``None``."""
    if "HTTPError" not in _class_names(exc):
        return None
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _is_rate_limit(exc: BaseException) -> bool:
    return isinstance(exc, yfe.YFRateLimitError) or _http_status(exc) == 429


def _is_timeout(exc: BaseException) -> bool:
    if _http_status(exc) is not None:
        return False
    return isinstance(exc, TimeoutError | ConnectionError) or bool(
        _class_names(exc) & _TIMEOUT_NAMES
    )


def _is_transient(exc: Exception) -> bool:
    return _is_rate_limit(exc) or _is_timeout(exc)


def _translate(
    exc: Exception, symbol: str, start: dt.date, end: dt.date, attempts: int
) -> SourceError:
    """Our error for whatever yfinance (or the HTTP stack under it) raised."""
    span = f"{start}..{end}"
    if _is_rate_limit(exc):
        return RateLimitedError(
            f"Yahoo kept answering 'Too Many Requests' (HTTP 429) for {symbol} ({span}) after "
            f"{attempts} attempts; wait a few minutes before fetching again, or fetch fewer "
            "tickers per run.",
            ticker=symbol,
        )
    if _is_timeout(exc):
        return SourceTimeoutError(
            f"Yahoo did not answer for {symbol} ({span}) after {attempts} attempts "
            f"({type(exc).__name__}: {exc}); check the network connection, or work offline: "
            "'reaction prices import FILE', or 'reaction refresh --source FILE_OR_FOLDER'.",
            ticker=symbol,
        )
    if isinstance(exc, yfe.YFPricesMissingError):
        return NoPriceDataError(
            f"Yahoo returned no daily prices for {symbol} between {start} and {end} "
            f"(yfinance: {exc}); check that the range contains trading sessions and that the "
            "symbol is right.",
            ticker=symbol,
        )
    status = _http_status(exc)
    if isinstance(exc, yfe.YFTickerMissingError) or status == 404:
        reason = f"HTTP {status}" if status is not None else f"yfinance: {exc}"
        return UnknownTickerError(
            f"Yahoo does not know the symbol {symbol} ({reason}); check the spelling, and add "
            "the exchange suffix for non-US listings (e.g. 'SAP.DE').",
            ticker=symbol,
        )
    if status is not None:
        return SourceError(
            f"Yahoo answered HTTP {status} for {symbol} ({span}); try again later.",
            ticker=symbol,
        )
    return SourceError(
        f"yfinance failed for {symbol} ({span}) with {type(exc).__name__}: {exc}; if this "
        "persists, yfinance may need an update (Yahoo changes its responses).",
        ticker=symbol,
    )


# -------------------------------------------------------------------------- normalise


def normalise_history(
    frame: PandasFrame, symbol: str, start: dt.date, end: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn a yfinance ``history(auto_adjust=False, actions=True)`` frame into our schemas.

    Parameters
    ----------
    frame
        Index: tz-aware ``DatetimeIndex`` at exchange-local midnight. Columns:
        ``Open High Low Close Adj Close Volume`` and, when present, ``Dividends``
        and ``Stock Splits`` (0 on days without an action).
    symbol
        Upper-case symbol written into the ``ticker`` column.
    start, end
        Inclusive range; rows outside it are dropped.

    Returns
    -------
    tuple of pl.DataFrame
        Prices in :data:`PRICE_SCHEMA` sorted by date, one row per session, rows
        without a close dropped; actions in :data:`ACTION_SCHEMA`.

    Raises
    ------
    NoPriceDataError
        No row with a close is left.
    """
    missing = [c for c in ("Open", "High", "Low", "Close") if c not in frame.columns]
    if len(frame) == 0 or missing:
        raise NoPriceDataError(
            f"Yahoo returned no daily prices for {symbol} between {start} and {end}"
            + (f" (columns {missing} missing)" if missing and len(frame) else "")
            + "; check that the range contains trading sessions and that the symbol is right.",
            ticker=symbol,
        )
    dates = pl.Series("date", list(frame.index.date), dtype=pl.Date)
    columns: dict[str, pl.Series] = {"date": dates}
    for yahoo_name, ours in {**_PRICE_COLUMNS, **_ACTION_COLUMNS, "Volume": "volume"}.items():
        columns[ours] = _float_column(frame, yahoo_name, ours)
    wide = pl.DataFrame(columns).filter(pl.col("date").is_between(start, end))

    prices = (
        wide.filter(pl.col("close").is_not_null())
        .with_columns(
            pl.lit(symbol, dtype=pl.String).alias("ticker"),
            pl.col("volume").round(0).cast(pl.Int64),
        )
        .unique(subset="date", keep="last")
        .sort("date")
        .select(list(PRICE_SCHEMA))
        .cast(PRICE_SCHEMA)  # type: ignore[arg-type]
    )
    if prices.height == 0:
        raise NoPriceDataError(
            f"Yahoo returned no daily prices with a close for {symbol} between {start} and "
            f"{end}; check that the range contains trading sessions.",
            ticker=symbol,
        )
    actions = (
        wide.unpivot(index="date", on=["dividend", "split"], variable_name="kind")
        .filter(pl.col("value").is_not_null() & (pl.col("value") != 0.0))
        .with_columns(pl.lit(symbol, dtype=pl.String).alias("ticker"))
        .unique(subset=["date", "kind"], keep="last")
        .sort("date", "kind")
        .select(list(ACTION_SCHEMA))
        .cast(ACTION_SCHEMA)  # type: ignore[arg-type]
    )
    return prices, actions


def _float_column(frame: PandasFrame, yahoo_name: str, ours: str) -> pl.Series:
    """One column as Float64 with NaN turned into null (all null when absent)."""
    if yahoo_name not in frame.columns:
        return pl.Series(ours, [None] * len(frame), dtype=pl.Float64)
    values: Any = frame[yahoo_name].to_numpy(dtype="float64", na_value=float("nan"))
    return pl.Series(ours, values, dtype=pl.Float64, nan_to_null=True)
