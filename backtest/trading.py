"""Event-time trading: buy (or sell) around each event, exit N sessions later.

"Had I bought AMZN at the close before each Amazon event and sold five sessions
later, hedged with SPY, what would I have made after costs, and is it better
than chance?" :func:`run_trades` answers it for one :class:`TradeRule`;
:func:`backtest.trading_sweep.run_trade_sweep` for a grid of entry offsets and
holding periods. Pure functions over polars frames: no I/O, no clock.

Conventions (all returns are fractions, 0.01 = 1%)
---------------------------------------------------
Price points
    A price point ``point:k`` is the ``open`` or ``close`` of session ``k``
    relative to day 0 (``sessions`` counts, not calendar days). Points are
    ordered in time by the key ``2·k + (0 for open, 1 for close)``.
Gross return
    With entry price ``P_e``, exit price ``P_x`` and ``D`` the cash dividends
    whose ex-date ``d`` satisfies ``entry session < d <= exit session``::

        R = (P_x + D) / P_e - 1,    gross = s · R,    s = +1 long, -1 short

    The dividend rule: whoever holds the stock at the close before the ex-date
    receives the dividend, so a position bought on any session before ``d`` and
    still held at the open of ``d`` is paid (a short pays it). Buying at the
    open of ``d`` is buying ex-dividend. Prices are split-adjusted, not
    dividend-adjusted (``close`` of ``PRICE_SCHEMA``); ``adj_close`` is not used.
Costs
    ``cost_bps`` per side on each leg's entry notional and a fixed ``fee`` in
    currency per leg and round trip, for a stock leg of ``notional``::

        cost       = 2 · cost_bps / 10⁴ + fee / notional
        hedge_cost = |h| · 2 · cost_bps / 10⁴ + (fee / notional if h ≠ 0 else 0)

    Charging the exit side on the entry notional (not on ``1 + R``) keeps the
    cost independent of the outcome: long and short of the same trade cost the
    same, so ``net_long + net_short = -2 · cost`` exactly.
Hedge
    Short ``h`` units of benchmark notional per unit of stock, over the same
    price points: ``h = 0`` (``none``), ``1`` (``benchmark``) or the caller's
    estimation-window beta (``beta``). With ``R_b`` the benchmark's gross return
    over the same points (its dividends included)::

        net    = s · R - cost
        hedged = s · (R - h · R_b) - cost - hedge_cost

    (with ``hedge="none"``, ``hedged = net``). A stock identical to the
    benchmark hedged one-for-one gives ``hedged = -(cost + hedge_cost)``.
No look-ahead
    Day 0 is the first session whose close can reflect the news
    (``events.model``). The first price after the news, by ``timing``:
    ``before_open`` → ``open:0``; ``after_close`` → ``open:0`` (day 0 is
    already the next session); ``intraday`` → ``close:0``; ``unknown`` (or a
    missing timing) → ``close:0``, the conservative case. An earlier entry is a
    :class:`LookaheadError` unless ``allow_lookahead=True``, and then the trade
    and the result are labelled *perfect foresight*. A ``sign`` rule reads a
    signal known at the close of ``known_at_rel_day = j``; it may trade at
    ``close:j`` (market-on-close at the close the signal is computed from) or
    any later point, i.e. ``2·j + 1 <= 2·k + point``.
Overlap
    Trades of one ticker overlap when one enters strictly before an earlier one
    exits (same-point exit and re-entry is not an overlap). ``skip`` keeps the
    first and skips, greedily in entry order, every trade entering before the
    last kept trade's exit (status ``overlap_skipped``). ``split`` keeps all and
    gives each trade of an overlapping cluster (trades linked by overlaps) the
    weight ``1 / cluster size`` in the equity curve.
Equity curve
    Trades in calendar order of their exit session, one step per exit session
    ``d``: the capital is shared equally by the ``n_d`` trades that close on
    ``d``, each using the fraction ``w`` (its overlap weight) of its share::

        E_d = E_{d-1} · (1 + (1/n_d) · Σ_{i exits on d} w_i · r_i),    E_0 = 1

    for ``r`` = gross, net, hedged and the benchmark. This is a sequence of
    trade cohorts, not a calendar-time portfolio: with many overlapping events
    it compounds more often than any real account could.

Status codes, in order of precedence (``TRADE_STATUSES``): ``ok``;
``no_prices`` (ticker absent from prices); ``day0_not_session`` (null or not
one of ``sessions``); ``outside_data`` (entry or exit session outside the
sessions or outside the ticker's price history); ``missing_entry_price``;
``missing_exit_price`` (null, non-positive or absent on that session);
``no_signal`` / ``zero_signal`` (``sign`` rule); ``no_beta`` (``beta`` hedge);
``missing_benchmark_price`` (hedged rules); ``overlap_skipped``. Rows are never
dropped; only ``ok`` trades have returns.

Errors (added to :mod:`backtest.errors`' tree)::

    BacktestError
    └── TradingError (ValueError)      a rule field or an argument is invalid;
        │                              ``field`` names it
        └── LookaheadError             an entry or signal uses information not yet
                                       public; ``field`` and ``event_id`` name them
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from backtest._typing import TRADE_STATUSES, BoolArray, FloatArray, IntArray
from backtest.errors import InputSchemaError, LookaheadError, TradingError
from backtest.inputs import require_columns, session_days

Direction = Literal["long", "short", "sign"]
PointName = Literal["open", "close"]
HedgeName = Literal["none", "benchmark", "beta"]
OverlapPolicy = Literal["skip", "split"]

_ST = {name: np.int8(i) for i, name in enumerate(TRADE_STATUSES)}

#: Timings of ``events.model.Timing`` and the key (``2·k + point``) of the first
#: price after the news, relative to day 0.
EARLIEST_ENTRY: dict[str, str] = {
    "before_open": "open:0",
    "after_close": "open:0",
    "intraday": "close:0",
    "unknown": "close:0",
}
_EARLIEST_KEY = {"before_open": 0, "after_close": 0, "intraday": 1, "unknown": 1}

Int8Array = npt.NDArray[np.int8]

_BOOT_CELLS = 2_000_000  # resampled values drawn per chunk of the bootstrap


# ---------------------------------------------------------------------------
# the rule

_POINT_RE = re.compile(r"^\s*(open|close)\s*:\s*([+-]?\d+)\s*$", re.IGNORECASE)


class PricePoint(BaseModel):
    """The open or close of a session relative to day 0; written ``"close:-1"``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    point: PointName
    offset: int

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: object) -> object:
        if isinstance(data, str):
            m = _POINT_RE.match(data)
            if not m:
                raise ValueError(
                    f"{data!r} is not a price point: write '<open|close>:<session offset>', "
                    "e.g. 'close:-1' (close of the session before day 0) or 'open:+1'"
                )
            return {"point": m.group(1).lower(), "offset": int(m.group(2))}
        return data

    @classmethod
    def parse(cls, text: str) -> PricePoint:
        """Parse ``"close:-1"``, ``"open:0"``, ``"close:+5"`` (raises :class:`TradingError`)."""
        try:
            return cls.model_validate(text)
        except ValidationError as exc:
            msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise TradingError(msg, field="point") from exc

    @property
    def key(self) -> int:
        """Time order within the event: ``2·offset + (0 open, 1 close)``."""
        return 2 * self.offset + (1 if self.point == "close" else 0)

    def __str__(self) -> str:
        return f"{self.point}:{self.offset:+d}" if self.offset else f"{self.point}:0"


class TradeRule(BaseModel):
    """How to trade each event; frozen and validated when constructed.

    Parameters
    ----------
    direction
        ``"long"``, ``"short"``, or ``"sign"``: long when the event's signal is
        positive, short when negative (e.g. the day-0 abnormal return, for a
        drift strategy entering on day +1).
    entry, exit
        Price points, e.g. ``"close:-1"`` and ``"close:+5"``; ``exit`` must not
        be before ``entry`` (equal means a zero-length trade).
    cost_bps
        Cost per side in basis points of the leg's entry notional.
    fee
        Fixed fee in currency per leg and round trip, on a stock leg of
        ``notional`` (so ``fee / notional`` is the fractional charge).
    hedge
        ``"none"``, ``"benchmark"`` (short one unit of benchmark per unit of
        stock) or ``"beta"`` (short the caller's beta units; needs ``betas``).
    benchmark
        Ticker of the hedge and of the buy-and-hold comparison.
    overlap
        ``"skip"`` or ``"split"`` for overlapping trades in one ticker.
    allow_lookahead
        Allow entries before the news is public (perfect foresight).

    Raises
    ------
    TradingError
        Naming the field, the value and what is allowed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    direction: Direction = "long"
    entry: PricePoint = PricePoint(point="close", offset=0)
    exit: PricePoint = PricePoint(point="close", offset=5)
    cost_bps: float = 0.0
    fee: float = 0.0
    notional: float = 10_000.0
    hedge: HedgeName = "none"
    benchmark: str = "SPY"
    overlap: OverlapPolicy = "skip"
    allow_lookahead: bool = False

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _as_trading_error(exc) from exc

    @field_validator("cost_bps", "fee", mode="after")
    @classmethod
    def _non_negative(cls, v: float) -> float:
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"must be a finite number >= 0, got {v!r}")
        return v

    @field_validator("notional", mode="after")
    @classmethod
    def _positive(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"must be a finite number > 0 (currency of the stock leg), got {v!r}")
        return v

    @field_validator("benchmark", mode="after")
    @classmethod
    def _benchmark(cls, v: str) -> str:
        if not v or v != v.strip():
            raise ValueError(f"{v!r} must be a non-empty ticker without surrounding spaces")
        return v

    @model_validator(mode="after")
    def _exit_after_entry(self) -> TradeRule:
        if self.exit.key < self.entry.key:
            raise ValueError(
                f"exit {self.exit} is before entry {self.entry}; the exit must be the same "
                "price point as the entry or a later one"
            )
        return self

    @property
    def cost(self) -> float:
        """Round-trip cost of the stock leg: ``2·cost_bps/10⁴ + fee/notional``."""
        return 2.0 * self.cost_bps / 1e4 + self.fee / self.notional

    def hedge_cost(self, ratio: float) -> float:
        """Round-trip cost of a hedge leg of ``ratio`` units of benchmark notional."""
        return float(hedge_costs(self, np.asarray([ratio], dtype=np.float64))[0])

    def describe(self) -> str:
        """One line: direction, entry → exit, costs, hedge, overlap."""
        fee = f" + fee {self.fee:g} per leg on {self.notional:,.0f}" if self.fee else ""
        hedge = "unhedged" if self.hedge == "none" else f"hedge {self.hedge} ({self.benchmark})"
        return (
            f"{self.direction} {self.entry} → {self.exit}, {self.cost_bps:g} bps per side{fee}, "
            f"{hedge}, overlap {self.overlap}"
        )


def hedge_costs(rule: TradeRule, ratio: FloatArray) -> FloatArray:
    """``|h|·2·cost_bps/10⁴ + fee/notional`` where ``h ≠ 0``, else 0 (no hedge order)."""
    charge = np.abs(ratio) * 2.0 * rule.cost_bps / 1e4 + rule.fee / rule.notional
    return np.where(ratio != 0, charge, 0.0)


def _as_trading_error(exc: ValidationError) -> TradingError:
    lines, fields = [], []
    for err in exc.errors():
        loc = str(err["loc"][0]) if err["loc"] else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not loc:
            loc = msg.split(" ", 1)[0]  # cross-field checks start with the field name
        fields.append(loc)
        text = msg if msg.startswith(loc) else f"{loc}: {msg}"
        if err["type"] not in ("value_error", "assertion_error") and "input" in err:
            text += f" (got {err['input']!r})"
        lines.append(text)
    return TradingError(
        "invalid TradeRule: " + "; ".join(lines),
        field=fields[0] if len(set(fields)) == 1 else None,
    )


# ---------------------------------------------------------------------------
# inputs: dense ticker × session matrices and per-event arrays


@dataclass(frozen=True)
class Panel:
    """Prices as dense ``(ticker, session)`` matrices (NaN = no usable price)."""

    sessions: IntArray  # days since 1970-01-01, sorted unique
    tickers: tuple[str, ...]
    price: dict[str, FloatArray]  # "open" / "close"
    cumdiv: FloatArray  # cumdiv[i, j] = dividends of ticker i with ex-session index <= j
    first: IntArray  # first session index with a price row (T if none)
    last: IntArray  # last session index with a price row (-1 if none)
    bench: int  # row of the benchmark, -1 if absent

    @property
    def n_sessions(self) -> int:
        return int(self.sessions.shape[0])


@dataclass(frozen=True)
class EventArrays:
    """Events sorted by (event_id, ticker) with their lookup arrays."""

    frame: pl.DataFrame  # event_id, ticker, day0, timing
    row: IntArray  # panel row, -1 when the ticker has no prices
    d0: IntArray  # session index of day 0, -1 when not a session
    earliest: IntArray  # key of the first price after the news
    beta: FloatArray  # NaN when absent
    signal: FloatArray  # NaN when absent
    known: IntArray  # key at which the signal is known (close of known_at_rel_day)

    @property
    def n(self) -> int:
        return int(self.row.shape[0])


def build_panel(
    prices: pl.DataFrame,
    tickers: Sequence[str],
    points: Sequence[str],
    *,
    actions: pl.DataFrame | None,
    sessions: Sequence[dt.date] | pl.Series | None,
    benchmark: str,
) -> Panel:
    """Validate ``prices``/``actions`` and lay the needed tickers out on the sessions."""
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
    T = int(sess.shape[0])
    names = tuple(sorted(set(tickers) | {benchmark}))
    code = {t: i for i, t in enumerate(names)}
    px = prices.select(
        pl.col("ticker")
        .cast(pl.String)
        .replace_strict(code, default=-1, return_dtype=pl.Int64)
        .alias("row"),
        pl.col("date").cast(pl.Date).cast(pl.Int32).alias("day"),
        *[pl.col(p).cast(pl.Float64) for p in dict.fromkeys(points)],
    ).filter(pl.col("row") >= 0)
    if px.get_column("day").null_count():
        raise InputSchemaError("prices.date has null values", frame="prices", column="date")
    px = px.filter((pl.col("day") >= int(sess[0])) & (pl.col("day") <= int(sess[-1])))
    row = px.get_column("row").to_numpy()
    day = px.get_column("day").to_numpy().astype(np.int64)
    col = np.searchsorted(sess, day)
    off = sess[col] != day
    if off.any():
        bad = dt.date(1970, 1, 1) + dt.timedelta(days=int(day[off][0]))
        raise InputSchemaError(
            f"prices has {int(off.sum())} row(s) on dates that are not sessions, e.g. "
            f"{names[int(row[off][0])]} on {bad}; pass the exchange's sessions or drop those rows",
            frame="prices",
            column="date",
        )
    flat = row * T + col
    counts = np.bincount(flat, minlength=len(names) * T)
    if (counts > 1).any():
        i = int(np.flatnonzero(counts > 1)[0])
        bad = dt.date(1970, 1, 1) + dt.timedelta(days=int(sess[i % T]))
        raise InputSchemaError(
            f"prices has more than one row for {names[i // T]} on {bad}; keep one row per "
            "ticker and date",
            frame="prices",
            column="date",
        )
    matrices: dict[str, FloatArray] = {}
    for p in dict.fromkeys(points):
        m = np.full((len(names), T), np.nan)
        v = px.get_column(p).to_numpy().astype(np.float64)
        v = np.where(np.isfinite(v) & (v > 0), v, np.nan)
        m[row, col] = v
        matrices[p] = m
    has = counts.reshape(len(names), T) > 0
    any_row: BoolArray = np.any(has, axis=1)
    first = np.where(any_row, np.argmax(has, axis=1), T).astype(np.int64)
    last = np.where(any_row, T - 1 - np.argmax(has[:, ::-1], axis=1), -1).astype(np.int64)
    cumdiv = _dividend_matrix(actions, code, sess)
    return Panel(
        sessions=sess,
        tickers=names,
        price=matrices,
        cumdiv=cumdiv,
        first=first,
        last=last,
        bench=code[benchmark] if bool(any_row[code[benchmark]]) else -1,
    )


def _dividend_matrix(
    actions: pl.DataFrame | None, code: dict[str, int], sess: IntArray
) -> FloatArray:
    """Cumulative dividends per ticker by ex-session index (ex-dates mapped forward)."""
    T = int(sess.shape[0])
    out = np.zeros((len(code), T))
    if actions is None:
        return out
    require_columns(
        actions,
        "actions",
        {"ticker": "str", "date": "date", "kind": "str", "value": "num"},
        hint="actions has ACTION_SCHEMA: ticker, date (ex-date), kind ('dividend' or 'split'), value",
    )
    kinds = set(actions.get_column("kind").cast(pl.String).unique().drop_nulls().to_list())
    unknown = sorted(kinds - {"dividend", "split"})
    if unknown:
        raise InputSchemaError(
            f"actions.kind has unknown value(s) {unknown}; allowed: dividend, split",
            frame="actions",
            column="kind",
        )
    divs = (
        actions.filter(pl.col("kind").cast(pl.String) == "dividend")
        .select(
            pl.col("ticker")
            .cast(pl.String)
            .replace_strict(code, default=-1, return_dtype=pl.Int64)
            .alias("row"),
            pl.col("date").cast(pl.Date).cast(pl.Int32).alias("day"),
            pl.col("value").cast(pl.Float64),
        )
        .filter(pl.col("row") >= 0)
        .sort("row", "day", "value")  # a fixed summation order: results independent of row order
    )
    v = divs.get_column("value").to_numpy()
    if divs.get_column("day").null_count() or not np.isfinite(v).all() or (v < 0).any():
        raise InputSchemaError(
            "actions: every dividend needs a date and a finite cash value >= 0",
            frame="actions",
            column="value",
        )
    pos = np.searchsorted(sess, divs.get_column("day").to_numpy().astype(np.int64), side="left")
    keep = pos < T  # an ex-date after the last session is inside no window
    np.add.at(out, (divs.get_column("row").to_numpy()[keep], pos[keep]), v[keep])
    return np.cumsum(out, axis=1)


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
    frame = events.select(
        pl.col("event_id").cast(pl.String),
        pl.col("ticker").cast(pl.String),
        pl.col("day0").cast(pl.Date),
        timing.alias("timing"),
    )
    for c in ("event_id", "ticker"):
        if frame.get_column(c).null_count():
            raise InputSchemaError(f"events.{c} has null values", frame="events", column=c)
    bad = sorted(set(frame.get_column("timing").unique().to_list()) - set(_EARLIEST_KEY))
    if bad:
        raise InputSchemaError(
            f"events.timing has unknown value(s) {bad}; allowed: "
            f"{', '.join(_EARLIEST_KEY)} (null means unknown)",
            frame="events",
            column="timing",
        )
    _unique(frame, "events")
    frame = frame.sort("event_id", "ticker")
    code = {t: i for i, t in enumerate(panel.tickers)}
    row = (
        frame.get_column("ticker")
        .replace_strict(code, default=-1, return_dtype=pl.Int64)
        .to_numpy()
        .copy()
    )
    row[
        (row >= 0) & (panel.first[np.maximum(row, 0)] >= panel.n_sessions)
    ] = -1  # no rows in the span
    day = frame.get_column("day0").cast(pl.Int32).fill_null(-(2**31)).to_numpy().astype(np.int64)
    idx = np.minimum(np.searchsorted(panel.sessions, day), panel.n_sessions - 1)
    d0 = np.where(panel.sessions[idx] == day, idx, -1).astype(np.int64)
    earliest = (
        frame.get_column("timing")
        .replace_strict(_EARLIEST_KEY, return_dtype=pl.Int64)
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
        _unique(b, "betas")
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
        _unique(s, "signals")
        signal = _left(keys, s, "value")
        at = _left(keys, s, "known_at_rel_day")
        signal = np.where(np.isfinite(at), signal, np.nan)
        known = np.where(np.isfinite(at), 2 * np.nan_to_num(at) + 1, 0).astype(np.int64)
    return EventArrays(
        frame=frame,
        row=row.astype(np.int64),
        d0=d0,
        earliest=earliest,
        beta=beta,
        signal=signal,
        known=known,
    )


def _unique(frame: pl.DataFrame, name: str) -> None:
    dup = frame.select("event_id", "ticker").is_duplicated()
    if dup.any():
        first = frame.filter(dup).row(0, named=True)
        raise InputSchemaError(
            f"{name} has {int(dup.sum())} rows with a duplicate (event_id, ticker), e.g. "
            f"({first['event_id']!r}, {first['ticker']!r}); keep one row per event and ticker",
            frame=name,
            column="event_id",
        )


def _left(keys: pl.DataFrame, other: pl.DataFrame, column: str) -> FloatArray:
    out = keys.join(other, on=["event_id", "ticker"], how="left", maintain_order="left")
    return out.get_column(column).cast(pl.Float64).fill_nan(None).to_numpy().astype(np.float64)


# ---------------------------------------------------------------------------
# look-ahead


def lookahead_mask(ev: EventArrays, entry_key: int, *, sign: bool) -> tuple[BoolArray, BoolArray]:
    """Per event: (entry before the news, signal not yet known at entry)."""
    early = ev.earliest > entry_key
    late_signal = (ev.known > entry_key) & np.isfinite(ev.signal) if sign else np.zeros_like(early)
    return early, late_signal


def check_lookahead(
    ev: EventArrays, entry_key: int, entry_text: str, rule: TradeRule, *, field: str
) -> BoolArray:
    """Raise :class:`LookaheadError` on the first violation, unless the rule allows it.

    Returns the per-event perfect-foresight flag (all False when nothing is early).
    """
    early, late = lookahead_mask(ev, entry_key, sign=rule.direction == "sign")
    if not rule.allow_lookahead:
        if early.any():
            i = int(np.flatnonzero(early)[0])
            r = ev.frame.row(i, named=True)
            raise LookaheadError(
                f"{field}: entry {entry_text} is before the news of event {r['event_id']!r} "
                f"({r['ticker']}, day 0 {r['day0']}, timing {r['timing']}): the first price "
                f"after the news is {EARLIEST_ENTRY[r['timing']]}. {int(early.sum())} of "
                f"{ev.n} events are affected; enter at {EARLIEST_ENTRY[r['timing']]} or later, "
                "or set allow_lookahead=True to run it as perfect foresight",
                field=field,
                event_id=str(r["event_id"]),
            )
        if late.any():
            i = int(np.flatnonzero(late)[0])
            r = ev.frame.row(i, named=True)
            j = (int(ev.known[i]) - 1) // 2
            name = "direction" if field == "entry" else field
            raise LookaheadError(
                f"{name}: the signal of event {r['event_id']!r} ({r['ticker']}) is known at "
                f"the close of rel day {j:+d}, after the entry {entry_text}; enter at "
                f"close:{j:+d} or later, or set allow_lookahead=True (perfect foresight). "
                f"{int(late.sum())} of {ev.n} events are affected",
                field=name,
                event_id=str(r["event_id"]),
            )
    return early | late


# ---------------------------------------------------------------------------
# the vectorised core


@dataclass(frozen=True)
class Legs:
    """Prices and returns of every (event, cell); arrays broadcast to ``(n, H)``."""

    status: Int8Array
    entry_price: FloatArray
    exit_price: FloatArray
    dividends: FloatArray
    ret: FloatArray  # R of a long position (NaN unless status ok)
    bench_ret: FloatArray  # R_b (NaN when the benchmark lacks a price)


def base_status(ev: EventArrays, rule: TradeRule) -> tuple[Int8Array, FloatArray, FloatArray]:
    """Per-event status from ticker, day 0, signal and beta; direction ``s`` and ratio ``h``."""
    st = np.zeros(ev.n, dtype=np.int8)
    if rule.direction == "sign":
        s = np.sign(ev.signal)
        st[s == 0] = _ST["zero_signal"]
        st[~np.isfinite(ev.signal)] = _ST["no_signal"]
    else:
        s = np.full(ev.n, 1.0 if rule.direction == "long" else -1.0)
    if rule.hedge == "beta":
        h = ev.beta
        st = np.where((st == 0) & ~np.isfinite(h), _ST["no_beta"], st).astype(np.int8)
    else:
        h = np.full(ev.n, 1.0 if rule.hedge == "benchmark" else 0.0)
    st[ev.d0 < 0] = _ST["day0_not_session"]
    st[ev.row < 0] = _ST["no_prices"]
    return st, np.where(np.isfinite(s), s, 0.0), np.where(np.isfinite(h), h, 0.0)


def compute_legs(
    panel: Panel,
    ev: EventArrays,
    base: Int8Array,
    entry: IntArray,
    entry_point: str,
    exit_: IntArray,
    exit_point: str,
    *,
    need_bench: bool,
) -> Legs:
    """Look every trade up: ``entry`` (n, 1) and ``exit_`` (n, H) are session indices."""
    T = panel.n_sessions
    rr = np.maximum(ev.row, 0)[:, None]
    inside = (entry >= panel.first[rr]) & (exit_ <= panel.last[rr]) & (entry >= 0) & (exit_ < T)
    ec = np.clip(entry, 0, T - 1)
    xc = np.clip(exit_, 0, T - 1)
    pe = panel.price[entry_point][rr, ec]
    px = panel.price[exit_point][rr, xc]
    div = panel.cumdiv[rr, xc] - panel.cumdiv[rr, ec]
    if panel.bench >= 0:
        be = panel.price[entry_point][panel.bench, ec]
        bx = panel.price[exit_point][panel.bench, xc]
        bd = panel.cumdiv[panel.bench, xc] - panel.cumdiv[panel.bench, ec]
        bench_ret = (bx + bd) / be - 1.0
    else:
        bench_ret = np.full(np.broadcast(ec, xc).shape, np.nan)
    shape = np.broadcast(entry, exit_).shape
    st = np.zeros(shape, dtype=np.int8)
    if need_bench:
        st[~np.isfinite(bench_ret)] = _ST["missing_benchmark_price"]
    st = np.where(np.isfinite(px), st, _ST["missing_exit_price"])
    st = np.where(np.isfinite(pe), st, _ST["missing_entry_price"])
    base2 = np.broadcast_to(base[:, None], shape)
    # base statuses no_signal..no_beta rank after the price statuses
    st = np.where((base2 >= _ST["no_signal"]) & (st == 0), base2, st)
    st = np.where((base2 >= _ST["no_signal"]) & (st == _ST["missing_benchmark_price"]), base2, st)
    st = np.where(inside, st, _ST["outside_data"])
    st = np.where((base2 > 0) & (base2 < _ST["no_signal"]), base2, st).astype(np.int8)
    ret = np.where(st == 0, (px + div) / pe - 1.0, np.nan)
    return Legs(
        status=st,
        entry_price=np.broadcast_to(pe, shape),
        exit_price=np.broadcast_to(px, shape),
        dividends=np.broadcast_to(div, shape),
        ret=ret,
        bench_ret=np.broadcast_to(bench_ret, shape),
    )


def overlap_order(ev: EventArrays) -> IntArray:
    """Trades sorted by ticker, then day 0, then (event_id, ticker): the entry order."""
    return np.lexsort((np.arange(ev.n), ev.d0, ev.row))


def resolve_overlaps(
    row: IntArray, entry_key: IntArray, exit_key: IntArray, policy: str
) -> tuple[BoolArray, FloatArray, int]:
    """Overlaps among trades already in entry order (by ``row``, then ``entry_key``).

    Returns (kept, weight, count): ``count`` is the number skipped (``skip``) or the
    number in an overlapping cluster of two or more (``split``).
    """
    n = row.shape[0]
    kept = np.ones(n, dtype=bool)
    weight = np.ones(n)
    if n < 2:
        return kept, weight, 0
    span = int(max(exit_key.max(), entry_key.max())) + 2
    E = row * span + entry_key
    X = row * span + exit_key
    if not (E[1:] < X[:-1]).any():  # sorted by E: any overlap shows in a consecutive pair
        return kept, weight, 0
    if policy == "split":
        prev_max = np.maximum.accumulate(X)
        start = np.ones(n, dtype=bool)
        start[1:] = E[1:] >= prev_max[:-1]
        cluster = np.cumsum(start) - 1
        size = np.bincount(cluster)
        weight = 1.0 / size[cluster]
        return kept, weight, int((size[cluster] > 1).sum())
    # skip: follow, per ticker, the chain "next trade entering at or after my exit"
    nxt = np.maximum(np.searchsorted(E, X, side="left"), np.arange(1, n + 1))
    nxt_ok = nxt < n
    nxt_ok[nxt_ok] = row[nxt[nxt_ok]] == row[nxt_ok]
    nxt = np.where(nxt_ok, nxt, -1)
    head = np.ones(n, dtype=bool)
    head[1:] = row[1:] != row[:-1]
    kept = np.zeros(n, dtype=bool)
    cur = np.flatnonzero(head)
    while cur.size:  # one step per kept trade of the busiest ticker, over all tickers at once
        kept[cur] = True
        cur = nxt[cur]
        cur = cur[cur >= 0]
    return kept, weight, int((~kept).sum())


# ---------------------------------------------------------------------------
# statistics


def bootstrap_means(X: FloatArray, *, n_boot: int, seed: int) -> FloatArray:
    """Means of ``n_boot`` resamples (with replacement) of the rows of ``X`` (n, m).

    Every column is resampled with the same rows (a paired bootstrap), in
    chunks of about two million draws. Returns an ``(n_boot, m)`` array; the
    same ``seed`` gives the same draws.
    """
    n = int(X.shape[0])
    rng = np.random.default_rng(seed)
    means = np.empty((n_boot, X.shape[1]))
    chunk = max(1, _BOOT_CELLS // max(n, 1))
    columns = np.ascontiguousarray(X.T)
    for start in range(0, n_boot, chunk):  # chunks of resamples, not a loop over events
        m = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(m, n))
        for j in range(columns.shape[0]):  # a gather per series is faster than one 3-D gather
            means[start : start + m, j] = columns[j][idx].mean(axis=1)
    return means


def bootstrap_mean_ci(
    x: FloatArray, *, n_boot: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``x``: the ``(1 ± level)/2`` quantiles of the
    means of ``n_boot`` resamples (:func:`bootstrap_means`)."""
    if x.shape[0] == 0 or n_boot == 0:
        return (math.nan, math.nan)
    lo, hi = _ci(bootstrap_means(x[:, None], n_boot=n_boot, seed=seed), level)
    return float(lo[0]), float(hi[0])


def _ci(means: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    a = (1.0 - level) / 2.0
    q = np.quantile(means, [a, 1.0 - a], axis=0)
    return q[0], q[1]


def describe(X: FloatArray, *, n_boot: int, seed: int) -> list[dict[str, float | int | None]]:
    """Per column of ``X`` (n, m): n, mean, median, sd, hit rate (share > 0),
    ``t = mean / (sd/√n)`` and the paired percentile bootstrap 95% CI of the mean."""
    n, m = X.shape
    if n == 0:
        empty = dict.fromkeys(("mean", "median", "sd", "hit_rate", "t", "ci_low", "ci_high"))
        return [empty | {"n": 0} for _ in range(m)]
    mean = X.mean(axis=0)
    sd = X.std(axis=0, ddof=1) if n > 1 else np.full(m, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(sd > 0, mean / (sd / math.sqrt(n)), np.nan)
    if n_boot > 0:
        lo, hi = _ci(bootstrap_means(X, n_boot=n_boot, seed=seed))
    else:
        lo = hi = np.full(m, np.nan)
    median = np.median(X, axis=0)
    hit = (X > 0).mean(axis=0)
    return [
        {
            "n": int(n),
            "mean": float(mean[j]),
            "median": float(median[j]),
            "sd": _none(float(sd[j])),
            "hit_rate": float(hit[j]),
            "t": _none(float(t[j])),
            "ci_low": _none(float(lo[j])),
            "ci_high": _none(float(hi[j])),
        }
        for j in range(m)
    ]


def max_drawdown(equity: FloatArray) -> float:
    """``min_t (E_t / max_{s<=t} E_s - 1)`` with the curve starting at 1 (≤ 0)."""
    if equity.shape[0] == 0:
        return 0.0
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float(min(0.0, (equity / peak - 1.0).min()))


def _none(v: float) -> float | None:
    return None if not math.isfinite(v) else v


# ---------------------------------------------------------------------------
# one rule


def run_trades(
    events: pl.DataFrame,
    prices: pl.DataFrame,
    rule: TradeRule,
    *,
    actions: pl.DataFrame | None = None,
    sessions: Sequence[dt.date] | pl.Series | None = None,
    betas: pl.DataFrame | None = None,
    signals: pl.DataFrame | None = None,
    n_boot: int = 5_000,
    seed: int = 0,
) -> TradeResult:
    """Trade every event with ``rule`` and aggregate the returns.

    Parameters
    ----------
    events
        One row per trade candidate: ``event_id`` (str), ``ticker`` (str),
        ``day0`` (date), optional ``timing`` (``before_open``, ``intraday``,
        ``after_close``, ``unknown``; null or absent = ``unknown``). Keys
        (``event_id``, ``ticker``) unique.
    prices
        ``PRICE_SCHEMA`` frame (``ticker, date, open, close``, ...; only the
        points the rule uses are needed), including the benchmark. One row per
        ticker and date; rows outside the sessions' span are ignored, rows on
        non-session dates inside it are an error. ``close`` is split-adjusted,
        not dividend-adjusted.
    rule
        The :class:`TradeRule`.
    actions
        Optional ``ACTION_SCHEMA`` frame; cash dividends (split-adjusted, per
        share) are paid to long positions held over the ex-date (module notes).
        Split rows are ignored: prices are split-adjusted.
    sessions
        Sorted session dates (default: the unique dates of ``prices``).
    betas
        ``event_id, ticker, beta`` for ``hedge="beta"`` (the estimation-window
        beta from the event study); unused otherwise.
    signals
        ``event_id, ticker, value, known_at_rel_day`` (int) for
        ``direction="sign"``; unused otherwise.
    n_boot, seed
        Bootstrap resamples of the mean and the seed (0 resamples: no CI).

    Returns
    -------
    TradeResult
        Per-trade frame, statistics, equity curve; see :class:`TradeResult`.

    Raises
    ------
    LookaheadError
        The entry is before the news (or the signal is not yet known) for some
        event and ``rule.allow_lookahead`` is False.
    TradingError, InputSchemaError
        Invalid arguments or input frames.

    Notes
    -----
    Module docstring: gross ``R = (P_x + D)/P_e - 1``, ``net = s·R - cost``,
    ``hedged = s·(R - h·R_b) - cost - hedge_cost``. Statistics are over the
    ``ok`` trades, unweighted, with a paired bootstrap (the same resampled
    trades for every series). The equity curve compounds the exit-session
    cohorts (module notes).
    """
    if not isinstance(rule, TradeRule):
        raise TradingError(f"rule must be a TradeRule, got {type(rule).__name__}", field="rule")
    if n_boot < 0:
        raise TradingError(f"n_boot must be >= 0, got {n_boot}", field="n_boot")
    points = sorted({rule.entry.point, rule.exit.point})
    panel, ev = prepare_inputs(events, prices, rule, points, actions, sessions, betas, signals)
    foresight = check_lookahead(ev, rule.entry.key, str(rule.entry), rule, field="entry")
    base, s, h = base_status(ev, rule)
    d0 = np.maximum(ev.d0, 0)
    entry = (d0 + rule.entry.offset)[:, None]
    exit_ = (d0 + rule.exit.offset)[:, None]
    need_bench = rule.hedge != "none"
    if need_bench and panel.bench < 0:
        raise TradingError(
            f"benchmark {rule.benchmark!r} has no prices; add its rows to prices or use "
            "hedge='none'",
            field="benchmark",
        )
    legs = compute_legs(
        panel, ev, base, entry, rule.entry.point, exit_, rule.exit.point, need_bench=need_bench
    )
    status = legs.status[:, 0].copy()
    order = overlap_order(ev)
    ok_sorted = order[status[order] == 0]
    kept, w_sorted, n_overlap = resolve_overlaps(
        ev.row[ok_sorted],
        2 * entry[ok_sorted, 0] + (rule.entry.point == "close"),
        2 * exit_[ok_sorted, 0] + (rule.exit.point == "close"),
        rule.overlap,
    )
    status[ok_sorted[~kept]] = _ST["overlap_skipped"]
    weight = np.full(ev.n, np.nan)
    weight[ok_sorted] = w_sorted
    ok = status == 0
    R = legs.ret[:, 0]
    Rb = legs.bench_ret[:, 0]
    cost = rule.cost
    hcost = hedge_costs(rule, h)
    gross = np.where(ok, s * R, np.nan)
    net = gross - cost
    if rule.hedge == "none":
        hedged = net.copy()
    else:
        hedged = np.where(ok, s * (R - h * Rb) - cost - hcost, np.nan)
    valid = ev.d0 >= 0
    trades = _trade_frame(
        ev,
        panel,
        legs,
        status,
        np.where(valid, entry[:, 0], -1),
        np.where(valid, exit_[:, 0], -1),
        s,
        ev.beta if rule.hedge == "beta" else h,
        np.where(ok, cost, np.nan),
        np.where(ok, hcost, np.nan),
        (gross, net, hedged, weight),
        foresight,
    )
    return _result(rule, trades, n_overlap, n_boot, seed)


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
    require_columns(events, "events", {"ticker": "str"})
    tickers = events.get_column("ticker").cast(pl.String).drop_nulls().unique().to_list()
    panel = build_panel(
        prices, tickers, points, actions=actions, sessions=sessions, benchmark=rule.benchmark
    )
    return panel, prepare_events(events, panel, rule, betas=betas, signals=signals)


def _dates(panel: Panel, idx: IntArray) -> pl.Series:
    ok = (idx >= 0) & (idx < panel.n_sessions)
    days = np.where(ok, panel.sessions[np.clip(idx, 0, panel.n_sessions - 1)], 0)
    return pl.Series(days.astype(np.int32)).cast(pl.Date).scatter(np.flatnonzero(~ok), None)


def _trade_frame(
    ev: EventArrays,
    panel: Panel,
    legs: Legs,
    status: Int8Array,
    entry: IntArray,
    exit_: IntArray,
    s: FloatArray,
    h: FloatArray,
    cost: FloatArray,
    hcost: FloatArray,
    returns: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    foresight: BoolArray,
) -> pl.DataFrame:
    gross, net, hedged, weight = returns
    names = np.asarray(TRADE_STATUSES, dtype=object)[status]
    # prices are shown when the trade's sessions exist for the ticker, even if it failed later
    seen = status > _ST["outside_data"]
    seen |= status == 0

    def shown(x: FloatArray) -> FloatArray:
        return np.where(seen, x[:, 0], np.nan)

    return pl.DataFrame(
        {
            "event_id": ev.frame.get_column("event_id"),
            "ticker": ev.frame.get_column("ticker"),
            "day0": ev.frame.get_column("day0"),
            "timing": ev.frame.get_column("timing"),
            "direction": pl.Series(np.where(s > 0, "long", "short").astype(object)),
            "entry_date": _dates(panel, entry),
            "entry_price": shown(legs.entry_price),
            "exit_date": _dates(panel, exit_),
            "exit_price": shown(legs.exit_price),
            "dividends": shown(legs.dividends),
            "gross": gross,
            "cost": cost,
            "net": net,
            "hedge_ratio": h,
            "benchmark_return": shown(legs.bench_ret),
            "hedge_cost": hcost,
            "hedged": hedged,
            "weight": weight,
            "perfect_foresight": foresight,
            "status": pl.Series(names.tolist(), dtype=pl.String),
        },
        strict=False,
    ).with_columns(
        pl.when(~pl.col("status").is_in(["no_signal", "zero_signal"]))
        .then(pl.col("direction"))
        .alias("direction"),
        pl.col(
            "entry_price",
            "exit_price",
            "dividends",
            "benchmark_return",
            "gross",
            "cost",
            "net",
            "hedge_ratio",
            "hedge_cost",
            "hedged",
            "weight",
        ).fill_nan(None),
    )


# ---------------------------------------------------------------------------
# the result


SERIES: tuple[str, ...] = ("gross", "net", "hedged", "benchmark")


def _result(
    rule: TradeRule, trades: pl.DataFrame, n_overlap: int, n_boot: int, seed: int
) -> TradeResult:
    ok = trades.filter(pl.col("status") == "ok")
    cols = ["gross", "net", "hedged"]
    bench = ok.get_column("benchmark_return")
    if bench.null_count() == 0:  # the usual case: one paired bootstrap for all four
        stats = describe(ok.select(*cols, bench).to_numpy(), n_boot=n_boot, seed=seed)
    else:
        stats = describe(ok.select(cols).to_numpy(), n_boot=n_boot, seed=seed)
        stats += describe(bench.drop_nulls().to_numpy()[:, None], n_boot=n_boot, seed=seed)
    # one step per exit session: the capital is shared equally by the trades that close
    # then, each using the fraction ``weight`` of its share (the rest stays in cash)
    w = pl.col("weight")
    equity = (
        ok.with_columns(pl.col("benchmark_return").fill_null(0.0).alias("benchmark"))
        .group_by("exit_date", maintain_order=True)
        .agg(pl.len().cast(pl.Int64).alias("n"), *[(w * pl.col(c)).mean().alias(c) for c in SERIES])
        .sort("exit_date")
        .with_columns((1.0 + pl.col(c)).cum_prod().alias(_curve(c)) for c in SERIES)
    )
    rows = []
    for name, st in zip(SERIES, stats, strict=True):
        curve = equity.get_column(_curve(name)).to_numpy()
        rows.append(
            {"series": name}
            | st
            | {
                "compounded": float(curve[-1] - 1.0) if curve.shape[0] else None,
                "max_drawdown": max_drawdown(curve),
            }
        )
    return TradeResult(
        rule=rule,
        trades=trades,
        stats=pl.DataFrame(rows, schema=_STATS_SCHEMA),
        equity=equity,
        n_overlapping=n_overlap,
        perfect_foresight=bool(ok.get_column("perfect_foresight").any()),
        n_boot=n_boot,
        seed=seed,
    )


def _curve(series: str) -> str:
    """Column of a series' equity curve: ``equity`` for net, ``<series>_equity`` otherwise."""
    return "equity" if series == "net" else f"{series}_equity"


_STATS_SCHEMA: dict[str, pl.DataType] = {
    "series": pl.String(),
    "n": pl.Int64(),
    "mean": pl.Float64(),
    "median": pl.Float64(),
    "sd": pl.Float64(),
    "hit_rate": pl.Float64(),
    "t": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "compounded": pl.Float64(),
    "max_drawdown": pl.Float64(),
}

PERFECT_FORESIGHT = (
    "PERFECT FORESIGHT: some entries come before the news is public (allow_lookahead=True); "
    "these returns could not have been earned"
)


@dataclass(frozen=True)
class TradeResult:
    """What :func:`run_trades` produced (polars frames, returns as fractions, no NaN).

    Attributes
    ----------
    rule
        The rule traded.
    trades
        One row per event (sorted by event_id, ticker): ``event_id, ticker, day0,
        timing, direction`` (``long``/``short``; null when no trade could be
        set up), ``entry_date, entry_price, exit_date, exit_price, dividends``
        (cash per share received over the holding), ``gross, cost, net,
        hedge_ratio, benchmark_return`` (``R_b``, the benchmark held long over
        the same points), ``hedge_cost, hedged, weight`` (overlap weight),
        ``perfect_foresight`` (bool), ``status`` (:data:`TRADE_STATUSES`).
        Returns are null unless ``status == "ok"``.
    stats
        One row per series ``gross, net, hedged, benchmark``: ``n, mean,
        median, sd, hit_rate`` (share > 0), ``t`` (mean / (sd/√n)), ``ci_low,
        ci_high`` (percentile bootstrap 95% CI of the mean), ``compounded``
        (final equity − 1) and ``max_drawdown`` (≤ 0) of the series' curve.
    equity
        One row per exit session of the ``ok`` trades, in date order:
        ``exit_date, n`` (trades closing), the cohort returns ``gross, net,
        hedged, benchmark`` (``(1/n)·Σ w·r``; a missing benchmark return counts
        0) and the curves ``gross_equity, equity`` (net), ``hedged_equity,
        benchmark_equity`` (cumulative products of ``1 + cohort return``).
    n_overlapping
        Trades skipped (``overlap="skip"``) or in overlapping clusters (``split``).
    perfect_foresight
        True when an ``ok`` trade entered before the news or before its signal.
    """

    rule: TradeRule
    trades: pl.DataFrame
    stats: pl.DataFrame
    equity: pl.DataFrame
    n_overlapping: int
    perfect_foresight: bool
    n_boot: int
    seed: int

    def stat(self, series: str, name: str) -> float | int | None:
        """One statistic, e.g. ``stat("hedged", "mean")``."""
        row = self.stats.filter(pl.col("series") == series)
        if row.height == 0:
            raise TradingError(
                f"series must be one of {', '.join(SERIES)}, got {series!r}", field="series"
            )
        value: float | int | None = row.get_column(name).item()
        return value

    def summary(self) -> str:
        """Plain text: the rule, status counts, and the statistics of each series."""
        lines = []
        if self.perfect_foresight:
            lines.append(PERFECT_FORESIGHT)
        lines.append(f"Event-time trades: {self.rule.describe()}")
        counts = self.trades.group_by("status").len()
        by = dict(counts.iter_rows())
        text = ", ".join(f"{s} {by[s]}" for s in TRADE_STATUSES if s in by)
        lines.append(f"candidates: {self.trades.height} ({text or 'none'})")
        what = "skipped" if self.rule.overlap == "skip" else "sharing capital (split)"
        lines.append(f"overlapping trades in one ticker: {self.n_overlapping} {what}")
        head = ["", "n", "mean", "median", "hit", "t", "95% CI (bootstrap)", "compounded", "max DD"]
        table = [head]
        for r in self.stats.iter_rows(named=True):
            ci = f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]" if r["ci_low"] is not None else "-"
            table.append(
                [
                    r["series"],
                    str(r["n"]),
                    _pct(r["mean"]),
                    _pct(r["median"]),
                    "-" if r["hit_rate"] is None else f"{100 * r['hit_rate']:.1f}%",
                    "-" if r["t"] is None else f"{r['t']:.2f}",
                    ci,
                    _pct(r["compounded"]),
                    _pct(r["max_drawdown"]),
                ]
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        for row in table:
            lines.append(
                "  ".join(
                    c.rjust(wd) if i else c.ljust(wd)
                    for i, (c, wd) in enumerate(zip(row, widths, strict=True))
                )
            )
        lines.append(
            f"returns per trade after costs; benchmark = {self.rule.benchmark} held over the same "
            f"points; CI from {self.n_boot} resamples (seed {self.seed}); compounded over exit "
            "sessions, trades closing together share the capital"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.2f}%"
