"""A grid of event-time trades: entry offsets × holding periods, vectorised.

Each cell trades every event with the base :class:`~backtest.trading.TradeRule`
except for its entry and exit: entry ``<rule.entry.point>:k`` and exit
``<rule.exit.point>:(k + h)`` for entry offset ``k`` and holding period ``h``
(sessions). Prices are looked up by fancy indexing into dense ticker × session
matrices for all events and holding periods at once (one pass per entry
offset); the only per-cell work is the overlap rule and the sums.

The best cell of a sweep is an optimistic estimate: every result carries the
``sweep_optimistic`` notice (:func:`backtest.notices.sweep_optimistic`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from backtest._typing import CellValue, IntArray
from backtest.errors import TradingError
from backtest.notices import Notice, perfect_foresight, sweep_optimistic
from backtest.trading.legs import base_status, compute_legs
from backtest.trading.lookahead import check_lookahead, lookahead_mask
from backtest.trading.overlap import apply_overlap, overlap_order
from backtest.trading.panel import prepare_inputs
from backtest.trading.rule import TradeRule, hedge_costs
from backtest.trading.stats import moments


def run_trade_sweep(
    events: pl.DataFrame,
    prices: pl.DataFrame,
    rule: TradeRule,
    entry_offsets: Sequence[int],
    holding_periods: Sequence[int],
    *,
    actions: pl.DataFrame | None = None,
    sessions: Sequence[dt.date] | pl.Series | None = None,
    betas: pl.DataFrame | None = None,
    signals: pl.DataFrame | None = None,
    min_trades: int = 30,
) -> TradeSweepResult:
    """Mean net and hedged return, trade count and t-statistic for every grid cell.

    Parameters
    ----------
    events, prices, actions, sessions, betas, signals
        As for :func:`backtest.trading.run_trades`.
    rule
        The base rule: direction, price points, costs, hedge, overlap policy and
        ``allow_lookahead``. Its entry and exit *offsets* are replaced per cell.
    entry_offsets
        Entry sessions ``k`` relative to day 0 (unique integers).
    holding_periods
        Holding periods ``h >= 0`` in sessions (unique); the exit is at offset
        ``k + h``. With entry at the close and exit at the open, ``h >= 1``.
    min_trades
        Cells with fewer ``ok`` trades are marked ``enough = False``.

    Returns
    -------
    TradeSweepResult
        ``cells``: one row per (entry_offset, holding), sorted.

    Raises
    ------
    LookaheadError
        Some cell enters before the news (or before a signal is known) and
        ``rule.allow_lookahead`` is False; names ``entry_offsets`` and the event.

    Notes
    -----
    Per cell over its ``ok`` trades (after the overlap rule): ``mean_net`` and
    ``mean_hedged`` (see :mod:`backtest.trading` for ``net`` and ``hedged``),
    ``t = mean / (sd / √n)`` with ``sd`` the sample standard deviation.
    ``perfect_foresight`` is True when one of the cell's trades entered before
    the news or its signal (only with ``allow_lookahead``).
    """
    if not isinstance(rule, TradeRule):
        raise TradingError(f"rule must be a TradeRule, got {type(rule).__name__}", field="rule")
    K = _int_grid(entry_offsets, "entry_offsets")
    H = _int_grid(holding_periods, "holding_periods")
    low = 1 if (rule.entry.point, rule.exit.point) == ("close", "open") else 0
    if H.min() < low:
        raise TradingError(
            f"holding_periods must be >= {low} with entry at the {rule.entry.point} and exit at "
            f"the {rule.exit.point} (the exit may not come before the entry), got {int(H.min())}",
            field="holding_periods",
        )
    if isinstance(min_trades, bool) or not isinstance(min_trades, int) or min_trades < 1:
        raise TradingError(
            f"min_trades must be an integer >= 1, got {min_trades!r}", field="min_trades"
        )
    pe = int(rule.entry.point == "close")
    px = int(rule.exit.point == "close")
    points = sorted({rule.entry.point, rule.exit.point})
    panel, ev = prepare_inputs(events, prices, rule, points, actions, sessions, betas, signals)
    kmin = int(K.min())
    check_lookahead(ev, 2 * kmin + pe, f"{rule.entry.point}:{kmin:+d}", rule, field="entry_offsets")
    need_bench = rule.hedge != "none"
    if need_bench and panel.benchmark_row < 0:
        raise TradingError(
            f"benchmark {rule.benchmark!r} has no prices; add its rows to prices or use "
            "hedge='none'",
            field="benchmark",
        )
    base, s, h = base_status(ev, rule)
    cost = rule.cost
    hcost = hedge_costs(rule, h)
    order = overlap_order(ev)
    d0 = np.maximum(ev.d0, 0)
    blocks = []
    for k in K:  # one vectorised pass per entry offset over all events and holdings
        entry = (d0 + int(k))[:, None]
        exit_ = entry + H[None, :]
        legs = compute_legs(
            panel, ev, base, entry, rule.entry.point, exit_, rule.exit.point, need_bench=need_bench
        )
        ok = legs.status == 0
        n_overlap = apply_overlap(ev, order, ok, entry, exit_, pe, px, rule.overlap)
        R = np.where(ok, legs.ret, 0.0)
        net = s[:, None] * R - cost
        if need_bench:
            Rb = np.where(ok, legs.bench_ret, 0.0)
            hedged = s[:, None] * (R - h[:, None] * Rb) - cost - hcost[:, None]
        else:
            hedged = net
        early, late = lookahead_mask(ev, 2 * int(k) + pe, sign=rule.direction == "sign")
        n, mean_net, _, t_net = moments(net, ok)
        _, mean_h, sd_h, t_h = moments(hedged, ok)
        blocks.append(
            pl.DataFrame(
                {
                    "entry_offset": np.full(H.shape[0], int(k)),
                    "holding": H,
                    "exit_offset": int(k) + H,
                    "n": n,
                    "n_overlapping": n_overlap,
                    "mean_net": mean_net,
                    "t_net": t_net,
                    "mean_hedged": mean_h,
                    "sd_hedged": sd_h,
                    "t_hedged": t_h,
                    "enough": n >= min_trades,
                    "perfect_foresight": ((early | late)[:, None] & ok).any(axis=0),
                }
            )
        )
    cells = (
        pl.concat(blocks)
        .with_columns(
            pl.col("mean_net", "t_net", "mean_hedged", "sd_hedged", "t_hedged").fill_nan(None)
        )
        .sort("entry_offset", "holding")
    )
    return TradeSweepResult(rule=rule, cells=cells, min_trades=min_trades, n_events=ev.n)


def _int_grid(values: Sequence[int], name: str) -> IntArray:
    try:
        items = list(values)
    except TypeError:
        raise TradingError(
            f"{name} must be a sequence of integers, got {values!r}", field=name
        ) from None
    if not items or any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in items):
        raise TradingError(
            f"{name} must be a non-empty sequence of integers (sessions), got {items!r}", field=name
        )
    if len(set(items)) != len(items):
        raise TradingError(f"{name} lists a value twice: {items!r}", field=name)
    return np.asarray(sorted(int(v) for v in items), dtype=np.int64)


@dataclass(frozen=True)
class TradeSweepResult:
    """What :func:`run_trade_sweep` measured.

    Attributes
    ----------
    rule
        The base rule (its entry and exit offsets are not used).
    cells
        One row per cell: ``entry_offset, holding, exit_offset, n,
        n_overlapping`` (skipped, or in overlapping clusters for ``split``),
        ``mean_net, t_net, mean_hedged, sd_hedged, t_hedged`` (fractions;
        null without trades), ``enough`` (``n >= min_trades``),
        ``perfect_foresight``.
    min_trades
        The threshold behind ``enough``.
    n_events
        Trade candidates per cell.
    """

    rule: TradeRule
    cells: pl.DataFrame
    min_trades: int
    n_events: int

    @property
    def perfect_foresight(self) -> bool:
        """True when a cell has a trade that entered before the news or its signal."""
        return bool(self.cells.get_column("perfect_foresight").any())

    @property
    def notices(self) -> tuple[Notice, ...]:
        """What a report must say: perfect foresight (if any), and that the best cell is optimistic."""
        pf = (perfect_foresight(cells=True),) if self.perfect_foresight else ()
        return (*pf, sweep_optimistic(self.cells.height))

    @property
    def warning(self) -> str:
        """Why the best cell overstates what the rule would earn (the ``sweep_optimistic`` text)."""
        return sweep_optimistic(self.cells.height).text

    def best(self, by: CellValue = "t_hedged") -> dict[str, Any] | None:
        """The cell with the largest ``by`` among cells with enough trades (None if none)."""
        pool = self.cells.filter(pl.col("enough") & pl.col(by).is_not_null())
        if pool.height == 0:
            return None
        return pool.sort(by, "entry_offset", "holding", descending=[True, False, False]).row(
            0, named=True
        )

    def grid(self, value: CellValue = "mean_hedged") -> pl.DataFrame:
        """``value`` as a table: one row per entry offset, one column per holding period."""
        wide = self.cells.pivot(on="holding", index="entry_offset", values=value, sort_columns=True)
        return wide.rename({c: f"h{c}" for c in wide.columns if c != "entry_offset"})

    def summary(self) -> str:
        """Plain text: the rule, the grid of mean hedged returns (%), the best cell, the warning."""
        r = self.rule
        notices = self.notices
        lines = [n.text for n in notices if n.code == "perfect_foresight"]
        lines.append(
            f"Sweep of {self.cells.height} cells over {self.n_events} events: {r.direction}, "
            f"entry {r.entry.point}:k, exit {r.exit.point}:k+h, {r.cost_bps:g} bps per side, "
            f"hedge {r.hedge}, overlap {r.overlap}"
        )
        holdings = sorted(set(self.cells.get_column("holding").to_list()))
        lookup = {(c["entry_offset"], c["holding"]): c for c in self.cells.iter_rows(named=True)}
        offsets = sorted(set(self.cells.get_column("entry_offset").to_list()))
        table = [["k \\ h", *[str(x) for x in holdings]]]
        for k in offsets:
            row = [f"{k:+d}"]
            for x in holdings:
                c = lookup[(k, x)]
                v = c["mean_hedged"]
                row.append("·" if not c["enough"] or v is None else f"{100 * v:+.2f}")
            table.append(row)
        widths = [max(len(t[i]) for t in table) for i in range(len(table[0]))]
        lines.append("mean hedged net return per trade (%):")
        for t in table:
            lines.append(" ".join(c.rjust(w) for c, w in zip(t, widths, strict=True)))
        lines.append(f"· = fewer than {self.min_trades} trades")
        best = self.best()
        if best is not None:
            lines.append(
                f"best cell by t: entry {best['entry_offset']:+d}, hold {best['holding']}: "
                f"mean hedged {100 * best['mean_hedged']:+.3f}%, t {best['t_hedged']:.2f}, "
                f"n {best['n']}"
            )
        lines.extend(n.text for n in notices if n.code == "sweep_optimistic")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
