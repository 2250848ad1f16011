"""Resampling tests and intervals for the CAR of each window and group.

``permutation_p`` (random sign flips), ``bootstrap_ci`` (the cross-sectional
bootstrap of the mean CAR: Hesterberg's expanded percentile interval, or under the
``eventstudies`` conventions the plain percentile interval of eventstudies'
``inference.bootstrap``) and ``wilcoxon_ci`` (the Walsh-average interval for the median CAR, Hodges and
Lehmann 1963); ``docs/statistics.md``, "Cross-event tests".

The random draws are vectorised and seeded: every group draws from the same
two streams (``numpy.random.default_rng([seed, 1])`` for the signs,
``[seed, 2]`` for the bootstrap), one draw per observation of the group with a
valid CAR in some window, shared by all windows (``_draw``). So a grouped run equals
separate runs, one per group, and the same seed gives the same numbers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from backtest._typing import BoolArray, Float32Array, FloatArray, IntArray, TestName
from backtest.names import BootstrapInterval
from backtest.significance import Outcomes
from backtest.walsh import walsh_orders

#: Two-sided level of the intervals.
ALPHA = 0.05
#: Largest group drawn all resamples at a time (``integers(0, n, size=(b, n))`` gives the
#: same numbers as b calls of ``size=n``); larger groups draw one resample at a time.
SMALL_N = 4096
#: Random draws per chunk (memory stays bounded whatever N and B).
CHUNK_CELLS = 1 << 22
#: Largest N whose Walsh averages are all formed (N(N + 1)/2 values); beyond, a selection
#: (:func:`backtest.walsh.walsh_orders`: faster from about N = 300).
DIRECT_WALSH = 300
#: Largest N with the exact signed-rank distribution for ``wilcoxon_ci``.
EXACT_MAX = 50


@dataclass
class _Rows:
    """One resampled test or interval for G groups, filled group by group."""

    test: TestName
    stat: FloatArray
    p: FloatArray
    lo: FloatArray
    hi: FloatArray
    dist: list[str]
    note: list[str | None]

    @classmethod
    def null(cls, test: TestName, G: int, dist: str) -> _Rows:
        nan = np.full(G, np.nan)
        return cls(test, nan.copy(), nan.copy(), nan.copy(), nan.copy(), [dist] * G, [None] * G)

    def outcomes(self, ci: bool) -> Outcomes:
        G = self.stat.shape[0]
        return Outcomes(
            self.test,
            self.stat,
            self.p,
            self.dist,
            np.full(G, -1, dtype=np.int64),
            self.note,
            self.lo if ci else None,
            self.hi if ci else None,
        )


@lru_cache(maxsize=4096)
def expanded_tail(n: int) -> float:
    """The lower tail ``α'/2 = Φ(−sqrt(n/(n − 1)) · t_{1−α/2, n−1})`` of the expanded
    percentile interval of a mean of ``n >= 2`` values (Hesterberg 2015).

    The percentile interval of the mean is, for normal data, about
    ``mean ± z_{1−α/2} · sd·sqrt((n − 1)/n)/√n``: too narrow on two counts, the
    bootstrap's ``1/n`` variance and z in place of t. Reading the bootstrap
    distribution at ``α'/2`` and ``1 − α'/2`` instead widens it to about
    ``mean ± t_{1−α/2, n−1} · sd/√n``, the t interval, while keeping the bootstrap's
    shape (skewness). ``n = 20``: 0.0159; ``n = 100``: 0.0231; ``n = 2, 3``: below 1e-7, so the
    interval is practically the range of the resampled means.
    """
    from scipy import special

    t = float(special.stdtrit(n - 1, 1.0 - ALPHA / 2))
    return float(special.ndtr(-np.sqrt(n / (n - 1.0)) * t))


def resampled(
    car: FloatArray,
    valid: BoolArray,
    codes: IntArray,
    n_groups: int,
    replications: int,
    seed: int,
    interval: BootstrapInterval = "expanded_percentile",
) -> tuple[list[Outcomes], list[Outcomes]]:
    """``permutation_p`` and ``bootstrap_ci`` of every window (lists of W outcomes).

    ``car`` and ``valid`` are ``(N, W)`` over every observation, ``codes`` its group.

    Notes
    -----
    *permutation_p*: ``T = Σ_i CAR_i / sqrt(Σ_i CAR_i²)`` over the N valid CARs;
    under the null that each CAR is symmetric about 0, every sign pattern is
    equally likely, so ``p = (1 + #{b: |T*_b| >= |T|}) / (B + 1)`` over B random
    sign flips (Fisher 1935; the ``+1`` makes p exact for a finite B). ``T`` is a
    monotone function of the cross-sectional t under sign flips.

    *bootstrap_ci*: B resamples, with replacement, of the group's observations;
    the mean of the valid CARs of each resample; the ``α'/2`` and ``1 − α'/2``
    quantiles of those means (numpy's linear interpolation, R's type 7). ``interval``
    ``"expanded_percentile"`` (the default): ``α'/2 = expanded_tail(N)``, Hesterberg's
    (2015, "What teachers should know about the bootstrap", The American Statistician
    69(4), 371–386) expanded percentile interval, which holds its size at small N where
    the plain one does not; ``"percentile"``: ``α'/2 = α/2 = 0.025``, the percentile
    interval (Efron and Tibshirani 1993, ch. 13), as eventstudies'
    ``inference.bootstrap``. The statistic is the CAAR; ``distribution`` names the
    interval.
    """
    W = car.shape[1]
    G, B = n_groups, replications
    dist = "expanded percentile" if interval == "expanded_percentile" else "percentile"
    perm = [_Rows.null("permutation_p", G, "sign-flip") for _ in range(W)]
    boot = [_Rows.null("bootstrap_ci", G, dist) for _ in range(W)]
    order = np.argsort(codes, kind="stable")
    order = order[valid[order].any(axis=1)]
    bounds = np.searchsorted(codes[order], np.arange(G + 1))
    for g in range(G):
        rows = order[bounds[g] : bounds[g + 1]]
        nv = valid[rows].sum(axis=0)
        C = np.where(valid[rows], car[rows], 0.0)
        sums, sq = C.sum(axis=0), (C * C).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = sums / np.sqrt(sq)
            caar = sums / nv
        exceed, means = np.zeros(W), np.full((B, W), np.nan)
        if B and rows.size:
            exceed, means = _draw(C, valid[rows], sums, B, seed)
        for j in range(W):
            pj, bj = perm[j], boot[j]
            if nv[j] == 0:
                pj.note[g] = bj.note[g] = "N = 0"
                continue
            if B == 0:
                pj.note[g] = bj.note[g] = "replications = 0: no resampling"
                continue
            if sq[j] > 0:
                pj.stat[g] = stat[j]
                pj.p[g] = (1.0 + exceed[j]) / (B + 1.0)
            else:
                pj.note[g] = "every CAR is zero"
            bj.stat[g] = caar[j]
            if nv[j] < 2:
                bj.note[g] = "N < 2: a resample of one CAR has no spread"
                continue
            m = means[:, j]
            tail = expanded_tail(int(nv[j])) if interval == "expanded_percentile" else ALPHA / 2
            bj.lo[g], bj.hi[g] = np.quantile(m[np.isfinite(m)], [tail, 1 - tail])
    return [d.outcomes(False) for d in perm], [d.outcomes(True) for d in boot]


def _draw(
    C: FloatArray, V: BoolArray, sums: FloatArray, B: int, seed: int
) -> tuple[FloatArray, FloatArray]:
    """``#{b: |Σ_i s_bi C_i| >= |Σ_i C_i|}`` per window over B random sign patterns, and
    the ``(B, W)`` bootstrap means of the valid CARs (``V``) of B resamples.

    Signs are random bits (``rng.bytes``); resamples are multinomial counts from
    ``rng.integers(0, n, size=n)``, one call per replicate, counted by ``numpy.bincount``
    into float32 (exact: a count is far below 2^24); up to ``SMALL_N`` observations, one
    call for a chunk of replicates (the same draws, as numpy's generator fills the
    ``(b, n)`` array in the order of b calls of ``n``). The sums run in float32
    (single precision is ample for a p-value and a percentile; the counts are exact),
    in chunks of replicates so memory stays bounded. The sign flips run on a second
    thread (numpy releases the GIL in its loops; each part keeps its own stream), and past
    ``SMALL_N`` the next resample is drawn on a third while one is counted. The
    denominators, the number of valid CARs in a resample, are integers: counted exactly
    from the invalid rows (:class:`_ValidCounts`), not by a second product.
    """
    n, W = C.shape
    signs = np.random.default_rng([seed, 1])
    draws = np.random.default_rng([seed, 2])
    C32, V32 = C.astype(np.float32), V.astype(np.float32)
    step = max(1, min(B, CHUNK_CELLS // n))
    edge = np.abs(sums) * (1.0 - 1e-5)  # the identity and the all-flip patterns tie

    def flips() -> FloatArray:
        exceed = np.zeros(W)
        for b0 in range(0, B, step):
            b = min(step, B - b0)
            bits = np.unpackbits(np.frombuffer(signs.bytes((b * n + 7) // 8), dtype=np.uint8))
            S = bits[: b * n].reshape(b, n).astype(np.float32)
            flipped = 2.0 * (S @ C32).astype(np.float64) - sums  # Σ s_i c_i, s = 2·bit − 1
            exceed += (np.abs(flipped) >= edge).sum(axis=0)
        return exceed

    means = np.empty((B, W))
    starts = range(0, B, step)
    with ThreadPoolExecutor(1, thread_name_prefix="sign-flips") as pool:
        flipping = pool.submit(flips)  # its own stream: the same numbers on a second thread
        if n <= SMALL_N:
            for b0 in starts:  # every resample of the chunk in one draw (the same stream)
                b = min(step, B - b0)
                flat = draws.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
                Wt = np.bincount(flat.ravel(), minlength=b * n).reshape(b, n).astype(np.float32)
                with np.errstate(invalid="ignore", divide="ignore"):
                    means[b0 : b0 + b] = (Wt @ C32).astype(np.float64) / (Wt @ V32)
        else:
            valid = _ValidCounts(V, V32)

            def pick() -> IntArray:
                return np.asarray(draws.integers(0, n, size=n))

            # the draws of the next resample on a third thread (numpy draws without the GIL)
            # while this one counts the last: the one stream, in order
            with ThreadPoolExecutor(1, thread_name_prefix="bootstrap-draws") as drawer:
                ahead = drawer.submit(pick)
                for b0 in starts:
                    Wt = np.zeros((min(step, B - b0), n), dtype=np.float32)
                    for r in range(Wt.shape[0]):  # one resample at a time: counts stay in cache
                        drawn = ahead.result()
                        if b0 + r + 1 < B:
                            ahead = drawer.submit(pick)
                        # bincount, not add.at: as fast alone, and add.at's hold on the
                        # GIL slowed the other threads of the finishing step about 3x
                        Wt[r] = np.bincount(drawn, minlength=n)  # exact in float32 (< 2^24)
                    counts = valid.of(Wt, n)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        means[b0 : b0 + Wt.shape[0]] = (Wt @ C32).astype(np.float64) / counts
        exceed = flipping.result()
    return exceed, means


class _ValidCounts:
    """``Wt @ V``, the number of valid values in each of the resamples ``Wt`` (counts per
    observation) and window, exactly: from the few invalid rows of a window,
    ``Σ_i Wt_i − Σ_{i invalid} Wt_i``, where ``Σ_i Wt_i`` is the number of draws of a
    resample (``draws``: n); with more than one invalid cell in 64, or groups of 2^24
    observations or more (where float32 is no longer exact), by the product itself.

    While every partial sum is an integer below 2^24, float32's product is exact too,
    so the two give the same numbers bit for bit.
    """

    def __init__(self, V: BoolArray, V32: Float32Array) -> None:
        n, W = V.shape
        self.V32 = V32
        self.invalid = [np.flatnonzero(~V[:, j]) for j in range(W)]
        # a gather of the invalid rows costs about 30x a product's cell: few of them
        self.exact = n < 1 << 24 and 64 * sum(r.size for r in self.invalid) <= n * W

    def of(self, Wt: Float32Array, draws: int) -> FloatArray:
        """The valid counts of resamples ``Wt`` of ``draws`` draws each (rows sum to it)."""
        if not self.exact:
            return np.asarray(Wt @ self.V32, dtype=np.float64)
        out = np.full((Wt.shape[0], len(self.invalid)), float(draws))
        for j, rows in enumerate(self.invalid):
            if rows.size:
                out[:, j] -= Wt[:, rows].sum(axis=1, dtype=np.float64)
        return out


# -- Wilcoxon (Walsh-average) interval ------------------------------------------------------


def walsh_order(x: FloatArray, k: int) -> float:
    """The k-th smallest (1-based) Walsh average of the sorted values ``x``
    (:func:`backtest.walsh.walsh_orders`)."""
    return walsh_orders(x, [k])[0]


def _walsh_orders(x: FloatArray, ks: list[int]) -> list[float]:
    """The Walsh averages of orders ``ks`` (1-based) of the values ``x``."""
    x = np.sort(x)
    if x.size <= DIRECT_WALSH:  # every sum i <= j, then only the orders asked for, halved
        s = np.add.outer(x, x)[~np.tri(x.size, k=-1, dtype=bool)]
        s.partition(sorted({k - 1 for k in ks}))
        # halving is exact and keeps the order: the orders of (x_i + x_j)/2, bit for bit
        return [float(0.5 * s[k - 1]) for k in ks]
    return walsh_orders(x, ks)


def _lower_order(n: int) -> tuple[int, str]:
    """The order k of the lower bound (``W_(k)``, upper ``W_(M + 1 − k)``) and the method."""
    from scipy import special

    from backtest.ranktests import _signed_rank_cdf

    if n <= EXACT_MAX:
        cdf = np.asarray(_signed_rank_cdf(n)) / 2.0**n
        # smallest q with P(W+ <= q) >= α/2 (R's qsignrank); k = q
        return int(np.searchsorted(cdf, ALPHA / 2 - 1e-15, side="left")), "exact"
    z = float(special.ndtri(1 - ALPHA / 2))
    c = n * (n + 1) / 4.0 - z * np.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
    return max(1, int(np.floor(c))), "normal"


def wilcoxon_ci(car: FloatArray, codes: IntArray, n_groups: int) -> Outcomes:
    """Hodges–Lehmann estimate and 95% interval of the median CAR, per group.

    The ``M = N(N + 1)/2`` Walsh averages ``(CAR_i + CAR_j)/2``, ``i <= j``; the
    estimate is their median; the interval ``[W_(k), W_(M + 1 − k)]`` with
    ``k`` the smallest q such that ``P(W+ <= q) >= α/2`` under the exact
    signed-rank distribution (N <= 50), else
    ``k = floor(M/2 − z_{0.975} sqrt(N(N + 1)(2N + 1)/24))`` (Hollander and Wolfe
    1999, §3.3). ``k = 0`` (N <= 5): no 95% interval, null.
    """
    G = n_groups
    d = _Rows.null("wilcoxon_ci", G, "exact")
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(G + 1))
    for g in range(G):
        x = car[order[bounds[g] : bounds[g + 1]]]
        n = x.size
        if n == 0:
            d.note[g] = "N = 0"
            continue
        M = n * (n + 1) // 2
        k, method = _lower_order(n)
        d.dist[g] = method
        mid = [(M + 1) // 2, M // 2 + 1]
        if k == 0:
            vals = _walsh_orders(x, mid)
            d.stat[g] = 0.5 * (vals[0] + vals[1])
            d.note[g] = f"N = {n}: the exact signed-rank distribution has no 95% interval"
            continue
        vals = _walsh_orders(x, [*mid, k, M + 1 - k])
        d.stat[g] = 0.5 * (vals[0] + vals[1])
        d.lo[g], d.hi[g] = vals[2], vals[3]
    return d.outcomes(True)
