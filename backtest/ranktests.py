"""The rank-based cross-event tests, for every group at once.

Corrado (1989) and Corrado–Zivney (1992) in Cowan's multi-day form, the
Wilcoxon (1945) signed-rank test and the generalised rank test of Kolari and
Pynnönen (2011); ``docs/statistics.md``, "Cross-event tests". Same conventions
as :mod:`backtest.significance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.groups import Segments, flatten, group_ranks
from backtest.significance import (
    N_LT_2,
    NullReason,
    Outcomes,
    empty_reason,
    make_outcomes,
    z_pvalue,
)


def corrado_rank_z(
    dbar: FloatArray, present: BoolArray, start: int, L2: int, n: IntArray
) -> Outcomes:
    """Corrado (1989) / Corrado–Zivney (1992) rank test, Cowan's multi-day form.

    ``dbar`` is ``(G, M)``: ``D̄_t`` per group on every event-day (estimation and
    event period), used where ``present``; the window is columns
    ``start .. start + L2``. ``Σ_{t∈W} D̄_t / (√L2 · S_U)`` with
    ``S_U² = mean(D̄_t²)`` over the present days; N(0, 1). ``n`` is the number
    of observations per group.
    """
    x, seg = flatten(dbar, present)
    n_days = seg.count()
    with np.errstate(invalid="ignore", divide="ignore"):
        su = np.sqrt(seg.sum(x**2) / n_days)
    w, wseg = flatten(dbar[:, start : start + L2], np.ones((dbar.shape[0], L2), dtype=bool))
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = wseg.sum(w) / (np.sqrt(L2) * su)
    return make_outcomes(
        "corrado_rank_z",
        stat,
        "normal",
        None,
        [
            empty_reason(n),
            (n_days == 0, "no ranked observations", False),
            (~(su > 0), "zero spread of the mean standardised ranks", False),
        ],
    )


@lru_cache(maxsize=64)
def _signed_rank_cdf(n: int) -> tuple[float, ...]:
    """``P(W+ <= w)`` numerators for ranks 1..n, w = 0 .. n(n+1)/2 (sum: ``2**n``)."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for r in range(1, n + 1):  # loop over ranks (n <= 50), not over observations
        counts[r:] = counts[r:] + counts[:-r].copy()
    return tuple(np.cumsum(counts).tolist())  # integers below 2**53: exact


def wilcoxon_w(car: FloatArray, seg: Segments) -> Outcomes:
    """Wilcoxon signed-rank: ``W+`` = sum of the ranks of ``|CAR|`` over positive CARs.

    Exact null distribution for N <= 50 without ties or zeros (p = 2·min of the
    two tails, capped at 1); otherwise the normal approximation with the
    conditional mean and variance ``Σ r_i / 2`` and ``Σ r_i² / 4`` over non-zero
    CARs (average ranks: this is the usual tie correction), no continuity
    correction (Wilcoxon 1945; Pratt 1959 for zeros).
    """
    n = seg.count()
    ranks, ties = group_ranks(np.abs(car), seg)
    w = seg.sum(np.where(car > 0, ranks, 0.0))
    zeros = seg.sum((car == 0).astype(np.float64)) > 0
    nz = car != 0
    mean = seg.sum(np.where(nz, ranks, 0.0)) / 2.0
    var = seg.sum(np.where(nz, ranks**2, 0.0)) / 4.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w - mean) / np.sqrt(var)
    p = z_pvalue(np.where(np.isfinite(z), z, 0.0))
    exact = (n > 0) & (n <= 50) & ~ties & ~zeros
    for g in np.flatnonzero(exact):
        cdf = _signed_rank_cdf(int(n[g]))
        total = cdf[-1]
        wi = round(float(w[g]))
        lower = cdf[wi] / total
        upper = (total - (cdf[wi - 1] if wi > 0 else 0.0)) / total
        p[g] = min(1.0, 2.0 * min(lower, upper))
    G = seg.n_groups
    null = (n == 0) | (~exact & ~(var > 0))
    note: list[str | None] = [
        ("N = 0" if n[g] == 0 else "every CAR is zero")
        if null[g]
        else None
        if exact[g]
        else "normal approximation (N > 50, ties or zeros)"
        for g in range(G)
    ]
    dist = ["exact" if exact[g] and not null[g] else "normal" for g in range(G)]
    return Outcomes(
        "wilcoxon_w",
        np.where(null, np.nan, w),
        np.where(null, np.nan, p),
        dist,
        np.full(G, -1, dtype=np.int64),
        note,
    )


def grank_t(
    u_event: FloatArray,
    seg: Segments,
    ubar_est: FloatArray,
    n_est_day: FloatArray,
    undefined: Sequence[NullReason] = (),
) -> Outcomes:
    """Kolari and Pynnönen (2011) generalised rank test, ``t(T − 2)``.

    Parameters
    ----------
    u_event
        ``U_i0`` of the observations (the standardised rank of ``SCAR*_i``), in
        groups ``seg``.
    ubar_est, n_est_day
        ``(G, Le)``: ``Ū_t`` and ``N_t`` per group on the estimation event-days,
        used where ``N_t > 0``.
    undefined
        Further reasons the statistic is undefined, checked after ``N < 2``
        (``(where, note, keep_df)``; the engine's: zero spread of SCAR).

    Notes
    -----
    ``Z = Ū_0 / S_Ū``, ``S_Ū² = (1/T) Σ_t (N_t/N) Ū_t²`` over those days and the
    event day (``T`` = their number); ``t = Z sqrt((T − 2)/(T − 1 − Z²))``.
    """
    n = seg.count()
    x, days = flatten(ubar_est, n_est_day > 0)
    cnt = n_est_day[n_est_day > 0]
    T = days.count() + 1
    u0 = seg.mean(u_event)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = (days.sum(cnt / n[days.codes] * x**2) + u0**2) / T
        z = u0 / np.sqrt(s2)
        room = T - 1 - z * z
        stat = z * np.sqrt((T - 2) / room)
    return make_outcomes(
        "grank_t",
        stat,
        "t",
        T - 2,
        [
            (n < 2, N_LT_2, False),
            *undefined,
            (~(s2 > 0) | (T < 3), "zero spread of the mean standardised ranks", False),
            (~(room > 0), "T − 1 − Z² <= 0", True),
        ],
    )
