"""Event-time trading: buy (or sell) around each event, exit N sessions later.

"Had I bought AMZN at the close before each Amazon event and sold five sessions
later, hedged with SPY, what would I have made after costs, and is it better
than chance?" :func:`run_trades` answers it for one :class:`TradeRule`;
:func:`run_trade_sweep` for a grid of entry offsets and holding periods. Pure
functions over polars frames: no I/O, no clock.

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
Portfolio
    The calendar-time account the ``ok`` trades share (``TradeResult.portfolio``)
    and the same rule holding the benchmark (``benchmark_portfolio``): equal
    weight across open positions or a fixed notional per trade, orders netted
    and charged, marked at every close (:mod:`backtest.trading.portfolio`,
    :mod:`backtest.trading.book`).
Scheduled events
    An ``events.scheduled`` column (bool) marks dates known in advance; a fixed
    ``long``/``short`` entry before the news of such an event is allowed and
    is not perfect foresight (:mod:`backtest.trading.lookahead`).

Status codes, in order of precedence (``TRADE_STATUSES``): ``ok``;
``no_prices`` (ticker absent from prices); ``day0_not_session`` (null or not
one of ``sessions``); ``outside_data`` (entry or exit session outside the
sessions or outside the ticker's price history); ``missing_entry_price``;
``missing_exit_price`` (null, non-positive or absent on that session);
``no_signal`` / ``zero_signal`` (``sign`` rule); ``no_beta`` (``beta`` hedge);
``missing_benchmark_price`` (hedged rules); ``overlap_skipped``. Rows are never
dropped; only ``ok`` trades have returns.

Errors are :class:`~backtest.errors.TradingError` (a rule field or an
argument is invalid) and its subclass :class:`~backtest.errors.LookaheadError`;
see the tree in :mod:`backtest.errors`. Results carry their warnings as
:class:`~backtest.notices.Notice` values (``notices``).

Modules: ``rule`` (:class:`PricePoint`, :class:`TradeRule`), ``panel`` (prices
and dividends on the sessions, per-event arrays), ``lookahead``, ``legs`` (the
vectorised prices and returns), ``overlap``, ``stats``, ``run``
(:func:`run_trades`), ``result`` (:class:`TradeResult`) and ``sweep``
(:func:`run_trade_sweep`, :class:`TradeSweepResult`).
"""

from __future__ import annotations

from backtest._typing import TRADE_STATUSES
from backtest.errors import LookaheadError, TradingError
from backtest.notices import PERFECT_FORESIGHT, SWEEP_WARNING
from backtest.trading.panel import EARLIEST_ENTRY
from backtest.trading.portfolio import Portfolio, PortfolioRule
from backtest.trading.result import TradeResult
from backtest.trading.rule import PricePoint, TradeRule
from backtest.trading.run import run_trades
from backtest.trading.stats import bootstrap_mean_ci, max_drawdown
from backtest.trading.sweep import TradeSweepResult, run_trade_sweep

__all__ = [
    "EARLIEST_ENTRY",
    "PERFECT_FORESIGHT",
    "SWEEP_WARNING",
    "TRADE_STATUSES",
    "LookaheadError",
    "Portfolio",
    "PortfolioRule",
    "PricePoint",
    "TradeResult",
    "TradeRule",
    "TradeSweepResult",
    "TradingError",
    "bootstrap_mean_ci",
    "max_drawdown",
    "run_trade_sweep",
    "run_trades",
]
