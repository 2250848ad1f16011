"""The row checks of price, dividend and split files (see :mod:`storage.sources.files`).

Each check is a polars expression that marks bad rows and a reason; a failing row reports the
first failing check of each group (date, ticker, values). The limits are documented in
:mod:`storage.sources.files`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import polars as pl

from storage.sources.base import check_ticker
from storage.sources.limits import MAX_PRICE, MAX_VOLUME

#: A reason: an expression, or (column, explain) when the reason quotes the cell as Python
#: does (``repr``); ``explain`` then runs once per distinct failing value, never per row.
_Reason: TypeAlias = pl.Expr | tuple[str, Callable[[str], str]]


@dataclass(frozen=True)
class Check:
    fails: pl.Expr  # Boolean; null counts as passing
    reason: _Reason


def missing(column: str, *, text: bool) -> pl.Expr:
    if text:
        return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
    return pl.col(f"_{column}").is_null()


def numbers(frame: pl.DataFrame, columns: Sequence[str], *, text: bool) -> pl.DataFrame:
    """Add ``_<column>`` as Float64 for each of ``columns`` (null when the file lacks it)."""
    exprs: list[pl.Expr] = []
    for c in columns:
        if c not in frame.columns:
            exprs.append(pl.lit(None, pl.Float64).alias(f"_{c}"))
            exprs.append(pl.lit(None, pl.String if text else pl.Float64).alias(c))
        elif text:
            exprs.append(pl.col(c).str.strip_chars().cast(pl.Float64, strict=False).alias(f"_{c}"))
        else:
            exprs.append(pl.col(c).alias(f"_{c}"))
    return frame.with_columns(exprs)


def number_checks(column: str, *, text: bool) -> list[Check]:
    value = pl.col(f"_{column}")
    unreadable = (
        ~missing(column, text=text) & (value.is_null() | value.is_nan()) if text else value.is_nan()
    )
    return [
        Check(unreadable, pl.format(f"{column} '{{}}' is not a number", pl.col(column))),
        Check(value.is_infinite(), pl.format(f"{column} {{}} is not a finite number", value)),
    ]


def price_checks(*, text: bool) -> list[Check]:
    checks = [Check(missing("close", text=text), pl.lit("close is missing"))]
    for c in ("close", "open", "high", "low", "adj_close"):
        value = pl.col(f"_{c}")
        checks += number_checks(c, text=text)
        checks.append(Check(value <= 0, pl.format(f"{c} {{}} is not positive", value)))
        checks.append(
            Check(
                value > MAX_PRICE,
                pl.format(
                    f"{c} {{}} is above the largest price accepted ({MAX_PRICE:,.0f})", value
                ),
            )
        )
    volume = pl.col("_volume")
    checks += number_checks("volume", text=text)
    checks.append(Check(volume < 0, pl.format("volume {} is negative", volume)))
    checks.append(
        Check(
            volume > MAX_VOLUME,
            pl.format(
                f"volume {{}} is above the largest volume accepted ({MAX_VOLUME:,.0f})", volume
            ),
        )
    )
    o, hi, lo, cl = (pl.col(f"_{n}") for n in ("open", "high", "low", "close"))
    return [
        *checks,
        Check(hi < lo, pl.format("high {} is below low {}", hi, lo)),
        Check(cl > hi, pl.format("close {} is above high {}", cl, hi)),
        Check(cl < lo, pl.format("close {} is below low {}", cl, lo)),
        Check(o > hi, pl.format("open {} is above high {}", o, hi)),
        Check(o < lo, pl.format("open {} is below low {}", o, lo)),
    ]


def action_checks(column: str, *, text: bool) -> list[Check]:
    value = pl.col(f"_{column}")
    checks = [
        Check(missing(column, text=text), pl.lit(f"{column} is missing")),
        Check(
            value.is_null() | value.is_nan() | (value <= 0),
            (column, lambda raw: f"{column} {raw!r} is not a positive number"),
        ),
        Check(
            value.is_infinite(), (column, lambda raw: f"{column} {raw!r} is not a finite number")
        ),
    ]
    if column == "dividend":
        checks.append(
            Check(
                value > MAX_PRICE,
                pl.format(
                    f"dividend {{}} is above the largest price accepted ({MAX_PRICE:,.0f})", value
                ),
            )
        )
    return checks


def not_a_date(raw: str) -> str:
    return f"date {raw!r} is not a date (YYYY-MM-DD)"


def closed_weekday(sessions: pl.Series) -> pl.Expr:
    day = pl.col("_date")
    return (
        (day.dt.weekday() <= 5)
        & day.is_between(sessions.min(), sessions.max())
        & ~day.is_in(sessions.implode())
    )


def date_checks(sessions: pl.Series | None) -> list[Check]:
    day = pl.col("_date")
    checks = [
        Check(pl.col("date").is_null(), pl.lit("date is missing")),
        Check(day.is_null(), ("date", not_a_date)),
        Check(
            day.dt.weekday() >= 6,
            pl.format("{} is a {}, not a trading session", day, day.dt.strftime("%A")),
        ),
    ]
    if sessions is not None:
        checks.append(
            Check(
                closed_weekday(sessions),
                pl.format("{} is not a trading session (a weekday the exchange was closed)", day),
            )
        )
    return checks


def ticker_reason(raw: str) -> str:
    try:
        check_ticker(raw)
    except ValueError as exc:
        return f"ticker {exc}"
    return f"ticker {raw!r} is not a ticker symbol"  # pragma: no cover - the rules agree


def is_ticker(value: str) -> bool:
    try:
        check_ticker(value)
    except ValueError:
        return False
    return True


def ticker_checks(frame: pl.DataFrame) -> list[Check]:
    # the rule is checked on the cells as written (upper-casing first would let 'ß' pass as 'SS')
    symbol = pl.col("_ticker")
    distinct = frame.get_column("ticker").unique().drop_nulls().to_list()
    wrong = pl.Series("ticker", [v for v in distinct if v.strip() and not is_ticker(v)], pl.String)
    return [
        Check(symbol.is_null() | (symbol == ""), pl.lit("ticker is missing")),
        Check(pl.col("ticker").is_in(wrong.implode()), ("ticker", ticker_reason)),
    ]


def reasons(bad: pl.DataFrame, checks: Sequence[Check]) -> pl.Series:
    """For each row of ``bad``, the reason of the first of ``checks`` it fails, else null."""
    reason = pl.lit(None, pl.String)
    for check in reversed(checks):
        text = check.reason
        if isinstance(text, tuple):
            column, explain = text
            failing = bad.filter(check.fails.fill_null(False)).get_column(column).unique()
            quoted = {v: explain(v) for v in failing.to_list() if v is not None}
            text = (
                pl.col(column).replace_strict(quoted, default=None, return_dtype=pl.String)
                if quoted
                else pl.lit(None, pl.String)
            )
        reason = pl.when(check.fails).then(text).otherwise(reason)
    return bad.select(reason.alias("reason")).to_series()
