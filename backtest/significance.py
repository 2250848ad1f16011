"""Cross-event test statistics, for every group of observations at once.

``docs/statistics.md``, "Cross-event tests". Each function takes the
already-selected observations of one window (one entry per observation with a
valid CAR) and a :class:`~backtest.groups.Segments` that says which group each
belongs to, and returns an :class:`Outcomes`: one statistic per group, computed
in one vectorised pass (per-group sums are ``numpy.bincount``; a study without
groups is one group). A statistic that is undefined is NaN internally and null
in the output, with a ``note`` saying why. p-values are two-sided. The
rank-based tests are in :mod:`backtest.ranktests`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray, TestName
from backtest.groups import Segments, flatten

N_LT_2 = "N < 2: a cross-sectional standard deviation needs two observations"


def t_pvalue(stat: FloatArray | float, df: FloatArray | IntArray | float) -> FloatArray:
    """Two-sided p-value of ``stat`` under Student's t with ``df`` degrees of freedom."""
    from scipy import special  # imported on use: keeps ``import backtest`` cheap

    return np.asarray(2.0 * special.stdtr(df, -np.abs(stat)), dtype=np.float64)


def z_pvalue(stat: FloatArray | float) -> FloatArray:
    """Two-sided p-value of ``stat`` under N(0, 1)."""
    from scipy import special

    return np.asarray(2.0 * special.ndtr(-np.abs(stat)), dtype=np.float64)


@dataclass(frozen=True)
class Outcomes:
    """One test on one window for G groups (``(G,)`` arrays; NaN and -1 mean null)."""

    test: TestName
    stat: FloatArray
    p: FloatArray
    distribution: Sequence[str]
    df: IntArray  # -1: none
    note: Sequence[str | None]
    #: for the interval tests (``INTERVAL_TESTS``): the bounds (NaN: null); else None
    ci_low: FloatArray | None = None
    ci_high: FloatArray | None = None


#: A reason a statistic is undefined: (where, note per group or for all, whether the df
#: is still reported).
NullReason: TypeAlias = tuple[BoolArray, str | Sequence[str], bool]


def make_outcomes(
    test: TestName,
    stat: FloatArray,
    kind: str,
    df: IntArray | None,
    nulls: Sequence[NullReason],
) -> Outcomes:
    """Null the statistic where a reason applies (the first one wins), else where it is not
    finite; p-values under t(df) (``kind="t"``) or N(0, 1) (``kind="normal"``)."""
    G = stat.shape[0]
    note: list[str | None] = [None] * G
    out_df = np.full(G, -1, dtype=np.int64) if df is None else df.astype(np.int64)
    undefined = np.zeros(G, dtype=bool)
    for where, text, keep_df in nulls:
        new = where & ~undefined
        if not new.any():  # the usual case: no loop, no copies
            continue
        for g in np.flatnonzero(new):
            note[g] = text if isinstance(text, str) else text[int(g)]
        if not keep_df:
            out_df[new] = -1
        undefined |= new
    bad = ~undefined & ~np.isfinite(stat)
    if bad.any():
        for g in np.flatnonzero(bad):
            note[g] = "statistic is not finite"
        undefined |= bad
    t = kind == "t"
    if undefined.any():
        stat = np.where(undefined, np.nan, stat)
        safe = np.where(undefined, 0.0, stat)
        p = np.where(undefined, np.nan, t_pvalue(safe, out_df) if t else z_pvalue(safe))
    else:  # nothing to null: a float64 copy, as np.where gives
        stat = np.array(stat, dtype=np.float64)
        p = t_pvalue(stat, out_df) if t else z_pvalue(stat)
    return Outcomes(test, stat, p, [kind] * G, out_df, note)


def empty_reason(n: IntArray) -> NullReason:
    """``N = 0``: no observation in the group."""
    return (n == 0, "N = 0", False)


def csect_t(car: FloatArray, seg: Segments) -> Outcomes:
    """Cross-sectional t: ``mean(CAR) / (sd(CAR)/√N)``, t(N − 1) (Brown and Warner 1985)."""
    n = seg.count()
    mean, sd = seg.mean_sd(car)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd / np.sqrt(n))
    return make_outcomes(
        "csect_t",
        stat,
        "t",
        n - 1,
        [(n < 2, N_LT_2, False), (np.isnan(sd), "zero cross-sectional spread of CAR", True)],
    )


def patell_z(scar: FloatArray, dof: FloatArray, seg: Segments) -> Outcomes:
    """Patell (1976): ``Σ SCAR_i / sqrt(Σ d_i/(d_i − 2))``, N(0, 1)."""
    n = seg.count()
    small = seg.sum((dof <= 2).astype(np.float64)) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = seg.sum(scar) / np.sqrt(seg.sum(dof / (dof - 2.0)))
    return make_outcomes(
        "patell_z",
        stat,
        "normal",
        None,
        [empty_reason(n), (small, "some d_i <= 2: the variance d/(d − 2) is undefined", False)],
    )


def bmp_t(scar: FloatArray, seg: Segments) -> Outcomes:
    """Boehmer, Musumeci and Poulsen (1991): ``mean(SCAR) / (sd(SCAR)/√N)``, t(N − 1)."""
    n = seg.count()
    mean, sd = seg.mean_sd(scar)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd / np.sqrt(n))
    return make_outcomes(
        "bmp_t",
        stat,
        "t",
        n - 1,
        [(n < 2, N_LT_2, False), (np.isnan(sd), "zero cross-sectional spread of SCAR", True)],
    )


def _kp_factor(n: IntArray, rbar: FloatArray) -> tuple[FloatArray, NullReason, NullReason]:
    """``1 + (N − 1) r̄`` and the two reasons it is unusable."""
    with np.errstate(invalid="ignore"):
        denom = 1.0 + (n - 1) * rbar
    undefined = (n < 2) | ~np.isfinite(rbar)
    notes = [f"1 + (N − 1) r̄ = {d:.3g} <= 0" for d in denom]
    return (
        denom,
        (undefined, "r̄ is undefined (N < 2 or no estimation residuals)", False),
        (~(denom > 0), notes, False),
    )


def kp_patell_z(scar: FloatArray, dof: FloatArray, rbar: FloatArray, seg: Segments) -> Outcomes:
    """Kolari and Pynnönen (2010): ``patell_z · sqrt(1 / (1 + (N − 1) r̄))``, N(0, 1).

    ``rbar`` is the per-group r̄ (NaN: undefined).
    """
    base = patell_z(scar, dof, seg)
    denom, undefined, negative = _kp_factor(seg.count(), rbar)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = base.stat * np.sqrt(1.0 / denom)
    base_null = (np.isnan(base.stat), [note or "undefined" for note in base.note], False)
    return make_outcomes("kp_patell_z", stat, "normal", None, [undefined, negative, base_null])


def kp_bmp_t(scar: FloatArray, rbar: FloatArray, seg: Segments) -> Outcomes:
    """Kolari and Pynnönen (2010): ``bmp_t · sqrt((1 − r̄) / (1 + (N − 1) r̄))``, t(N − 1)."""
    base = bmp_t(scar, seg)
    n = seg.count()
    denom, undefined, negative = _kp_factor(n, rbar)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = base.stat * np.sqrt(np.maximum(1.0 - rbar, 0.0) / denom)
    base_null = (np.isnan(base.stat), [note or "undefined" for note in base.note], True)
    out = make_outcomes("kp_bmp_t", stat, "t", n - 1, [undefined, negative, base_null])
    # undefined for one of those reasons: the df of bmp_t, whatever it is
    null = undefined[0] | negative[0] | base_null[0]
    df = np.where(null, base.df, out.df)
    return Outcomes(out.test, out.stat, out.p, out.distribution, df, out.note)


def bw1985_t(
    aar_est: FloatArray, present: BoolArray, caar: FloatArray, L2: int, kind: str = "t"
) -> Outcomes:
    """Brown and Warner (1985) crude dependence adjustment: ``CAAR / (√L2 · S_AAR)``.

    ``aar_est`` is ``(G, Le)``: ``AAR_t`` per group on the estimation event-days,
    used where ``present`` (at least one observation); ``S_AAR`` is their
    standard deviation (``T_E − 1``); t(T_E − 1), or N(0, 1) with ``kind="normal"``
    (the estudy2 conventions). A group with no observation (``caar`` NaN) has ``N = 0``.
    """
    x, seg = flatten(aar_est, present)
    te = seg.count()
    _, s = seg.mean_sd(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = caar / (np.sqrt(L2) * s)
    return make_outcomes(
        "bw1985_t",
        stat,
        kind,
        te - 1 if kind == "t" else None,
        [
            (np.isnan(caar), "N = 0", False),
            (te < 2, "fewer than 2 estimation days with data", False),
            (np.isnan(s), "zero time-series spread of AAR", True),
        ],
    )


def generalized_sign_z(
    car: FloatArray, n_positive_est: FloatArray, n_est: FloatArray, seg: Segments
) -> Outcomes:
    """Cowan (1992): ``(w − N p̂) / sqrt(N p̂ (1 − p̂))``, ``p̂`` pooled over estimation days."""
    n = seg.count()
    with np.errstate(invalid="ignore", divide="ignore"):
        p = n_positive_est / n_est
    w = seg.sum((car > 0).astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (w - n * p) / np.sqrt(n * p * (1.0 - p))
    return make_outcomes(
        "generalized_sign_z",
        stat,
        "normal",
        None,
        [
            ((n == 0) | ~(n_est > 0), "N = 0", False),
            (~((p > 0.0) & (p < 1.0)), [f"p̂ = {v:g}: no spread of signs" for v in p], False),
        ],
    )


def sign_z(car: FloatArray, seg: Segments) -> Outcomes:
    """Sign test: ``(w − N/2) / sqrt(N/4)``, w = number of positive CARs; N(0, 1)."""
    n = seg.count()
    w = seg.sum((car > 0).astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (w - n / 2.0) / np.sqrt(n / 4.0)
    return make_outcomes("sign_z", stat, "normal", None, [empty_reason(n)])


def skew_adj_t(bhar: FloatArray, seg: Segments) -> Outcomes:
    """Lyon, Barber and Tsai (1999) skewness-adjusted t on BHAR vs the benchmark.

    ``√N (S + γ S²/3 + γ/(6N))``, ``S = mean/sd``, ``γ = Σ(B − mean)³ / (N sd³)``
    (sd with N − 1); t(N − 1).
    """
    n = seg.count()
    m, sd = seg.mean_sd(bhar)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = m / sd
        g = seg.sum((bhar - m[seg.codes]) ** 3) / (n * sd**3)
        stat = np.sqrt(n) * (s + g * s * s / 3.0 + g / (6.0 * n))
    return make_outcomes(
        "skew_adj_t",
        stat,
        "t",
        n - 1,
        [
            (n < 2, N_LT_2 + " with a BHAR", False),
            (np.isnan(sd), "zero cross-sectional spread of BHAR", True),
        ],
    )


def unit_residuals(
    zeroed: FloatArray, mask: BoolArray, count: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Kolari–Pynnönen ``u_i``: residuals demeaned over ``E_i``, divided by their norm.

    ``zeroed`` holds the ``(N, L)`` residuals on ``mask`` (``E_i``) and 0 elsewhere,
    ``count`` is ``L_i``. Returns ``u`` (zero off ``mask``) and the norms. Placed on
    the calendar, ``r̄ = (‖Σ_i u_i‖² − N) / (N (N − 1))`` (``docs/statistics.md``):
    for two observations with the same estimation dates ``u_i·u_j`` is their
    Pearson correlation.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.where(mask, zeroed - (zeroed.sum(axis=1) / count)[:, None], 0.0)
        norm = np.sqrt((dev * dev).sum(axis=1))
        u = dev / norm[:, None]
    return u, norm
