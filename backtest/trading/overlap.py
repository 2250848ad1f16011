"""Overlapping trades in one ticker (``TradeRule.overlap``).

Trades of one ticker overlap when one enters strictly before an earlier one
exits (a same-point exit and re-entry is not an overlap). ``skip`` keeps the
first and skips, greedily in entry order, every trade entering before the last
kept trade's exit; ``split`` keeps all and gives each trade of an overlapping
cluster (trades linked by overlaps) the weight ``1 / cluster size``.
"""

from __future__ import annotations

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.trading.panel import EventArrays


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


def apply_overlap(
    ev: EventArrays,
    order: IntArray,
    ok: BoolArray,
    entry: IntArray,
    exit_: IntArray,
    pe: int,
    px: int,
    policy: str,
) -> IntArray:
    """Drop skipped trades from ``ok`` in place; the overlap count per holding period."""
    counts = np.zeros(ok.shape[1], dtype=np.int64)
    for j in range(ok.shape[1]):  # one call per cell; each is vectorised over events
        idx = order[ok[order, j]]
        kept, _, counts[j] = resolve_overlaps(
            ev.row[idx], 2 * entry[idx, 0] + pe, 2 * exit_[idx, j] + px, policy
        )
        ok[idx[~kept], j] = False
    return counts
