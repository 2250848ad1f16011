"""Row-wise ranks of stacked observations (no loop over rows)."""

from __future__ import annotations

import numpy as np

from backtest._typing import FloatArray


def rank_rows(values: FloatArray) -> FloatArray:
    """Average ranks (1-based, ties share their mean rank) within each row; NaN stays NaN.

    Parameters
    ----------
    values
        ``(N, M)`` array; NaN marks a missing value, which is not ranked.

    Returns
    -------
    numpy.ndarray
        ``(N, M)`` float ranks, equal to ``scipy.stats.rankdata(row, "average")``
        on the non-missing values of each row.

    Notes
    -----
    One ``argsort`` along the rows gives ordinal ranks (input values are finite or
    NaN). Rows with ties (rare with
    continuous returns) are then fixed: the first and last sorted position of each
    run of equal values come from running maxima/minima of the run boundaries, and
    each member of the run gets their mean.
    """
    values = np.asarray(values, dtype=np.float64)
    N, M = values.shape
    out = np.full((N, M), np.nan)
    if N == 0 or M == 0:
        return out
    missing = np.isnan(values)
    # +inf instead of NaN keeps numpy's fast (SIMD) sort; missing values still sort last
    keyed = np.where(missing, np.inf, values) if missing.any() else values
    order = np.argsort(keyed, axis=1)
    sv = np.take_along_axis(keyed, order, axis=1)
    tie = (sv[:, 1:] == sv[:, :-1]) & np.isfinite(sv[:, 1:])  # missing values never tie
    ranks = np.broadcast_to(np.arange(1.0, M + 1.0), (N, M)).copy()
    rows = np.flatnonzero(tie.any(axis=1))
    if rows.size:
        sub = sv[rows]
        n, pos = rows.size, np.arange(M)
        starts = np.ones((n, M), dtype=bool)
        starts[:, 1:] = ~tie[rows]
        first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
        ends = np.ones((n, M), dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        last = np.minimum.accumulate(np.where(ends, pos, M - 1)[:, ::-1], axis=1)[:, ::-1]
        ranks[rows] = np.where(np.isfinite(sub), (first + last) / 2.0 + 1.0, np.nan)
    np.put_along_axis(out, order, ranks, axis=1)
    out[missing] = np.nan
    return out


def rank_rows_and_prefix(values: FloatArray, k: int) -> tuple[FloatArray, FloatArray]:
    """:func:`rank_rows` of ``values`` and of its first ``k`` columns alone, from one sort.

    Returns
    -------
    tuple
        ``(ranks, prefix_ranks)`` with ``prefix_ranks == rank_rows(values[:, :k])``.

    Notes
    -----
    Walking each sorted row, the ordinal rank of a value among the first ``k``
    columns is the running count of such values; rows with ties fall back to
    :func:`rank_rows` on the prefix. Both integer ranks go back to their columns in
    one scatter, packed into an int32 (an int64 for rows of 32,768 values or more).
    """
    values = np.asarray(values, dtype=np.float64)
    N, M = values.shape
    if N == 0 or M == 0:
        return np.full((N, M), np.nan), np.full((N, k), np.nan)
    missing = np.isnan(values)
    keyed = np.where(missing, np.inf, values) if missing.any() else values
    order = np.argsort(keyed, axis=1)
    sv = np.take_along_axis(keyed, order, axis=1)
    tie = (sv[:, 1:] == sv[:, :-1]) & np.isfinite(sv[:, 1:])
    tied = tie.any(axis=1)
    # one scatter of both integer ranks, packed: running prefix count << bits | ordinal rank
    kind, bits = (np.int32, 16) if M < 1 << 15 else (np.int64, 32)
    packed = np.left_shift(np.cumsum(order < k, axis=1, dtype=kind), bits)
    packed += np.arange(1, M + 1, dtype=kind)
    inv = np.empty((N, M), kind)
    np.put_along_axis(inv, order, packed, axis=1)
    out = (inv & ((1 << bits) - 1)).astype(np.float64)
    prefix = (inv[:, :k] >> bits).astype(np.float64)
    out[missing] = np.nan
    prefix[missing[:, :k]] = np.nan
    rows = np.flatnonzero(tied)
    if rows.size:
        out[rows] = rank_rows(values[rows])
        prefix[rows] = rank_rows(values[rows, :k])
    return out, prefix
