"""The vectorised core: every trade's prices, dividends, return and status at once.

Status codes are the positions in :data:`backtest._typing.TRADE_STATUSES`
(``ST[name]``), in order of precedence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtest._typing import TRADE_STATUSES, FloatArray, Int8Array, IntArray
from backtest.panel import Panel
from backtest.trading.panel import EventArrays
from backtest.trading.rule import TradeRule

ST = {name: np.int8(i) for i, name in enumerate(TRADE_STATUSES)}


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
        st[s == 0] = ST["zero_signal"]
        st[~np.isfinite(ev.signal)] = ST["no_signal"]
    else:
        s = np.full(ev.n, 1.0 if rule.direction == "long" else -1.0)
    if rule.hedge == "beta":
        h = ev.beta
        st = np.where((st == 0) & ~np.isfinite(h), ST["no_beta"], st).astype(np.int8)
    else:
        h = np.full(ev.n, 1.0 if rule.hedge == "benchmark" else 0.0)
    st[ev.d0 < 0] = ST["day0_not_session"]
    st[ev.row < 0] = ST["no_prices"]
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
    inside = (entry >= ev.first[:, None]) & (exit_ <= ev.last[:, None]) & (entry >= 0) & (exit_ < T)
    ec = np.clip(entry, 0, T - 1)
    xc = np.clip(exit_, 0, T - 1)
    enter, leave, cum = panel.values[entry_point], panel.values[exit_point], panel.values["cumdiv"]
    pe = enter[rr, ec]
    px = leave[rr, xc]
    div = cum[rr, xc] - cum[rr, ec]
    b = panel.benchmark_row
    if b >= 0:
        be = enter[b, ec]
        bx = leave[b, xc]
        bd = cum[b, xc] - cum[b, ec]
        bench_ret = (bx + bd) / be - 1.0
    else:
        bench_ret = np.full(np.broadcast(ec, xc).shape, np.nan)
    shape = np.broadcast(entry, exit_).shape
    st = np.zeros(shape, dtype=np.int8)
    if need_bench:
        st[~np.isfinite(bench_ret)] = ST["missing_benchmark_price"]
    st = np.where(np.isfinite(px), st, ST["missing_exit_price"])
    st = np.where(np.isfinite(pe), st, ST["missing_entry_price"])
    base2 = np.broadcast_to(base[:, None], shape)
    # base statuses no_signal..no_beta rank after the price statuses
    st = np.where((base2 >= ST["no_signal"]) & (st == 0), base2, st)
    st = np.where((base2 >= ST["no_signal"]) & (st == ST["missing_benchmark_price"]), base2, st)
    st = np.where(inside, st, ST["outside_data"])
    st = np.where((base2 > 0) & (base2 < ST["no_signal"]), base2, st).astype(np.int8)
    ret = np.where(st == 0, (px + div) / pe - 1.0, np.nan)
    return Legs(
        status=st,
        entry_price=np.broadcast_to(pe, shape),
        exit_price=np.broadcast_to(px, shape),
        dividends=np.broadcast_to(div, shape),
        ret=ret,
        bench_ret=np.broadcast_to(bench_ret, shape),
    )
