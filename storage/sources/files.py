"""Price and dividend files: layout detection, parsing, row validation.

Layouts recognised by their header (case-insensitive, any column order):

============  =====================================================  ==========================
layout        header                                                  ticker comes from
============  =====================================================  ==========================
``long``      ``date,ticker,open,high,low,close[,adj_close][,volume]``  the ``ticker`` column
``yahoo``     ``Date,Open,High,Low,Close,Adj Close,Volume``             the file name (``AMZN.csv``)
                                                                       or ``ticker=``
``dividends`` ``date,ticker,dividend``                                  the ``ticker`` column
``yahoo_div`` ``Date,Dividends``                                        the file name or ``ticker=``
``splits``    ``date,ticker,split`` (ratio new/old, e.g. 4 for 4:1)     the ``ticker`` column
============  =====================================================  ==========================

Parquet files with the ``long`` (or ``yahoo``) columns are read the same way.

Reading
-------
A file is read in bulk by polars' CSV (or Parquet) reader with a typed schema (prices,
volumes and action values as Float64; dates and tickers as text), and every check below is
one vectorised expression over all rows. Only when a cell is not a number, or some row
fails a check, is the file read again with every column as text, so that the reasons can
quote cells as they are written. Empty cells, cells of spaces, and ``null``, ``NULL``,
``nan``, ``NaN``, ``NA``, ``N/A``, ``None`` are missing values.

Rows that cannot be loaded
--------------------------
Each is reported as ``(line, reason)``: the line of the file (the header is line 1) and,
from each group below that the row fails, the first reason that applies.

*date*
    missing, or not ``YYYY-MM-DD`` (anything after the tenth character, such as a time, is
    ignored); a Saturday or Sunday (``2025-11-01 is a Saturday, not a trading session``);
    with ``sessions``, a weekday that is not a session (``2025-11-27 is not a trading
    session (a weekday the exchange was closed)``).
*ticker* (files with a ``ticker`` column)
    missing, or not a symbol once stripped and upper-cased, by the rule of
    :func:`storage.sources.base.check_ticker` (``ticker "x'; drop table prices; --" is not
    a ticker symbol: ...``).
*values* of a price row
    close missing; open, high, low, close or adj_close not a number, not finite (``inf``),
    not positive, or above :data:`MAX_PRICE`; volume not a number, not finite, negative,
    or above :data:`MAX_VOLUME`; then high below low, close above high, close below low,
    open above high, open below low (each compared only when both are given).
*values* of a dividend or split row
    missing, not a positive number, not finite; a dividend above :data:`MAX_PRICE`.
*duplicates*
    a row whose ticker and date repeat those of an earlier row of the file that has no
    other problem.

Absurdity bounds. No share has traded near :data:`MAX_PRICE` = 10,000,000 (Berkshire
Hathaway A, the dearest, is below 1,000,000), and no daily volume near :data:`MAX_VOLUME`
= 1e13 shares (the largest are about 1e10), so larger values are taken for corruption:
wrong units, a shifted column, ``1e308`` written for "missing". A split-adjusted history
after many reverse splits could exceed the price bound; such a file is refused, never
clipped.

Sessions. A Saturday or Sunday is never a session (the NYSE has not traded on Saturdays
since 1952). Weekday holidays are known only from ``sessions``, a sorted sequence or array
of session dates (callers pass ``events.nyse().sessions``); without it only weekends are
refused, and dates outside ``sessions``' first..last session are checked for weekends
only. Rows on weekday non-sessions are never dropped silently: they cannot be loaded like
any bad row, and :func:`check_problems` names their dates and says what to do (the usual
cause is a vendor file built on plain business days). With ``skip_bad_rows`` they are left
out and reported, as every bad row is.

:func:`check_problems` then either raises or, with ``skip_bad_rows``, lets the caller load
the rest and report the bad rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import polars as pl

from storage.errors import ImportFileError, NoPriceDataError, UnknownLayoutError
from storage.sources.base import (
    ACTION_SCHEMA,
    PRICE_SCHEMA,
    WHITESPACE,
    PriceBatch,
    check_ticker,
    empty_actions,
)
from storage.sources.file_checks import (
    action_checks,
    closed_weekday,
    date_checks,
    numbers,
    price_checks,
    reasons,
    ticker_checks,
)
from storage.sources.limits import MISSING, PRICES

if TYPE_CHECKING:  # numpy only for the type of sessions: the import needs no numpy
    import numpy as np
    import numpy.typing as npt

#: Session dates for the holiday check: ``datetime.date`` values, a ``datetime64[D]`` array
#: (as ``events.nyse().sessions``) or a polars ``Date`` series.
SessionDates: TypeAlias = "Sequence[dt.date] | npt.NDArray[np.datetime64] | pl.Series"

MAX_PROBLEMS_SHOWN = 10
MAX_DATES_SHOWN = 10

_MISSING = list(MISSING)
_YAHOO_NAMES = {
    "date": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adj close": "adj_close",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "volume": "volume",
    "dividends": "dividend",
    "ticker": "ticker",
    "symbol": "ticker",
}
_NUMBERS = {*PRICES, "volume", "dividend", "split"}
_KNOWN = {"date", "ticker", *_NUMBERS}
_PER_TICKER = {"yahoo", "yahoo_div"}
_ACTIONS = {"dividends", "yahoo_div", "splits"}


@dataclass(frozen=True)
class ParsedFile:
    """One file read into our schemas, with the rows that were rejected.

    ``holidays`` lists the weekdays (sorted, distinct) of rows refused because they are
    not sessions of the ``sessions`` given to :func:`read_file`.
    """

    path: Path
    layout: str
    prices: pl.DataFrame
    actions: pl.DataFrame
    rows_read: int
    problems: list[tuple[int, str]] = field(default_factory=list)
    holidays: list[dt.date] = field(default_factory=list)


def detect_layout(columns: list[str]) -> str:
    """Name the layout of a header (see the module docstring), or raise."""
    names = {c.strip().lower() for c in columns}
    if {"date", "ticker", "dividend"} <= names:
        return "dividends"
    if {"date", "ticker", "split"} <= names:
        return "splits"
    if {"date", "ticker", "close"} <= names:
        return "long"
    if {"date", "close"} <= names and ("adj close" in names or "open" in names):
        return "yahoo"
    if names == {"date", "dividends"}:
        return "yahoo_div"
    if {"date", "mkt_rf"} <= names or {"mkt-rf"} <= names:
        return "factors"
    raise ValueError(f"unrecognised header {columns}")


# -- reading ---------------------------------------------------------------------------


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in {".parquet", ".pq"}


def _unreadable(path: Path, exc: Exception) -> ImportFileError:
    if isinstance(exc, FileNotFoundError):
        return ImportFileError(f"{path}: no such file", path=str(path))
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    kind = "Parquet" if _is_parquet(path) else "CSV"
    return ImportFileError(f"{path}: cannot be read as {kind}: {first}", path=str(path))


def _header(path: Path) -> list[str]:
    try:
        if _is_parquet(path):
            return list(pl.read_parquet_schema(path))
        return pl.read_csv(path, n_rows=0, infer_schema=False).columns
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _unreadable(path, exc) from exc


def _layout(path: Path, header: list[str]) -> str:
    try:
        layout = detect_layout(header)
    except ValueError as exc:
        raise UnknownLayoutError(
            f"{path}: header {header} matches no known layout; expected "
            "'date,ticker,open,high,low,close,adj_close,volume', Yahoo's "
            "'Date,Open,High,Low,Close,Adj Close,Volume', or 'date,ticker,dividend'",
            path=str(path),
        ) from exc
    if layout == "factors":
        raise UnknownLayoutError(
            f"{path} holds factor returns, not prices: import it with 'reaction factors import {path}'",
            path=str(path),
        )
    return layout


def _columns(header: list[str], layout: str) -> dict[str, str]:
    """The file's columns we read, mapped to our names (the first of each name wins)."""
    names: dict[str, str] = {}
    for column in header:
        key = column.strip().lower()
        ours = _YAHOO_NAMES.get(key, key)
        if ours not in _KNOWN or ours in names.values():
            continue
        if ours == "ticker" and layout in _PER_TICKER:
            continue  # the file name (or ticker=) names the symbol of a per-ticker file
        names[column] = ours
    return names


def _read(path: Path, names: dict[str, str], *, typed: bool) -> pl.DataFrame:
    """The columns ``names`` of ``path`` under our names: numbers as Float64 when ``typed``
    (raising when a cell does not parse), else every column as text."""
    numbers = [column for column, ours in names.items() if ours in _NUMBERS]
    if _is_parquet(path):
        frame = pl.read_parquet(path, columns=list(names))
        if typed:
            frame = frame.with_columns(
                *(pl.col(c).cast(pl.Float64) for c in numbers),
                *(pl.col(c).cast(pl.String) for c in names if c not in numbers),
            )
        else:
            frame = frame.with_columns(pl.all().cast(pl.String))
    else:
        frame = pl.read_csv(
            path,
            columns=list(names),
            infer_schema=False,
            schema_overrides=dict.fromkeys(numbers, pl.Float64()) if typed else None,
            null_values=_MISSING,
            truncate_ragged_lines=False,
        )
    return frame.rename(names)


def _file_ticker(path: Path, ticker: str | None) -> str:
    """The symbol of a per-ticker file: ``ticker``, else the file name up to the first ``_``."""
    if ticker is not None:
        return _given_ticker(path, ticker)
    try:
        return check_ticker(path.stem.split("_")[0])
    except ValueError as exc:
        raise ImportFileError(
            f"{path}: the file name does not start with a ticker: {exc}; name the file after "
            "its ticker (e.g. AMZN.csv) or give the ticker (--ticker)",
            path=str(path),
        ) from exc


def _given_ticker(path: Path, ticker: str) -> str:
    try:
        return check_ticker(ticker)
    except ValueError as exc:
        raise ImportFileError(
            f"{path}: the ticker given is not usable: {exc}", path=str(path)
        ) from exc


def _session_days(sessions: SessionDates | None) -> pl.Series | None:
    if sessions is None:
        return None
    days = sessions if isinstance(sessions, pl.Series) else pl.Series("sessions", sessions)
    days = days.cast(pl.Date).drop_nulls()
    return days if days.len() else None


@dataclass(frozen=True)
class _Rules:
    """What ``read_file`` was asked for, besides the path."""

    layout: str
    symbol: str | None  # the (checked) symbol of a per-ticker file
    only: str | None  # keep only this symbol's rows (``ticker=`` on a long file)
    sessions: pl.Series | None  # Date


def read_file(
    path: str | Path, *, ticker: str | None = None, sessions: SessionDates | None = None
) -> ParsedFile:
    """Read a price, dividend or split file in any known layout, and validate its rows.

    Parameters
    ----------
    path
        A CSV or Parquet file.
    ticker
        The symbol of a per-ticker layout (default: the file name's stem up to the first
        ``_``); for a file with a ``ticker`` column, only that symbol's rows are read.
    sessions
        Sorted session dates; rows on a weekday that is not one of them (between the
        first and the last) cannot be loaded. Weekends never can.

    Raises
    ------
    ImportFileError
        when the file cannot be read or the ticker is not a symbol (bad *rows* are listed
        in ``problems``; :func:`check_problems` raises for them).
    UnknownLayoutError
        when the header matches no layout.
    """
    p = Path(path)
    header = _header(p)
    layout = _layout(p, header)
    names = _columns(header, layout)
    symbol = _file_ticker(p, ticker) if layout in _PER_TICKER else None
    only = _given_ticker(p, ticker) if ticker is not None and symbol is None else None
    rules = _Rules(layout, symbol, only, _session_days(sessions))
    try:
        typed: pl.DataFrame | None = _read(p, names, typed=True)
    except (OSError, pl.exceptions.PolarsError):
        typed = None  # a cell is not a number (or the file is broken): the text read says which
    if typed is not None:
        clean = _parse(p, typed, rules, text=False)
        if clean is not None:
            return clean
    try:
        frame = _read(p, names, typed=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _unreadable(p, exc) from exc
    parsed = _parse(p, frame, rules, text=True)
    if parsed is None:  # pragma: no cover - text=True always gives a result
        raise AssertionError("no result from the text read")
    return parsed


def _by_value(frame: pl.DataFrame, column: str, expr: pl.Expr, name: str) -> pl.DataFrame:
    """Add ``name`` = ``expr`` over ``column``, evaluated once per distinct value (a file
    repeats each date and each ticker many times)."""
    distinct = frame.select(pl.col(column).unique()).with_columns(expr.alias(name))
    if frame.schema[column] == distinct.schema[name]:
        same = distinct.select((pl.col(name).eq_missing(pl.col(column))).all()).item()
        if same:  # already normalised: no join
            return frame.with_columns(pl.col(column).alias(name))
    mapped = frame.select(column).join(distinct, on=column, how="left", maintain_order="left")
    return frame.with_columns(mapped.get_column(name))


def _prepare(frame: pl.DataFrame, rules: _Rules) -> pl.DataFrame:
    """Number the lines, add the normalised ``_ticker`` and the parsed ``_date``."""
    frame = frame.with_row_index("line", offset=2)
    if rules.symbol is not None:
        frame = frame.with_columns(pl.lit(rules.symbol).alias("ticker"))
    ticker = pl.col("ticker").str.strip_chars(WHITESPACE).str.to_uppercase()
    frame = _by_value(frame, "ticker", ticker, "_ticker")
    if rules.only is not None:
        frame = frame.filter(pl.col("_ticker") == rules.only)
    day = pl.col("date").str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    return _by_value(frame, "date", day, "_date")


def _parse(path: Path, frame: pl.DataFrame, rules: _Rules, *, text: bool) -> ParsedFile | None:
    """Validate and convert a frame read by :func:`_read`.

    With ``text=False`` (a typed read) this returns None as soon as a row fails a check:
    the caller then reads the file as text, whose cells the reasons quote.
    """
    frame = _prepare(frame, rules)
    rows_read = frame.height
    actions = rules.layout in _ACTIONS
    value = ("split" if rules.layout == "splits" else "dividend") if actions else ""
    frame = numbers(frame, [value] if actions else [*PRICES, "volume"], text=text)
    groups = [date_checks(rules.sessions)]
    if rules.symbol is None:
        groups.append(ticker_checks(frame))
    groups.append(action_checks(value, text=text) if actions else price_checks(text=text))
    flagged = frame.select(
        pl.any_horizontal([c.fails for g in groups for c in g]).fill_null(False)
    ).to_series()
    problems: list[tuple[int, str]] = []
    holidays: list[dt.date] = []
    if flagged.any():
        if not text:
            return None
        bad = frame.filter(flagged)
        for checks in groups:
            found = bad.select("line").with_columns(reasons(bad, checks))
            problems += found.drop_nulls("reason").rows()
        if rules.sessions is not None:
            closed = bad.filter(closed_weekday(rules.sessions).fill_null(False))
            holidays = closed.get_column("_date").unique().sort().to_list()
        frame = frame.filter(~flagged)
    if actions:
        kind = "split" if rules.layout == "splits" else "dividend"
        out = frame.select(
            "line",
            pl.col("_ticker").alias("ticker"),
            pl.col("_date").alias("date"),
            pl.lit(kind).alias("kind"),
            pl.col(f"_{value}").alias("value"),
        )
    else:
        out = frame.select(
            "line",
            pl.col("_ticker").alias("ticker"),
            pl.col("_date").alias("date"),
            *(pl.col(f"_{c}").alias(c) for c in PRICES),
            pl.col("_volume").round(0).cast(pl.Int64).alias("volume"),
        )
    out, repeats = _sorted_without_repeats(out)
    result = out.drop("line").cast(pl.Schema(ACTION_SCHEMA if actions else PRICE_SCHEMA))
    return ParsedFile(
        path,
        rules.layout,
        pl.DataFrame(schema=PRICE_SCHEMA) if actions else result,
        result if actions else empty_actions(),
        rows_read,
        sorted(problems + repeats),
        holidays,
    )


def _sorted_without_repeats(
    frame: pl.DataFrame,
) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """``frame`` sorted by ticker and date, less the rows whose ticker and date repeat an
    earlier line's; those come back as problems naming the first line."""
    symbol, day = pl.col("ticker"), pl.col("date")
    after = (symbol > symbol.shift()) | ((symbol == symbol.shift()) & (day > day.shift()))
    if frame.select(after.all()).item():  # strictly increasing: nothing repeats (the usual file)
        return frame, []
    frame = frame.sort("ticker", "date", maintain_order=True)  # stable: lines stay in order
    repeat = ((symbol == symbol.shift()) & (day == day.shift())).fill_null(False)
    marked = frame.with_columns(
        repeat.alias("_repeat"),
        pl.when(~repeat).then(pl.col("line")).forward_fill().alias("_first"),
    )
    repeats = (
        marked.filter("_repeat")
        .select("line", pl.format("duplicate of line {} (same ticker and date)", "_first"))
        .rows()
    )
    return marked.filter(~pl.col("_repeat")).drop("_repeat", "_first"), repeats


def check_problems(parsed: ParsedFile, *, skip_bad_rows: bool) -> None:
    """Raise :class:`ImportFileError` for a file with bad rows, unless ``skip_bad_rows``.

    The message shows the first :data:`MAX_PROBLEMS_SHOWN` rows and, when rows fall on
    weekdays that are not sessions, their first :data:`MAX_DATES_SHOWN` dates.
    """
    if not parsed.problems or skip_bad_rows:
        return
    shown = "; ".join(
        f"line {line}: {reason}" for line, reason in parsed.problems[:MAX_PROBLEMS_SHOWN]
    )
    more = len(parsed.problems) - MAX_PROBLEMS_SHOWN
    closed = ""
    if parsed.holidays:
        dates = ", ".join(str(d) for d in parsed.holidays[:MAX_DATES_SHOWN])
        extra = len(parsed.holidays) - MAX_DATES_SHOWN
        closed = (
            f" Rows fall on {len(parsed.holidays)} weekday(s) when the exchange was closed: "
            f"{dates}{f' and {extra} more' if extra > 0 else ''}; the file seems built on "
            "plain business days rather than trading sessions: delete the rows on those dates."
        )
    raise ImportFileError(
        f"{parsed.path}: {len(parsed.problems)} row(s) cannot be loaded ({shown}"
        f"{f'; and {more} more' if more > 0 else ''}).{closed} Nothing was imported from this "
        "file: fix the rows, or re-run with --skip-bad-rows to load the others and report these",
        path=str(parsed.path),
        problems=parsed.problems,
    )


class FileSource:
    """A :class:`~storage.sources.base.PriceSource` over a price file or a folder of files.

    Vendors deliver daily drops as files; the refresh job reads them through this
    exactly as it reads Yahoo. Files are parsed once per instance; bad rows are
    skipped (they are reported by ``problems``). ``sessions`` is passed to
    :func:`read_file` (rows on weekdays that are not sessions are bad rows).
    """

    remote = False  # files answer at once (see PriceSource)

    def __init__(self, path: str | Path, *, sessions: SessionDates | None = None) -> None:
        self.root = Path(path)
        self.sessions = sessions
        self.name = f"file:{self.root}"
        self._prices: pl.DataFrame | None = None
        self._actions: pl.DataFrame | None = None
        self.problems: dict[str, list[tuple[int, str]]] = {}

    def _files(self) -> list[Path]:
        if self.root.is_dir():
            return sorted(
                p
                for p in self.root.iterdir()
                if p.is_file() and p.suffix.lower() in {".csv", ".parquet", ".pq"}
            )
        if self.root.is_file():
            return [self.root]
        raise ImportFileError(f"{self.root}: no such file or folder", path=str(self.root))

    def _load(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        if self._prices is None or self._actions is None:
            prices, actions = [], []
            for f in self._files():
                parsed = read_file(f, sessions=self.sessions)
                if parsed.problems:
                    self.problems[str(f)] = parsed.problems
                prices.append(parsed.prices)
                actions.append(parsed.actions)
            # later files (e.g. newer daily drops, sorted by name) win on the same key
            self._prices = pl.concat(prices or [pl.DataFrame(schema=PRICE_SCHEMA)]).unique(
                subset=["ticker", "date"], keep="last", maintain_order=True
            )
            self._actions = pl.concat(actions or [empty_actions()]).unique(
                subset=["ticker", "date", "kind"], keep="last", maintain_order=True
            )
        return self._prices, self._actions

    def tickers(self) -> list[str]:
        """Every ticker the files hold prices for."""
        prices, _ = self._load()
        return sorted(prices.get_column("ticker").unique().to_list())

    def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
        prices, actions = self._load()
        symbol = ticker.upper()
        window = (pl.col("ticker") == symbol) & pl.col("date").is_between(start, end)
        rows = prices.filter(window).sort("date")
        if rows.height == 0:
            raise NoPriceDataError(
                f"{self.root} has no prices for {symbol} between {start} and {end}", ticker=symbol
            )
        return PriceBatch(symbol, rows, actions.filter(window).sort("date"), source=self.name)
