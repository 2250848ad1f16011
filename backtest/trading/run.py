"""One rule over every event: :func:`run_trades`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

from backtest._typing import TRADE_STATUSES, BoolArray, FloatArray, Int8Array, IntArray
from backtest.errors import TradingError
from backtest.panel import Panel
from backtest.trading.legs import ST, Legs, base_status, compute_legs
from backtest.trading.lookahead import check_lookahead
from backtest.trading.overlap import overlap_order, resolve_overlaps
from backtest.trading.panel import EventArrays, prepare_inputs
from backtest.trading.portfolio import Portfolio, PortfolioRule, build_portfolio
from backtest.trading.result import TradeResult, trade_result
from backtest.trading.rule import TradeRule, hedge_costs


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
    portfolio: PortfolioRule | None = None,
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
        share) are paid to long positions held over the ex-date (:mod:`backtest.trading`).
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
    portfolio
        How the calendar-time portfolio allocates capital (default: equal weight,
        :class:`~backtest.trading.portfolio.PortfolioRule`).

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
    :mod:`backtest.trading`: gross ``R = (P_x + D)/P_e - 1``, ``net = s·R - cost``,
    ``hedged = s·(R - h·R_b) - cost - hedge_cost``. Statistics are over the
    ``ok`` trades, unweighted, with a paired bootstrap (the same resampled
    trades for every series). The equity curve compounds the exit-session
    cohorts (:mod:`backtest.trading`, "Equity curve").
    """
    if not isinstance(rule, TradeRule):
        raise TradingError(f"rule must be a TradeRule, got {type(rule).__name__}", field="rule")
    if n_boot < 0:
        raise TradingError(f"n_boot must be >= 0, got {n_boot}", field="n_boot")
    if portfolio is None:
        portfolio = PortfolioRule()
    if not isinstance(portfolio, PortfolioRule):
        raise TradingError(
            f"portfolio must be a PortfolioRule, got {type(portfolio).__name__}", field="portfolio"
        )
    points = sorted({rule.entry.point, rule.exit.point, "close"})  # the book marks at closes
    panel, ev = prepare_inputs(events, prices, rule, points, actions, sessions, betas, signals)
    foresight = check_lookahead(ev, rule.entry.key, str(rule.entry), rule, field="entry")
    base, s, h = base_status(ev, rule)
    d0 = np.maximum(ev.d0, 0)
    entry = (d0 + rule.entry.offset)[:, None]
    exit_ = (d0 + rule.exit.offset)[:, None]
    need_bench = rule.hedge != "none"
    if need_bench and panel.benchmark_row < 0:
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
    status[ok_sorted[~kept]] = ST["overlap_skipped"]
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
    keys = (
        2 * entry[:, 0] + (rule.entry.point == "close"),
        2 * exit_[:, 0] + (rule.exit.point == "close"),
    )
    book, bench_book = _portfolios(panel, ev, ok, np.isfinite(Rb), s, h, keys, rule, portfolio)
    return trade_result(rule, trades, n_overlap, n_boot, seed, book, bench_book)


def _portfolios(
    panel: Panel,
    ev: EventArrays,
    ok: BoolArray,
    bench_ok: BoolArray,
    s: FloatArray,
    h: FloatArray,
    keys: tuple[IntArray, IntArray],
    rule: TradeRule,
    prule: PortfolioRule,
) -> tuple[Portfolio, Portfolio | None]:
    """The ``ok`` trades in the book, and the same rule applied to the benchmark (over the
    ``ok`` trades whose entry and exit the benchmark has prices for)."""
    idx = np.flatnonzero(ok)
    entry, exit_ = keys[0][idx], keys[1][idx]
    book = build_portfolio(
        prule,
        panel,
        asset=ev.row[idx],
        side=s[idx],
        hedge=h[idx],
        entry=entry,
        exit_=exit_,
        cost_bps=rule.cost_bps,
        fee=rule.fee,
    )
    if panel.benchmark_row < 0:
        return book, None
    idx = np.flatnonzero(ok & bench_ok)
    bench = build_portfolio(
        prule,
        panel,
        asset=np.full(idx.shape[0], panel.benchmark_row, dtype=np.int64),
        side=np.ones(idx.shape[0]),
        hedge=np.zeros(idx.shape[0]),
        entry=keys[0][idx],
        exit_=keys[1][idx],
        cost_bps=rule.cost_bps,
        fee=rule.fee,
    )
    return book, bench


def _dates(panel: Panel, idx: IntArray) -> pl.Series:
    ok = (idx >= 0) & (idx < panel.n_sessions)
    days = np.where(ok, panel.days[np.clip(idx, 0, panel.n_sessions - 1)], 0)
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
    seen = status > ST["outside_data"]
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
