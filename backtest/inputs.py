"""The input frames at the edge of ``backtest``: schema checks, normalisation, sessions.

Every check names the frame, the column and what to do; inside the engine and
the trading code the frames are trusted. This module is also the one place
where long frames meet the session calendar: :func:`place_on_sessions` lays
per-ticker columns (returns, prices, volumes) out as ``(ticker, session)``
matrices, :func:`series_on_sessions` does the same for calendar-wide series
(factors), :func:`normalise_actions` validates corporate actions once and
:func:`dividends_on_sessions` maps cash dividends to sessions. Both the event
study and event-time trading use them (``backtest.panel.build_panel``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.errors import InputSchemaError

_STRINGISH = (pl.String, pl.Categorical, pl.Enum)
#: Kinds of corporate action the ``actions`` frame may hold.
ACTION_KINDS: tuple[str, ...] = ("dividend", "split")
_EPOCH = dt.date(1970, 1, 1)


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


def no_nulls(frame: pl.DataFrame, name: str, columns: Iterable[str]) -> None:
    """Raise when one of ``columns`` has a null value."""
    for col in columns:
        n = frame.get_column(col).null_count()
        if n:
            raise InputSchemaError(
                f"{name}.{col} has {n} null value(s); every row needs a {col}",
                frame=name,
                column=col,
            )


def no_duplicates(frame: pl.DataFrame, name: str, keys: list[str]) -> None:
    """Raise when two rows share the ``keys``."""
    dup = frame.select(keys).filter(pl.struct(keys).is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        raise InputSchemaError(
            f"{name} has {dup.height} rows with a duplicate ({', '.join(keys)}), e.g. {first}; "
            "keep one row per key",
            frame=name,
            column=keys[-1],
        )


def _catalog_columns(frame: pl.DataFrame, name: str, hint: str) -> list[pl.Expr]:
    """``event_id, ticker, day0, category`` (null when absent) of an events-like frame."""
    require_columns(frame, name, {"event_id": "str", "ticker": "str", "day0": "date"}, hint=hint)
    if "category" in frame.columns:
        require_columns(frame, name, {"category": "str"})
        category = pl.col("category").cast(pl.String)
    else:
        category = pl.lit(None, pl.String).alias("category")
    return [
        pl.col("event_id").cast(pl.String),
        pl.col("ticker").cast(pl.String),
        pl.col("day0").cast(pl.Date),
        category,
    ]


def normalise_events(events: pl.DataFrame) -> pl.DataFrame:
    """``event_id, ticker, day0, category`` (and ``group``), sorted by (event_id, ticker).

    Keys are unique. An optional ``group`` column (a string or integer label per
    observation, no nulls) is kept, as String or Int64.
    """
    hint = "events has one row per observation: event_id (str), ticker (str), day0 (date)"
    cols = _catalog_columns(events, "events", hint)
    keys = ["event_id", "ticker"]
    if "group" in events.columns:
        integer = events.schema["group"].is_integer()
        if not integer:
            hint = "events.group is a string or integer label per observation"
            require_columns(events, "events", {"group": "str"}, hint=hint)
        cols.append(pl.col("group").cast(pl.Int64 if integer else pl.String))
    out = events.select(cols)
    no_nulls(out, "events", [*keys, *(["group"] if "group" in out.columns else [])])
    no_duplicates(out, "events", keys)
    return out.sort(keys)


def normalise_catalog(catalog: pl.DataFrame | None, events: pl.DataFrame) -> pl.DataFrame:
    """``event_id, ticker, day0, category``; the events themselves when ``catalog`` is None."""
    if catalog is None:
        return events.select("event_id", "ticker", "day0", "category").drop_nulls("day0")
    hint = "catalog has one row per event x ticker: event_id, ticker, day0, category"
    out = catalog.select(_catalog_columns(catalog, "catalog", hint))
    out = out.drop_nulls(["event_id", "ticker", "day0"])
    return out.unique(["event_id", "ticker"], keep="first").sort("event_id", "ticker")


def normalise_values(
    frame: pl.DataFrame, name: str, columns: Sequence[str], *, hint: str = ""
) -> pl.DataFrame:
    """``ticker, date`` and the numeric ``columns`` (Float64; NaN and infinities become null).

    Duplicate ``(ticker, date)`` rows are found on the panel
    (:func:`place_on_sessions`).
    """
    need = {"ticker": "str", "date": "date", **dict.fromkeys(columns, "num")}
    require_columns(frame, name, need, hint=hint)
    out = frame.select(
        pl.col("ticker").cast(pl.String),
        pl.col("date").cast(pl.Date),
        *[pl.col(c).cast(pl.Float64) for c in columns],
    )
    no_nulls(out, name, ["ticker", "date"])
    return out.with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(None).alias(c) for c in columns
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
    no_duplicates(out, "factors", ["date"])
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


def session_days(sessions: Sequence[dt.date] | pl.Series | None, returns: pl.DataFrame) -> IntArray:
    """Sorted unique session dates as days since 1970-01-01 (default: the dates of ``returns``)."""
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


def day_numbers(dates: pl.Series) -> IntArray:
    """``pl.Date`` values as days since 1970-01-01 (int64)."""
    return dates.cast(pl.Date).cast(pl.Int32).to_numpy().astype(np.int64)


def session_index(days: IntArray, sessions: IntArray) -> tuple[IntArray, BoolArray]:
    """Position of each of ``days`` among the sorted ``sessions`` and whether it is one.

    The position is that of the first session on or after the day (``T`` past
    the last session); the flag is True only where the day is a session.
    """
    T = sessions.shape[0]
    pos = np.searchsorted(sessions, days)
    if T == 0:
        return pos, np.zeros(days.shape, dtype=bool)
    exact = (pos < T) & (sessions[np.minimum(pos, T - 1)] == days)
    return pos, exact


@dataclass(frozen=True)
class Grid:
    """Per-ticker columns of a long frame laid out on the session calendar.

    Attributes
    ----------
    tickers
        The rows, in order.
    values
        ``(n_tickers, T)`` Float64 matrix per column, NaN where there is no row
        (or a null value).
    present
        ``(n_tickers, T)`` True where the frame has a row.
    """

    tickers: tuple[str, ...]
    values: dict[str, FloatArray]
    present: BoolArray


def place_on_sessions(
    frame: pl.DataFrame,
    name: str,
    sessions: IntArray,
    columns: Sequence[str],
    *,
    tickers: Sequence[str] | None = None,
    off_session: Literal["ignore", "error"] = "ignore",
) -> Grid:
    """Lay the ``columns`` of a long ``ticker, date, ...`` frame out on the sessions.

    Parameters
    ----------
    frame
        One row per ticker and date (already schema-checked); its name in
        messages is ``name``.
    sessions
        Sorted unique sessions (days since 1970-01-01).
    columns
        Numeric columns to lay out.
    tickers
        The rows of the grid (rows of other tickers are ignored); default: the
        frame's tickers, sorted.
    off_session
        Rows on dates that are not sessions: ``"ignore"`` them, or raise when
        such a date lies inside the sessions' span (``"error"``; rows outside
        the span are ignored either way).

    Raises
    ------
    InputSchemaError
        A null date, a row off the sessions (``off_session="error"``) or two
        rows for one ticker and session.
    """
    if tickers is None:
        names = tuple(sorted(frame.get_column("ticker").cast(pl.String).unique().to_list()))
    else:
        names = tuple(tickers)
    T = int(sessions.shape[0])
    ticker = pl.col("ticker").cast(pl.String)
    if tickers is not None:
        frame = frame.filter(ticker.is_in(names))
    rows = frame.select(
        ticker.cast(pl.Enum(names)).to_physical().cast(pl.Int64).alias("_row"),
        pl.col("date").cast(pl.Date).cast(pl.Int32).alias("_day"),
        *[pl.col(c).cast(pl.Float64).alias(c) for c in dict.fromkeys(columns)],
    )
    if rows.get_column("_day").null_count():
        raise InputSchemaError(f"{name}.date has null values", frame=name, column="date")
    row = np.asarray(rows.get_column("_row").to_numpy(), dtype=np.int64)
    day = np.asarray(rows.get_column("_day").to_numpy(), dtype=np.int64)
    col, on = session_index(day, sessions)
    if off_session == "error" and T:
        off = ~on & (day >= sessions[0]) & (day <= sessions[-1])
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise InputSchemaError(
                f"{name} has {int(off.sum())} row(s) on dates that are not sessions, e.g. "
                f"{names[int(row[i])]} on {_date(int(day[i]))}; pass the exchange's sessions "
                "or drop those rows",
                frame=name,
                column="date",
            )
    row, col = row[on], col[on]
    flat = row * T + col
    present = np.zeros(len(names) * T, dtype=bool)
    present[flat] = True
    if np.count_nonzero(present) < flat.size:  # two rows on one cell
        counts = np.bincount(flat, minlength=present.size)
        i = int(np.flatnonzero(counts > 1)[0])
        raise InputSchemaError(
            f"{name} has {int(counts[counts > 1].sum())} rows with a duplicate (ticker, date), "
            f"e.g. {names[i // T]} on {_date(int(sessions[i % T]))}; keep one row per ticker "
            "and date",
            frame=name,
            column="date",
        )
    values: dict[str, FloatArray] = {}
    for c in dict.fromkeys(columns):
        m = np.full((len(names), T), np.nan)
        m[row, col] = np.asarray(rows.get_column(c).to_numpy(), dtype=np.float64)[on]
        values[c] = m
    return Grid(tickers=names, values=values, present=present.reshape(len(names), T))


def series_on_sessions(
    frame: pl.DataFrame, sessions: IntArray, columns: Sequence[str]
) -> dict[str, FloatArray]:
    """``(T,)`` arrays of the ``columns`` of a ``date, ...`` frame (one row per date).

    Rows on dates that are not sessions are ignored; NaN where a session has no row.
    """
    T = int(sessions.shape[0])
    pos, on = session_index(day_numbers(frame.get_column("date")), sessions)
    out: dict[str, FloatArray] = {}
    for c in columns:
        arr = np.full(T, np.nan)
        arr[pos[on]] = frame.get_column(c).to_numpy(allow_copy=True).astype(np.float64)[on]
        out[c] = arr
    return out


def normalise_actions(actions: pl.DataFrame) -> pl.DataFrame:
    """The cash dividends of an ``actions`` frame: ``ticker, date, value`` (split-adjusted).

    ``actions`` has ``ticker, date, kind, value`` with ``kind`` in
    :data:`ACTION_KINDS`; ``value`` of a dividend is the cash per share whose
    ex-date is ``date``. Split rows are accepted and dropped: prices are
    split-adjusted.

    Raises
    ------
    InputSchemaError
        A missing column, an unknown kind, or a dividend without a date or with a
        value that is not a finite number >= 0.
    """
    require_columns(
        actions,
        "actions",
        {"ticker": "str", "date": "date", "kind": "str", "value": "num"},
        hint="actions has ticker, date (ex-date), kind ('dividend' or 'split'), value",
    )
    kinds = set(actions.get_column("kind").cast(pl.String).unique().drop_nulls().to_list())
    unknown = sorted(kinds - set(ACTION_KINDS))
    if unknown:
        raise InputSchemaError(
            f"actions.kind has unknown value(s) {unknown}; allowed: {', '.join(ACTION_KINDS)}",
            frame="actions",
            column="kind",
        )
    divs = actions.filter(pl.col("kind").cast(pl.String) == "dividend").select(
        pl.col("ticker").cast(pl.String),
        pl.col("date").cast(pl.Date),
        pl.col("value").cast(pl.Float64),
    )
    v = divs.get_column("value").to_numpy()
    if divs.get_column("date").null_count() or not np.isfinite(v).all() or (v < 0).any():
        raise InputSchemaError(
            "actions: every dividend needs a date and a finite cash value >= 0",
            frame="actions",
            column="value",
        )
    return divs


def dividends_on_sessions(
    dividends: pl.DataFrame, tickers: Sequence[str], sessions: IntArray
) -> FloatArray:
    """``(n_tickers, T)`` cash dividends per share by ex-session.

    ``dividends`` is :func:`normalise_actions` output. An ex-date that is not a
    session counts on the next session (whoever holds the stock at the close
    before it is paid); one after the last session, and dividends of other
    tickers, are dropped. Several dividends on one session are added, in a fixed
    order (by value), so the result does not depend on the row order.
    """
    T = int(sessions.shape[0])
    out = np.zeros((len(tickers), T))
    code = {t: i for i, t in enumerate(tickers)}
    divs = (
        dividends.select(
            pl.col("ticker").replace_strict(code, default=-1, return_dtype=pl.Int64).alias("row"),
            pl.col("date").cast(pl.Int32).alias("day"),
            pl.col("value"),
        )
        .filter(pl.col("row") >= 0)
        .sort("row", "day", "value")
    )
    pos = np.searchsorted(sessions, divs.get_column("day").to_numpy().astype(np.int64), side="left")
    keep = pos < T  # an ex-date after the last session is inside no window
    v = divs.get_column("value").to_numpy()
    np.add.at(out, (divs.get_column("row").to_numpy()[keep], pos[keep]), v[keep])
    return out


def _date(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=day)


def in_order(frame: pl.DataFrame, *by: str) -> pl.DataFrame:
    """``frame`` sorted by the columns ``by`` (nulls first); as it is when it already is: one
    comparison of each row with the one before, where sorting a few million rows by ticker
    text costs half a second (the stored prices come sorted by ticker and date)."""
    if frame.height < 2:
        return frame
    later: pl.Expr | None = None
    for name in reversed(by):
        c, before = pl.col(name), pl.col(name).shift(1)
        step = c >= before if later is None else (c > before) | ((c == before) & later)
        later = step
    assert later is not None  # by names at least one column
    if frame.select(later.fill_null(True).all()).item() and all(
        frame.get_column(b).null_count() == 0 for b in by
    ):
        return frame
    return frame.sort(*by)
