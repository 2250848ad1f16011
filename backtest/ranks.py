"""Row-wise ranks of stacked observations (no loop over rows)."""

from __future__ import annotations

import numpy as np

from backtest._typing import FloatArray, IntArray


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


#: Widest rows of :func:`rank_rows_prefix_median`'s packed sorts (three fields of 10 bits).
PACKED_MAX = (1 << 10) - 1
_SIGN = np.uint64(1 << 63)


def rank_rows_prefix_median(
    values: FloatArray, k: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`rank_rows_and_prefix` of ``values`` and the median of each row's finite values.

    Returns
    -------
    tuple
        ``(ranks, prefix_ranks, median)``: the two ``(N, M)``/``(N, k)`` arrays of
        :func:`rank_rows_and_prefix`, equal to them, and ``(N,)`` medians, equal to
        the mean of the two middle values of the row sorted (NaN for a row with no
        finite value), as ``numpy.nanmedian``.

    Notes
    -----
    Two sorts of packed integer keys in place of an ``argsort`` and a scatter (the same
    numbers, in about a third less time). (1) Each value becomes the unsigned integer
    whose order is the order of the floats (IEEE 754 bits: flip every bit of a negative
    number, only the sign bit of a positive one; -0.0 counts as +0.0), its lowest
    ``b`` bits (enough for M itself) replaced by its column: one sort of these keys per
    row gives the columns in the order of their values, exactly so when no two finite
    values of the row share their other ``64 − b`` bits (equal values, or values within
    about ``2^(b − 53)`` relative of each other). The rare rows where two do, and rows with
    ±inf, are ranked by :func:`rank_rows_and_prefix` instead. (2) The sorted position
    (the ordinal rank − 1) and the running count of first-``k`` columns
    (the prefix rank) go back to their columns by a sort of ``column << 2b | count
    << b | position`` (three fields of ``b <= 10`` bits in an uint32). The median's
    two middle values are read at their columns. Rows wider than :data:`PACKED_MAX`
    take :func:`rank_rows_and_prefix` and a sort.
    """
    values = np.asarray(values, dtype=np.float64)
    N, M = values.shape
    if N == 0 or M == 0 or M > PACKED_MAX:
        return (*rank_rows_and_prefix(values, k), _sorted_median(values, _finite(values)))
    b = M.bit_length()  # holds a column, a position and a count (up to M itself)
    low = (1 << b) - 1
    missing = np.isnan(values)
    x = values + 0.0  # -0.0 -> +0.0 (they are equal values)
    np.copyto(x, np.inf, where=missing)  # missing values sort last
    key = x.view(np.uint64)
    key ^= (x.view(np.int64) >> 63).view(np.uint64) | _SIGN  # the order of the floats
    key &= np.uint64(~low & ((1 << 64) - 1))
    key |= np.arange(M, dtype=np.uint64)
    key.sort(axis=1)
    head = key >> np.uint64(b)
    inf_head = np.uint64(0xFFF0000000000000) >> np.uint64(b)  # +inf's key: missing values
    unsure = ((head[:, 1:] == head[:, :-1]) & (head[:, 1:] != inf_head)).any(axis=1)
    unsure |= np.isinf(values).any(axis=1)
    del head
    order = (key & np.uint64(low)).astype(np.uint32)
    del key
    count = (~missing).sum(axis=1)
    lo, hi = np.maximum((count - 1) // 2, 0), np.maximum(count // 2, 0)
    at = np.arange(N)
    median = 0.5 * (values[at, order[at, lo]] + values[at, order[at, hi]])
    prefix_count = np.cumsum((order < k).ravel(), dtype=np.uint32).reshape(N, M)
    prefix_count -= np.concatenate([[0], prefix_count[:-1, -1]]).astype(np.uint32)[:, None]
    back = order << np.uint32(2 * b)
    back |= prefix_count << np.uint32(b)
    back |= np.arange(M, dtype=np.uint32)
    del order, prefix_count
    back.sort(axis=1)
    ranks = (back & np.uint32(low)).astype(np.float64) + 1.0
    prefix = ((back[:, :k] >> np.uint32(b)) & np.uint32(low)).astype(np.float64)
    ranks[missing] = np.nan
    prefix[missing[:, :k]] = np.nan
    rows = np.flatnonzero(unsure)
    if rows.size:
        ranks[rows], prefix[rows] = rank_rows_and_prefix(values[rows], k)
        median[rows] = _sorted_median(values[rows], _finite(values[rows]))
    return ranks, prefix, median


def _finite(x: FloatArray) -> IntArray:
    return np.asarray(np.isfinite(x).sum(axis=1), dtype=np.int64)


def _sorted_median(x: FloatArray, count: IntArray) -> FloatArray:
    """Median of the finite values of each row (``count`` of them): a sort, NaN last
    (faster than ``numpy.nanmedian``, the same numbers)."""
    s = np.sort(x, axis=1)
    lo = np.maximum((count - 1) // 2, 0)[:, None]
    hi = np.maximum(count // 2, 0)[:, None]
    out = 0.5 * (np.take_along_axis(s, lo, axis=1) + np.take_along_axis(s, hi, axis=1))[:, 0]
    return np.asarray(out, dtype=np.float64)
