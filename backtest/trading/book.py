"""The calendar-time book: cash and shares, orders at price points, a mark at every close.

:func:`simulate` is the accounting behind :mod:`backtest.trading.portfolio`; it knows
nothing of events, only of positions (an asset, a side, a hedge, an entry and an exit
price point) and of the prices on the sessions.

Time
    Price points are keyed ``2·t + (0 open, 1 close)`` for session index ``t``. At a key
    where positions open or close, in this order: the cash dividends of session ``t``
    (ex-date ``t``) are credited for the shares held (``k = 2t`` and ``k = 2t + 1`` both
    see them first; a short pays), the closing positions are closed, the opening ones
    opened, and under ``equal_weight`` every open position is rebalanced. The book is
    marked at every close.
Equity
    ``E = cash + Σ_a Q_a · P_a`` over assets ``a`` with ``Q_a`` the net shares (stock legs
    and hedge legs of every open position; negative = short, whose proceeds are cash).
Orders
    At a key the new holdings ``Q'`` replace ``Q``; the orders are netted per asset, so a
    same-point exit and re-entry of one ticker, or two positions in one benchmark hedge,
    trade only the difference. Costs at the key::

        cost = cost_bps / 10⁴ · Σ_a |Q'_a − Q_a| · P_a  +  fee / 2 · (legs opened + legs closed)

    (``fee`` per leg and round trip, as in the trade-level convention: half on the opening
    order, half on the closing one); ``cash ← cash − Σ_a (Q'_a − Q_a) · P_a − cost``.
Allocation
    ``equal_weight``: at every key where the set of open positions changes, each open
    position's stock leg is set to ``E / N`` of notional (``E`` before this key's costs,
    ``N`` open positions after the key), signed by its side, and its hedge leg to
    ``−side · h · E / N`` of benchmark notional; between such keys the shares are held and
    the weights drift with prices. ``fixed_notional``: a position opens with stock
    notional ``min(notional, E − Σ |stock legs|)`` (no borrowing: the stock legs never
    exceed the equity; a position with nothing left is *unfunded* and not opened) and
    keeps its shares until it closes.

If the equity is not positive at a key, every position is closed and nothing more opens
(``ruined``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class Positions:
    """The positions to run through the book (arrays of one length ``n``).

    ``asset`` and ``hedge_asset`` are rows of the price arrays (``hedge_asset`` -1: none);
    ``side`` is ±1, ``hedge`` the hedge ratio ``h`` (0: no hedge leg); ``entry`` and
    ``exit`` are price-point keys with ``exit > entry``.
    """

    asset: IntArray
    side: FloatArray
    hedge: FloatArray
    hedge_asset: int
    entry: IntArray
    exit: IntArray

    @property
    def n(self) -> int:
        return int(self.asset.shape[0])


@dataclass(frozen=True)
class BookRun:
    """What the book did on sessions ``first .. last`` (arrays of that length)."""

    first: int  # session index of the first row
    equity: FloatArray  # at each close
    gross: FloatArray  # Σ_a |Q_a P_a| at each close (currency)
    net: FloatArray  # Σ_a Q_a P_a at each close
    positions: IntArray  # open positions at each close
    traded: FloatArray  # notional traded on the session (currency)
    costs: FloatArray  # costs paid on the session
    funded: BoolArray  # per position: opened (False: unfunded or after ruin)
    notional: FloatArray  # per position: stock notional at opening (0 if not opened)
    ruined: bool


def point_prices(open_: FloatArray | None, close: FloatArray) -> FloatArray:
    """``(A, 2T)`` prices by key, forward-filled along time (a missing open is the last
    known price); 0 before an asset's first price (it cannot be held then)."""
    A, T = close.shape
    pp = np.full((A, 2 * T), np.nan)
    if open_ is not None:
        pp[:, 0::2] = open_
    pp[:, 1::2] = close
    idx = np.where(np.isfinite(pp), np.arange(2 * T)[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    filled = pp[np.arange(A)[:, None], idx]
    return np.where(np.isfinite(filled), filled, 0.0)


def simulate(
    pos: Positions,
    prices: FloatArray,
    cumdiv: FloatArray,
    *,
    allocation: str,
    initial_capital: float,
    notional: float,
    cost_bps: float,
    fee: float,
) -> BookRun:
    """Run ``pos`` through the book (module docstring); ``prices`` from :func:`point_prices`,
    ``cumdiv[a, t]`` the cumulative cash dividends per share with ex-session ``<= t``."""
    A = prices.shape[0]
    n = pos.n
    keys = np.unique(np.concatenate([pos.entry, pos.exit]))
    first, last = int(keys[0]) // 2, int(keys[-1]) // 2
    q = np.zeros(n)  # stock shares per position
    qh = np.zeros(n)  # hedge shares per position
    is_open = np.zeros(n, dtype=bool)
    funded = np.zeros(n, dtype=bool)
    opened_notional = np.zeros(n)
    closed_at = pos.exit.copy()
    Q = np.zeros(A)
    cash = float(initial_capital)
    credited = first
    ruined = False
    rate = cost_bps / 1e4
    hedged = pos.hedge != 0
    legs = 1 + hedged.astype(np.int64)
    S = last - first + 1
    traded = np.zeros(S)
    costs = np.zeros(S)
    snap_cash = np.empty(keys.shape[0])
    snap_Q = np.empty((keys.shape[0], A))
    snap_cred = np.empty(keys.shape[0], dtype=np.int64)
    by_entry = {int(k): np.flatnonzero(pos.entry == k) for k in np.unique(pos.entry)}
    by_exit = {int(k): np.flatnonzero(pos.exit == k) for k in np.unique(pos.exit)}
    for j, key in enumerate(keys.tolist()):
        t = key // 2
        cash += float(Q @ (cumdiv[:, t] - cumdiv[:, credited]))
        credited = t
        P = prices[:, key]
        closing = by_exit.get(key, np.empty(0, dtype=np.int64))
        closing = closing[is_open[closing]]
        entering = by_entry.get(key, np.empty(0, dtype=np.int64))
        equity = cash + float(Q @ P)
        n_legs = int(legs[closing].sum())
        is_open[closing] = False
        q[closing] = 0.0
        qh[closing] = 0.0
        if equity <= 0.0:
            ruined = True
        if ruined:
            n_legs += int(legs[is_open].sum())
            closed_at[is_open] = key
            is_open[:] = False
            q[:] = 0.0
            qh[:] = 0.0
        elif allocation == "equal_weight":
            funded[entering] = True
            is_open[entering] = True
            members = np.flatnonzero(is_open)
            n_legs += int(legs[entering].sum())
            if members.size:
                alloc = equity / members.size
                opened_notional[entering] = alloc
                q[members] = pos.side[members] * alloc / P[pos.asset[members]]
                ph = P[pos.hedge_asset] if pos.hedge_asset >= 0 else 0.0
                if ph > 0:  # 0: no benchmark price yet, so no hedged position is open
                    qh[members] = -pos.side[members] * pos.hedge[members] * alloc / ph
        else:
            used = float(np.abs(q[is_open] * P[pos.asset[is_open]]).sum())
            for i in entering.tolist():
                size = min(notional, equity - used)
                if size <= 0.0:
                    continue
                funded[i] = is_open[i] = True
                opened_notional[i] = size
                used += size
                n_legs += int(legs[i])
                q[i] = pos.side[i] * size / P[pos.asset[i]]
                if pos.hedge_asset >= 0 and pos.hedge[i] != 0:
                    qh[i] = -pos.side[i] * pos.hedge[i] * size / P[pos.hedge_asset]
        new_Q: FloatArray = np.bincount(pos.asset, weights=q, minlength=A).astype(np.float64)
        if pos.hedge_asset >= 0:
            new_Q[pos.hedge_asset] += qh.sum()
        dQ = new_Q - Q
        value = np.abs(dQ) * P
        flow = float((dQ * P).sum())
        cost = rate * float(value.sum()) + 0.5 * fee * n_legs
        cash -= flow + cost
        Q = new_Q
        traded[t - first] += float(value.sum())
        costs[t - first] += cost
        snap_cash[j], snap_Q[j], snap_cred[j] = cash, Q, credited
    # marks at every close: the holdings and cash after the last key at or before it
    sess = np.arange(first, last + 1)
    at = np.searchsorted(keys, 2 * sess + 1, side="right") - 1
    Qj = snap_Q[at]
    divs = (cumdiv[:, sess].T - cumdiv[:, snap_cred[at]].T) * Qj
    vals = Qj * prices[:, 2 * sess + 1].T
    equity = snap_cash[at] + divs.sum(axis=1) + vals.sum(axis=1)
    close_keys = 2 * sess + 1
    live = (
        funded[None, :]
        & (pos.entry[None, :] <= close_keys[:, None])
        & (closed_at[None, :] > close_keys[:, None])
    )
    return BookRun(
        first=first,
        equity=equity,
        gross=np.abs(vals).sum(axis=1),
        net=vals.sum(axis=1),
        positions=live.sum(axis=1).astype(np.int64),
        traded=traded,
        costs=costs,
        funded=funded,
        notional=opened_notional,
        ruined=ruined,
    )
