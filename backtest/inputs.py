"""Schema checks and normalisation of the input frames, at the edge of the engine.

Every check names the frame, the column and what to do; inside the engine the
frames are trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import polars as pl

from backtest._typing import IntArray
from backtest.errors import InputSchemaError

_STRINGISH = (pl.String, pl.Categorical, pl.Enum)


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() and not isinstance(dtype, pl.Decimal)


def require_columns(
    frame: pl.DataFrame, name: str, columns: dict[str, str], *, hint: str = ""
) -> None:
    """Check that ``frame`` has ``columns`` (name → ``"str" | "date" | "num"``)."""
    if not isinstance(frame, pl.DataFrame):
        raise InputSchemaError(
            f"{name} must be a polars DataFrame, got {type(frame).__name__}"
            + (f"; {hint}" if hint else ""),
            frame=name,
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputSchemaError(
            f"{name} frame lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(frame.columns) or 'none'}" + (f". {hint}" if hint else ""),
            frame=name,
            column=missing[0],
        )
    for col, kind in columns.items():
        dtype = frame.schema[col]
        ok = (
            (kind == "str" and isinstance(dtype, _STRINGISH))
            or (kind == "date" and dtype == pl.Date)
            or (kind == "num" and _is_numeric(dtype))
            or dtype == pl.Null
        )
        if not ok:
            want = {"str": "a string", "date": "pl.Date", "num": "a number (Float64)"}[kind]
            fix = {
                "str": f"cast it with pl.col({col!r}).cast(pl.String)",
                "date": (
                    f"convert it with pl.col({col!r}).str.to_date()"
                    if dtype == pl.String
                    else f"convert it with pl.col({col!r}).dt.date()"
                    if isinstance(dtype, pl.Datetime)
                    else "convert it to pl.Date"
                ),
                "num": f"cast it with pl.col({col!r}).cast(pl.Float64)",
            }[kind]
            raise InputSchemaError(
                f"{name}.{col} must be {want}, got {dtype}; {fix}", frame=name, column=col
            )


def _no_nulls(frame: pl.DataFrame, name: str, columns: Iterable[str]) -> None:
    for col in columns:
        n = frame.get_column(col).null_count()
        if n:
            raise InputSchemaError(
                f"{name}.{col} has {n} null value(s); every row needs a {col}",
                frame=name,
                column=col,
            )


def _no_duplicates(frame: pl.DataFrame, name: str, keys: list[str]) -> None:
    dup = frame.select(keys).filter(pl.struct(keys).is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        raise InputSchemaError(
            f"{name} has {dup.height} rows with a duplicate ({', '.join(keys)}), e.g. {first}; "
            "keep one row per key",
            frame=name,
            column=keys[-1],
        )


def normalise_events(events: pl.DataFrame) -> pl.DataFrame:
    """``event_id, ticker, day0, category`` sorted by (event_id, ticker), keys unique."""
    hint = "events has one row per observation: event_id (str), ticker (str), day0 (date)"
    require_columns(
        events, "events", {"event_id": "str", "ticker": "str", "day0": "date"}, hint=hint
    )
    cols = [
        pl.col("event_id").cast(pl.String),
        pl.col("ticker").cast(pl.String),
        pl.col("day0").cast(pl.Date),
    ]
    if "category" in events.columns:
        require_columns(events, "events", {"category": "str"})
        cols.append(pl.col("category").cast(pl.String))
    else:
        cols.append(pl.lit(None, pl.String).alias("category"))
    out = events.select(cols)
    _no_nulls(out, "events", ["event_id", "ticker"])
    _no_duplicates(out, "events", ["event_id", "ticker"])
    return out.sort("event_id", "ticker")


def normalise_catalog(catalog: pl.DataFrame | None, events: pl.DataFrame) -> pl.DataFrame:
    """``event_id, ticker, day0, category``; the events themselves when ``catalog`` is None."""
    if catalog is None:
        return events.drop_nulls("day0")
    hint = "catalog has one row per event x ticker: event_id, ticker, day0, category"
    require_columns(
        catalog, "catalog", {"event_id": "str", "ticker": "str", "day0": "date"}, hint=hint
    )
    cols = [
        pl.col("event_id").cast(pl.String),
        pl.col("ticker").cast(pl.String),
        pl.col("day0").cast(pl.Date),
    ]
    if "category" in catalog.columns:
        require_columns(catalog, "catalog", {"category": "str"})
        cols.append(pl.col("category").cast(pl.String))
    else:
        cols.append(pl.lit(None, pl.String).alias("category"))
    out = catalog.select(cols).drop_nulls(["event_id", "ticker", "day0"])
    return out.unique(["event_id", "ticker"], keep="first").sort("event_id", "ticker")


def normalise_returns(returns: pl.DataFrame) -> pl.DataFrame:
    """``ticker, date, ret`` (Float64; NaN and infinities become null), keys unique."""
    hint = "returns has one row per ticker and session: ticker, date, ret (simple total return)"
    require_columns(returns, "returns", {"ticker": "str", "date": "date", "ret": "num"}, hint=hint)
    out = returns.select(
        pl.col("ticker").cast(pl.String),
        pl.col("date").cast(pl.Date),
        pl.col("ret").cast(pl.Float64),
    )
    _no_nulls(out, "returns", ["ticker", "date"])
    # duplicate (ticker, date) rows are found on the panel (backtest.panel.build_panel)
    return out.with_columns(
        pl.when(pl.col("ret").is_finite()).then(pl.col("ret")).otherwise(None).alias("ret")
    )


def normalise_factors(factors: pl.DataFrame, needed: Sequence[str], model: str) -> pl.DataFrame:
    """``date`` plus the ``needed`` factor columns as Float64 fractions."""
    hint = (
        f"model {model!r} needs a factors frame with date, {', '.join(needed)} as fractions "
        "(divide Ken French's percent values by 100)"
    )
    require_columns(factors, "factors", {"date": "date", **dict.fromkeys(needed, "num")}, hint=hint)
    out = factors.select(
        pl.col("date").cast(pl.Date), *[pl.col(c).cast(pl.Float64) for c in needed]
    ).drop_nulls("date")
    _no_duplicates(out, "factors", ["date"])
    for col in needed:
        big = out.get_column(col).abs().max()
        if isinstance(big, float) and big > 1.0:
            raise InputSchemaError(
                f"factors.{col} reaches {big:g}, which looks like percent: the engine needs "
                "fractions (0.01 for 1%); divide the factor columns by 100",
                frame="factors",
                column=col,
            )
    return out


def session_days(sessions: Sequence[date] | pl.Series | None, returns: pl.DataFrame) -> IntArray:
    """Sorted unique session dates as days since 1970-01-01 (default: the dates in returns)."""
    if sessions is None:
        s = returns.get_column("date")
    elif isinstance(sessions, pl.Series):
        s = sessions
    else:
        s = pl.Series("sessions", list(sessions))
    if s.dtype == pl.Null and s.len() == 0:
        s = s.cast(pl.Date)
    if s.dtype != pl.Date:
        raise InputSchemaError(
            f"sessions must be dates (datetime.date or a pl.Date series), got {s.dtype}",
            frame="sessions",
        )
    if s.null_count():
        raise InputSchemaError("sessions contain null dates", frame="sessions")
    days = np.unique(s.cast(pl.Int32).to_numpy().astype(np.int64))
    return days
