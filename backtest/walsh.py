"""Order statistics of the Walsh averages ``(x_i + x_j)/2``, ``i <= j``, without forming them.

:func:`walsh_orders` returns the k-th smallest (1-based) of the ``M = N(N + 1)/2``
Walsh averages of sorted values ``x`` for a few orders ``k`` (the Hodges–Lehmann
estimate and the bounds of :func:`backtest.resampling.wilcoxon_ci`), in
``O(N log N)`` per count and a handful of counts (Monahan 1984 takes the same
route with random pivots; here the pivots are interpolated).

The count of averages at most ``v`` is ``c(v) = Σ_i max(0, s_i − i)`` with
``s_i = #{j: (x_i + x_j)/2 <= v}``: one ``searchsorted`` of ``2v − x_i``, checked
against the averages as computed at each row's boundary (rounding can put equal
averages of different pairs, common with tied values, on either side of ``v``) and
where wrong found again by bisection, so that every order is the computed average's,
bit for bit. Only ``i`` with ``x_i <= v`` contribute (for ``x_i > v`` no ``j >= i``
qualifies), so a count searches only those.

Up to :data:`BAND_MAX` averages (N up to 4,000) one bracket ``c(lo) < k_min`` and
``c(hi) >= k_max`` holds every order: its two ends come from the averages of a sample
of :data:`BAND_SAMPLE` sorted values (widened to every average if they miss, unless
that is more than :data:`CAP`), and the averages in ``(lo, hi]`` are formed once (for
N = 1,000 the Hodges–Lehmann orders lie within 8% of the averages: about 1.5 ms,
against 6 ms for forming all of them). Beyond, each order is bracketed, starting from
two guesses that a stratified sample of 1,001 of the sorted values gives for every
order at once, then narrowed by linear interpolation of ``c`` (plus the midpoint when
a step did not halve the bracket) until at most :data:`BUDGET` ``× N`` averages lie in
``(lo, hi]``; those are formed and the order read by ``numpy.partition``. Two orders
closer than ``N`` share one bracket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backtest._typing import FloatArray, IntArray

#: Averages formed at the end, per value (the bracket's width in averages, over N).
BUDGET = 2
#: At most this many averages formed at the end (bounds the memory for large N).
CAP = 1 << 22
#: Values of the stratified sample of the first guesses.
SAMPLE = 1001
#: Margin of the first guesses, as a share of M on either side of the orders.
MARGIN = 0.01
#: Up to this many averages (N up to 4,000) every order is read from one bracket
#: guessed from a sample of :data:`BAND_SAMPLE` values: cheaper than narrowing one bracket
#: per order (the Hodges–Lehmann orders of N = 1,000 lie within 8% of the averages).
BAND_MAX = 8_002_000
BAND_SAMPLE = 201


@dataclass
class _Point:
    """A probe ``v``: its count ``c`` and ``s_i`` for the ``i`` with ``x_i <= v``."""

    v: float
    c: int
    ss: IntArray


def _probe(x: FloatArray, v: float) -> _Point:
    m = int(np.searchsorted(x, v, side="right"))
    head = x[:m]
    ss = _settle(x, head, v, np.searchsorted(x, 2.0 * v - head, side="right"))
    c = int(np.maximum(ss - np.arange(m), 0).sum())
    return _Point(float(v), c, ss)


def _settle(x: FloatArray, head: FloatArray, v: float, ss: IntArray) -> IntArray:
    """``s_i = #{j: (x_i + x_j)/2 <= v}`` exactly, for the averages as computed.

    ``searchsorted(x, 2v − x_i)`` compares ``x_j`` with a rounded ``2v − x_i``, so where
    an average lies within rounding of ``v`` (equal averages of different pairs, common
    with tied values) it can count one tie group too many or too few. The averages of a
    row grow with ``j`` (rounding is monotone), so each row's count is checked at its
    boundary and, where wrong, found again by bisection on the averages themselves.
    """
    n = x.size
    prev = 0.5 * (head + x[np.maximum(ss - 1, 0)])
    nxt = 0.5 * (head + x[np.minimum(ss, n - 1)])
    over = (ss > 0) & (prev > v)  # counts an average above v: the count is below ss
    short = (ss < n) & (nxt <= v)  # misses an average at most v: the count is above ss
    rows = np.flatnonzero(over | short)
    if rows.size == 0:
        return ss
    lo = np.where(over[rows], 0, ss[rows] + 1)
    hi = np.where(over[rows], ss[rows] - 1, n)
    xi = head[rows]
    while True:  # the smallest e in [lo, hi] with e = n or (x_i + x_e)/2 > v
        act = lo < hi
        if not act.any():
            break
        mid = np.minimum((lo + hi) // 2, n - 1)
        le = 0.5 * (xi + x[mid]) <= v
        lo = np.where(act & le, mid + 1, lo)
        hi = np.where(act & ~le, mid, hi)
    out = ss.copy()
    out[rows] = lo
    return out


def _guesses(x: FloatArray, k_min: int, k_max: int, size: int = SAMPLE) -> list[float]:
    """Values below the ``k_min``-th and above the ``k_max``-th average, from a sample:
    the averages of every pair of ``size`` evenly spaced sorted values."""
    n = x.size
    M = n * (n + 1) // 2
    s = x[np.round(np.linspace(0, n - 1, min(n, size))).astype(np.int64)]
    w = (0.5 * np.add.outer(s, s)).ravel()  # each pair twice: the same shares
    q = [k_min / M - MARGIN, k_max / M + MARGIN]
    pos = [int(np.clip(round(t * (w.size - 1)), 0, w.size - 1)) for t in q]
    part = np.partition(w, pos)
    return [float(part[p]) for p in pos]


def walsh_orders(x: FloatArray, ks: Sequence[int]) -> list[float]:
    """The Walsh averages of orders ``ks`` (1-based, ``1 <= k <= M``) of the sorted ``x``.

    Equal to ``numpy.sort([(x[i] + x[j]) / 2 for i <= j])[k - 1]`` (see the module
    notes for how it avoids forming the ``M`` averages).
    """
    if not ks:
        return []
    n = x.size
    M = n * (n + 1) // 2
    lo0 = _Point(float(np.nextafter(x[0], -np.inf)), 0, np.zeros(0, np.int64))
    order = sorted(set(ks))
    band = _banded(x, order, lo0) if M <= BAND_MAX else None
    if band is not None:
        return [band[k] for k in ks]
    points = [lo0, _Point(float(x[-1]), M, np.zeros(0, np.int64))]  # ss of the top: lazily
    top_ready = False
    budget = max(min(BUDGET * n, CAP), 1 << 16)
    if budget < M:
        points += [_probe(x, v) for v in _guesses(x, order[0], order[-1])]
    targets: list[list[int]] = []
    for k in order:
        if targets and k - targets[-1][0] <= n:
            targets[-1].append(k)
        else:
            targets.append([k])
    found: dict[int, float] = {}
    for tgt in targets:
        ka, kb = tgt[0], tgt[-1]
        lo = max((p for p in points if p.c < ka), key=lambda p: p.c)
        hi = min((p for p in points if p.c >= kb), key=lambda p: p.c)
        halved = True
        while hi.c - lo.c > budget:
            mid = 0.5 * (lo.v + hi.v)
            if not lo.v < mid < hi.v:  # adjacent floats: every average in (lo, hi] is hi
                break
            width = hi.c - lo.c
            probes = [lo.v + (hi.v - lo.v) * (t - lo.c) / width for t in (ka - n // 2, kb + n // 2)]
            vs = [v for v in probes if lo.v < v < hi.v]
            if not halved or not vs:
                vs.append(mid)
            for v in vs:
                p = _probe(x, v)
                points.append(p)
                if p.c < ka:
                    lo = p if p.v > lo.v else lo
                elif p.c >= kb:
                    hi = p if p.v < hi.v else hi
            halved = 2 * (hi.c - lo.c) <= width
        if hi.c - lo.c > budget:
            found.update((k, hi.v) for k in tgt)
            continue
        if hi is points[1] and not top_ready:
            points[1] = hi = _probe(x, hi.v)
            top_ready = True
        found.update(zip(tgt, _select(x, lo, hi, [k - lo.c - 1 for k in tgt]), strict=True))
    return [found[k] for k in ks]


def _banded(x: FloatArray, order: list[int], bottom: _Point) -> dict[int, float] | None:
    """Every order from one bracket, guessed from a sample of :data:`BAND_SAMPLE` values
    (widened to every average when the guess misses); ``bottom`` counts none. None when
    the bracket holds more than :data:`CAP` averages (a missed guess at large N)."""
    lo_v, hi_v = _guesses(x, order[0], order[-1], BAND_SAMPLE)
    lo, hi = _probe(x, lo_v), _probe(x, hi_v)
    if lo.c >= order[0]:
        lo = bottom
    if hi.c < order[-1]:
        hi = _probe(x, float(x[-1]))
    if hi.c - lo.c > CAP:
        return None
    return dict(zip(order, _select(x, lo, hi, [k - lo.c - 1 for k in order]), strict=True))


def _select(x: FloatArray, lo: _Point, hi: _Point, at: list[int]) -> list[float]:
    """The averages counted at ``hi`` but not at ``lo``, at positions ``at`` of their order."""
    m = hi.ss.size
    i = np.arange(m)
    below = np.zeros(m, np.int64)
    below[: lo.ss.size] = lo.ss
    start = np.maximum(i, below)
    stop = np.maximum(start, hi.ss)
    lengths = stop - start
    rows = np.flatnonzero(lengths)
    lengths, start = lengths[rows], start[rows]
    rep = np.repeat(rows, lengths)
    offset = np.arange(rep.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cand = 0.5 * (x[rep] + x[np.repeat(start, lengths) + offset])
    part = np.partition(cand, at)
    return [float(part[a]) for a in at]


__all__ = ["walsh_orders"]
