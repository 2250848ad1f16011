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

A row cannot be a price when its date or close is missing or unreadable, its
close is not positive, its high is below its low, or another row of the same
file has the same ticker and date. Such rows are reported with their line
number (the header is line 1); :func:`check_problems` then either raises or,
with ``skip_bad_rows``, lets the caller load the rest and report them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from storage.errors import ImportFileError, NoPriceDataError, UnknownLayoutError
from storage.sources.base import ACTION_SCHEMA, PRICE_SCHEMA, PriceBatch, empty_actions

_MISSING = ["", "null", "NULL", "nan", "NaN", "NA", "N/A", "None"]
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
MAX_PROBLEMS_SHOWN = 10


@dataclass(frozen=True)
class ParsedFile:
    """One file read into our schemas, with the rows that were rejected."""

    path: Path
    layout: str
    prices: pl.DataFrame
    actions: pl.DataFrame
    rows_read: int
    problems: list[tuple[int, str]] = field(default_factory=list)


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


def _read_frame(path: Path) -> pl.DataFrame:
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            frame = pl.read_parquet(path)
            return frame.with_columns(pl.all().cast(pl.String))
        return pl.read_csv(
            path, infer_schema=False, null_values=_MISSING, truncate_ragged_lines=False
        )
    except FileNotFoundError as exc:
        raise ImportFileError(f"{path}: no such file", path=str(path)) from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ImportFileError(
            f"{path}: cannot be read as {'Parquet' if path.suffix.lower() in {'.parquet', '.pq'} else 'CSV'}: "
            f"{str(exc).splitlines()[0]}",
            path=str(path),
        ) from exc


def read_file(path: str | Path, *, ticker: str | None = None) -> ParsedFile:
    """Read a price, dividend or split file in any known layout.

    ``ticker`` names the symbol for per-ticker layouts (default: the file name's stem).
    """
    p = Path(path)
    raw = _read_frame(p)
    try:
        layout = detect_layout(raw.columns)
    except ValueError as exc:
        raise UnknownLayoutError(
            f"{p}: header {raw.columns} matches no known layout; expected "
            "'date,ticker,open,high,low,close,adj_close,volume', Yahoo's "
            "'Date,Open,High,Low,Close,Adj Close,Volume', or 'date,ticker,dividend'",
            path=str(p),
        ) from exc
    if layout == "factors":
        raise UnknownLayoutError(
            f"{p} holds factor returns, not prices: import it with 'reaction factors import {p}'",
            path=str(p),
        )
    frame = raw.rename(
        {c: _YAHOO_NAMES.get(c.strip().lower(), c.strip().lower()) for c in raw.columns}
    )
    frame = frame.with_row_index("line", offset=2)
    if layout in {"yahoo", "yahoo_div"}:
        symbol = (ticker or p.stem.split("_")[0]).strip().upper()
        frame = frame.with_columns(pl.lit(symbol).alias("ticker"))
    elif ticker is not None:
        frame = frame.filter(pl.col("ticker").str.to_uppercase() == ticker.upper())
    if layout in {"dividends", "yahoo_div", "splits"}:
        return _parse_actions(p, layout, frame)
    return _parse_prices(p, layout, frame)


def _number(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().cast(pl.Float64, strict=False)


def _common(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """Parse ticker and date; return the frame and the (line, reason) problems so far."""
    parsed = frame.with_columns(
        pl.col("ticker").str.strip_chars().str.to_uppercase().alias("ticker"),
        pl.col("date")
        .str.strip_chars()
        .str.slice(0, 10)
        .str.to_date("%Y-%m-%d", strict=False)
        .alias("_date"),
    )
    problems: list[tuple[int, str]] = []
    for line, raw in parsed.filter(pl.col("_date").is_null()).select("line", "date").iter_rows():
        problems.append(
            (line, f"date {raw!r} is not a date (YYYY-MM-DD)" if raw else "date is missing")
        )
    for (line,) in (
        parsed.filter(pl.col("ticker").is_null() | (pl.col("ticker") == ""))
        .select("line")
        .iter_rows()
    ):
        problems.append((line, "ticker is missing"))
    return parsed, problems


def _duplicates(parsed: pl.DataFrame, keys: list[str]) -> list[tuple[int, str]]:
    valid = parsed.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    first = valid.group_by(keys).agg(pl.col("line").min().alias("_first"))
    dup = valid.join(first, on=keys).filter(pl.col("line") != pl.col("_first"))
    return [
        (line, f"duplicate of line {first_line} (same ticker and date)")
        for line, first_line in dup.select("line", "_first").iter_rows()
    ]


def _parse_prices(path: Path, layout: str, frame: pl.DataFrame) -> ParsedFile:
    for col in ("open", "high", "low", "adj_close", "volume"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(col))
    parsed, problems = _common(frame)
    parsed = parsed.with_columns(
        *[
            _number(c).alias(f"_{c}")
            for c in ("open", "high", "low", "close", "adj_close", "volume")
        ]
    )
    checks: list[tuple[pl.Expr, pl.Expr]] = [
        (pl.col("close").is_null(), pl.lit("close is missing")),
        (
            pl.col("_close").is_null() | pl.col("_close").is_nan(),
            pl.format("close '{}' is not a number", pl.col("close")),
        ),
        (pl.col("_close") <= 0, pl.format("close {} is not positive", pl.col("_close"))),
        (
            pl.col("_high") < pl.col("_low"),
            pl.format("high {} is below low {}", pl.col("_high"), pl.col("_low")),
        ),
    ]
    for col in ("open", "high", "low", "adj_close"):
        checks.append(
            (
                pl.col(col).is_not_null()
                & (pl.col(f"_{col}").is_null() | pl.col(f"_{col}").is_nan()),
                pl.format(f"{col} '{{}}' is not a number", pl.col(col)),
            )
        )
        checks.append(
            (pl.col(f"_{col}") <= 0, pl.format(f"{col} {{}} is not positive", pl.col(f"_{col}")))
        )
    checks.append(
        (
            pl.col("volume").is_not_null() & pl.col("_volume").is_null(),
            pl.format("volume '{}' is not a number", pl.col("volume")),
        )
    )
    checks.append((pl.col("_volume") < 0, pl.format("volume {} is negative", pl.col("_volume"))))
    # the first failing check names the row's problem
    reason: pl.Expr = pl.lit(None, pl.String)
    for cond, text in reversed(checks):
        reason = pl.when(cond).then(text).otherwise(reason)
    parsed = parsed.with_columns(reason.alias("_reason"))
    problems += list(
        parsed.filter(pl.col("_reason").is_not_null()).select("line", "_reason").iter_rows()
    )
    problems += _duplicates(parsed.filter(pl.col("_reason").is_null()), ["ticker", "_date"])
    bad = {line for line, _ in problems}
    good = parsed.filter(~pl.col("line").is_in(list(bad)))
    prices = (
        good.select(
            pl.col("ticker"),
            pl.col("_date").alias("date"),
            *[pl.col(f"_{c}").alias(c) for c in ("open", "high", "low", "close", "adj_close")],
            pl.col("_volume").round(0).cast(pl.Int64).alias("volume"),
        )
        .cast(pl.Schema(PRICE_SCHEMA))
        .sort("ticker", "date")
    )
    return ParsedFile(path, layout, prices, empty_actions(), frame.height, sorted(problems))


def _parse_actions(path: Path, layout: str, frame: pl.DataFrame) -> ParsedFile:
    value_col = "split" if layout == "splits" else "dividend"
    kind = "split" if layout == "splits" else "dividend"
    parsed, problems = _common(frame)
    parsed = parsed.with_columns(_number(value_col).alias("_value"))
    bad_value = parsed.filter(
        pl.col("_value").is_null() | pl.col("_value").is_nan() | (pl.col("_value") <= 0)
    )
    for line, raw in bad_value.select("line", value_col).iter_rows():
        problems.append(
            (
                line,
                f"{value_col} {raw!r} is not a positive number"
                if raw
                else f"{value_col} is missing",
            )
        )
    problems += _duplicates(parsed, ["ticker", "_date"])
    bad = {line for line, _ in problems}
    good = parsed.filter(~pl.col("line").is_in(list(bad)))
    actions = (
        good.select(
            pl.col("ticker"),
            pl.col("_date").alias("date"),
            pl.lit(kind).alias("kind"),
            pl.col("_value").alias("value"),
        )
        .cast(pl.Schema(ACTION_SCHEMA))
        .sort("ticker", "date")
    )
    empty_prices = pl.DataFrame(schema=PRICE_SCHEMA)
    return ParsedFile(path, layout, empty_prices, actions, frame.height, sorted(problems))


def check_problems(parsed: ParsedFile, *, skip_bad_rows: bool) -> None:
    """Raise :class:`ImportFileError` for a file with bad rows, unless ``skip_bad_rows``."""
    if not parsed.problems or skip_bad_rows:
        return
    shown = "; ".join(
        f"line {line}: {reason}" for line, reason in parsed.problems[:MAX_PROBLEMS_SHOWN]
    )
    more = len(parsed.problems) - MAX_PROBLEMS_SHOWN
    raise ImportFileError(
        f"{parsed.path}: {len(parsed.problems)} row(s) cannot be loaded ({shown}"
        f"{f'; and {more} more' if more > 0 else ''}). Nothing was imported from this file: "
        "fix the rows, or re-run with --skip-bad-rows to load the others and report these",
        path=str(parsed.path),
        problems=parsed.problems,
    )


class FileSource:
    """A :class:`~storage.sources.base.PriceSource` over a price file or a folder of files.

    Vendors deliver daily drops as files; the refresh job reads them through this
    exactly as it reads Yahoo. Files are parsed once per instance; bad rows are
    skipped (they are reported by ``problems``).
    """

    def __init__(self, path: str | Path) -> None:
        self.root = Path(path)
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
                parsed = read_file(f)
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
