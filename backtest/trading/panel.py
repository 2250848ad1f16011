"""Trading inputs on the session calendar: the price panel and the per-event arrays.

Prices and dividends go through the same mapping onto sessions as the event
study's returns (:func:`backtest.panel.build_panel`,
:func:`backtest.inputs.dividends_on_sessions`); here a price row on a date
that is not a session (inside the sessions' span) is an error, and a price that
is not a finite number > 0 counts as missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.errors import InputSchemaError, TradingError
from backtest.inputs import (
    dividends_on_sessions,
    no_duplicates,
    no_nulls,
    normalise_actions,
    require_columns,
    session_days,
    session_index,
)
from backtest.panel import Panel, build_panel
from backtest.trading.rule import TradeRule

#: Timings of ``events.model.Timing`` and the first price after the news, relative to day 0.
EARLIEST_ENTRY: dict[str, str] = {
    "before_open": "open:0",
    "after_close": "open:0",
    "intraday": "close:0",
    "unknown": "close:0",
    "inferred_after_close": "open:0",
    "inferred_during_session": "close:0",
}
#: The same as price-point keys (``2·k + point``).
EARLIEST_KEY: dict[str, int] = {
    "before_open": 0,
    "after_close": 0,
    "intraday": 1,
    "unknown": 1,
    "inferred_after_close": 0,
    "inferred_during_session": 1,
}


@dataclass(frozen=True)
class EventArrays:
    """Events sorted by (event_id, ticker) with their lookup arrays."""

    frame: pl.DataFrame  # event_id, ticker, day0, timing
    row: IntArray  # panel row, -1 when the ticker has no prices
    first: IntArray  # first session index with a price row of the ticker (T if none)
    last: IntArray  # last session index with a price row of the ticker (-1 if none)
    d0: IntArray  # session index of day 0, -1 when not a session
    earliest: IntArray  # key of the first price after the news
    beta: FloatArray  # NaN when absent
    signal: FloatArray  # NaN when absent
    known: IntArray  # key at which the signal is known (close of known_at_rel_day)
    scheduled: BoolArray  # the date was known in advance (events.scheduled; absent/null: no)

    @property
    def n(self) -> int:
        return int(self.row.shape[0])


def prepare_inputs(
    events: pl.DataFrame,
    prices: pl.DataFrame,
    rule: TradeRule,
    points: Sequence[str],
    actions: pl.DataFrame | None,
    sessions: Sequence[dt.date] | pl.Series | None,
    betas: pl.DataFrame | None,
    signals: pl.DataFrame | None,
) -> tuple[Panel, EventArrays]:
    """Validate every input; the price panel of the events' tickers and the event arrays."""
    require_columns(events, "events", {"ticker": "str"})
    tickers = events.get_column("ticker").cast(pl.String).drop_nulls().unique().to_list()
    panel = price_panel(prices, tickers, points, actions=actions, sessions=sessions, rule=rule)
    return panel, prepare_events(events, panel, rule, betas=betas, signals=signals)


def price_panel(
    prices: pl.DataFrame,
    tickers: Sequence[str],
    points: Sequence[str],
    *,
    actions: pl.DataFrame | None,
    sessions: Sequence[dt.date] | pl.Series | None,
    rule: TradeRule,
) -> Panel:
    """The ``points`` (``open``/``close``) and cumulative dividends (``cumdiv``) of the
    tickers and the benchmark on the sessions.

    ``cumdiv[i, j]`` is the sum of the dividends of ticker i with ex-session index
    ``<= j``; ``benchmark_row`` is -1 when the benchmark has no price row.
    """
    need = {"ticker": "str", "date": "date", **dict.fromkeys(points, "num")}
    require_columns(
        prices,
        "prices",
        need,
        hint="prices has PRICE_SCHEMA: ticker, date, open, high, low, close, adj_close, volume",
    )
    sess = session_days(sessions, prices)
    if sess.shape[0] == 0:
        raise InputSchemaError(
            "no sessions: prices is empty and no sessions were given", frame="sessions"
        )
    names = tuple(sorted(set(tickers) | {rule.benchmark}))
    panel = build_panel(
        prices,
        "prices",
        sess,
        list(dict.fromkeys(points)),
        benchmark=rule.benchmark,
        tickers=names,
        off_session="error",
    )
    values = {p: np.where(np.isfinite(m) & (m > 0), m, np.nan) for p, m in panel.values.items()}
    if actions is None:
        values["cumdiv"] = np.zeros((len(names), sess.shape[0]))
    else:
        per_session = dividends_on_sessions(normalise_actions(actions), names, sess)
        values["cumdiv"] = np.cumsum(per_session, axis=1)
    brow = panel.benchmark_row
    return dataclasses.replace(
        panel, values=values, benchmark_row=brow if bool(panel.present[brow].any()) else -1
    )


def prepare_events(
    events: pl.DataFrame,
    panel: Panel,
    rule: TradeRule,
    *,
    betas: pl.DataFrame | None,
    signals: pl.DataFrame | None,
) -> EventArrays:
    """Validate ``events`` (and ``betas``/``signals`` when the rule needs them)."""
    require_columns(
        events,
        "events",
        {"event_id": "str", "ticker": "str", "day0": "date"},
        hint="events has one row per trade candidate: event_id, ticker, day0 (date), timing",
    )
    timing = pl.lit("unknown")
    if "timing" in events.columns:
        require_columns(events, "events", {"timing": "str"})
        timing = pl.col("timing").cast(pl.String).fill_null("unknown")
    scheduled = pl.lit(False)
    if "scheduled" in events.columns:
        if events.schema["scheduled"] != pl.Boolean:
            raise InputSchemaError(
                f"events.scheduled must be a boolean (the date was known in advance), got "
                f"{events.schema['scheduled']}; cast it with pl.col('scheduled').cast(pl.Boolean)",
                frame="events",
                column="scheduled",
            )
        scheduled = pl.col("scheduled").fill_null(False)
    frame = events.select(
        pl.col("event_id").cast(pl.String),
        pl.col("ticker").cast(pl.String),
        pl.col("day0").cast(pl.Date),
        timing.alias("timing"),
        scheduled.alias("scheduled"),
    )
    no_nulls(frame, "events", ("event_id", "ticker"))
    bad = sorted(set(frame.get_column("timing").unique().to_list()) - set(EARLIEST_KEY))
    if bad:
        raise InputSchemaError(
            f"events.timing has unknown value(s) {bad}; allowed: "
            f"{', '.join(EARLIEST_KEY)} (null means unknown)",
            frame="events",
            column="timing",
        )
    no_duplicates(frame, "events", ["event_id", "ticker"])
    frame = frame.sort("event_id", "ticker")
    T = panel.n_sessions
    code = {t: i for i, t in enumerate(panel.tickers)}
    row = (
        frame.get_column("ticker")
        .replace_strict(code, default=-1, return_dtype=pl.Int64)
        .to_numpy()
        .astype(np.int64)
    )
    first = panel.first_rows()[np.maximum(row, 0)]
    last = panel.last_rows()[np.maximum(row, 0)]
    row[(row >= 0) & (first >= T)] = -1  # no rows in the span
    day0 = frame.get_column("day0")
    pos, exact = session_index(
        day0.cast(pl.Int32).fill_null(0).to_numpy().astype(np.int64), panel.days
    )
    d0 = np.where(exact & ~day0.is_null().to_numpy(), pos, -1).astype(np.int64)
    earliest = (
        frame.get_column("timing")
        .replace_strict(EARLIEST_KEY, return_dtype=pl.Int64)
        .to_numpy()
        .astype(np.int64)
    )
    keys = frame.select("event_id", "ticker")
    beta = np.full(frame.height, np.nan)
    if rule.hedge == "beta":
        if betas is None:
            raise TradingError(
                "hedge='beta' needs a betas frame (event_id, ticker, beta): the estimation-"
                "window beta of each event, e.g. from run_event_study's diagnostics",
                field="betas",
            )
        require_columns(betas, "betas", {"event_id": "str", "ticker": "str", "beta": "num"})
        b = betas.select(
            pl.col("event_id").cast(pl.String),
            pl.col("ticker").cast(pl.String),
            pl.col("beta").cast(pl.Float64),
        )
        no_duplicates(b, "betas", ["event_id", "ticker"])
        beta = _left(keys, b, "beta")
    signal = np.full(frame.height, np.nan)
    known = np.zeros(frame.height, dtype=np.int64)
    if rule.direction == "sign":
        if signals is None:
            raise TradingError(
                "direction='sign' needs a signals frame (event_id, ticker, value, "
                "known_at_rel_day), e.g. the day-0 abnormal return known at rel day 0",
                field="signals",
            )
        require_columns(
            signals,
            "signals",
            {"event_id": "str", "ticker": "str", "value": "num", "known_at_rel_day": "num"},
        )
        if not signals.schema["known_at_rel_day"].is_integer():
            raise InputSchemaError(
                "signals.known_at_rel_day must be an integer session offset, got "
                f"{signals.schema['known_at_rel_day']}",
                frame="signals",
                column="known_at_rel_day",
            )
        s = signals.select(
            pl.col("event_id").cast(pl.String),
            pl.col("ticker").cast(pl.String),
            pl.col("value").cast(pl.Float64),
            pl.col("known_at_rel_day").cast(pl.Float64),
        )
        no_duplicates(s, "signals", ["event_id", "ticker"])
        signal = _left(keys, s, "value")
        at = _left(keys, s, "known_at_rel_day")
        signal = np.where(np.isfinite(at), signal, np.nan)
        known = np.where(np.isfinite(at), 2 * np.nan_to_num(at) + 1, 0).astype(np.int64)
    return EventArrays(
        frame=frame,
        row=row,
        first=first,
        last=last,
        d0=d0,
        earliest=earliest,
        beta=beta,
        signal=signal,
        known=known,
        scheduled=frame.get_column("scheduled").to_numpy().astype(bool),
    )


def _left(keys: pl.DataFrame, other: pl.DataFrame, column: str) -> FloatArray:
    out = keys.join(other, on=["event_id", "ticker"], how="left", maintain_order="left")
    return out.get_column(column).cast(pl.Float64).fill_nan(None).to_numpy().astype(np.float64)
