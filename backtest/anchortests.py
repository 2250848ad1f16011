"""The cross-event tests other event-study tools offer, for every group at once.

Brown and Warner (1980) as estudy2 computes it, Lamb (1995), the Corrado and
Zivney (1992) sign test as EventStudyTools computes it, eventstudy's CAAR t
under independent events and a delete-one jackknife t; ``docs/statistics.md``,
"Cross-event tests". Each takes per-observation values of one window (the N
observations with a valid CAR, in groups ``seg``) or per-group sums, and
returns an :class:`~backtest.significance.Outcomes` with the conventions of
:mod:`backtest.significance`. The resampling tests and the intervals are in
:mod:`backtest.resampling`.
"""

from __future__ import annotations

import numpy as np

from backtest._typing import BoolArray, FloatArray
from backtest.groups import Segments, flatten
from backtest.significance import N_LT_2, Outcomes, empty_reason, make_outcomes, t_pvalue


def _with_real_df(out: Outcomes, df: FloatArray) -> Outcomes:
    """``out`` with p-values under t(``df``) for a real-valued ``df`` (the df column shows
    it rounded)."""
    ok = np.isfinite(out.stat)
    p = np.where(ok, t_pvalue(np.where(ok, out.stat, 0.0), np.where(ok, df, 1.0)), np.nan)
    return Outcomes(out.test, out.stat, p, out.distribution, out.df, out.note)


def bw1980_t(
    caar: FloatArray, s2: FloatArray, n_est: FloatArray, L2: int, seg: Segments
) -> Outcomes:
    """Brown and Warner (1980): ``CAAR / sqrt(L2 Σ_i s_i² / N²)``, t(mean(L_i − 1)).

    ``s2`` and ``n_est`` are the observations' residual variances ``s_i²`` and
    ``L_i``. estudy2's ``brown_warner_1980`` (one day, ``L2 = 1``) uses the
    sample variance of the estimation residuals: ``variance_denominator = "L-1"``.
    The p-value uses the real-valued df; the df column shows it rounded.
    """
    n = seg.count()
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = caar / np.sqrt(L2 * seg.sum(s2) / n.astype(np.float64) ** 2)
        df = seg.mean(n_est - 1.0)
    out = make_outcomes(
        "bw1980_t",
        stat,
        "t",
        np.where(np.isfinite(df), np.round(df), -1).astype(np.int64),
        [empty_reason(n), (~(seg.sum(s2) > 0), "every s_i² is zero", False)],
    )
    return _with_real_df(out, df)


def lamb_z(
    aar: FloatArray, h: FloatArray, aar_est: FloatArray, present: BoolArray, n: FloatArray
) -> Outcomes:
    """Lamb (1995): ``Σ_{t∈W} AAR_t / (S_AAR √h̄_t) / √L2``, N(0, 1).

    ``aar`` and ``h`` are ``(G, L2)``: per group and day of the window, ``AAR_t``
    and ``h̄_t``, the mean over observations of ``Var(AR_it) / s_i²`` (the
    prediction-error factor ``1 + x_t'(X'X)⁻¹x_t``; 1 without it). ``S_AAR`` is
    BW1985's time-series standard deviation of the estimation-window AAR
    (``aar_est`` where ``present``). For one day and observations sharing
    their dates this is estudy2's ``lamb``; for a window, its ``car_lamb``.
    """
    x, seg = flatten(aar_est, present)
    _, s = seg.mean_sd(x)
    L2 = aar.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = aar / (s[:, None] * np.sqrt(h))
        stat = daily.sum(axis=1) / np.sqrt(L2)
    return make_outcomes(
        "lamb_z",
        stat,
        "normal",
        None,
        [
            (n == 0, "N = 0", False),
            (seg.count() < 2, "fewer than 2 estimation days with data", False),
            (np.isnan(s), "zero time-series spread of AAR", False),
        ],
    )


def cz_sign_z(g_sum: FloatArray, g_cnt: FloatArray, start: int, L2: int, n: FloatArray) -> Outcomes:
    """Corrado and Zivney (1992) sign test: ``Σ_{t∈W} Ḡ_t / (√L2 · S_G)``, N(0, 1).

    ``g_sum`` and ``g_cnt`` are ``(G, M)``: per group and event-day (estimation
    and event period) ``Σ_i G_it`` and ``N_t``, with
    ``G_it = sign(AR_it − median_i)`` (the median over the observation's
    estimation residuals and event-period ARs). ``Ḡ_t = Σ_i G_it / √N_t``;
    ``S_G² = (1/T) Σ_t Ḡ_t²`` over the T days with an observation; the window is
    columns ``start .. start + L2``.
    """
    present = g_cnt > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        gbar = np.where(present, g_sum / np.sqrt(g_cnt), 0.0)
    days = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sg = np.sqrt((gbar**2).sum(axis=1) / days)
        stat = gbar[:, start : start + L2].sum(axis=1) / (np.sqrt(L2) * sg)
    return make_outcomes(
        "cz_sign_z",
        stat,
        "normal",
        None,
        [
            (n == 0, "N = 0", False),
            (~(sg > 0), "every sign G_it is zero", False),
        ],
    )


def caar_indep_t(
    car: FloatArray, var_car: FloatArray, n_est: FloatArray, seg: Segments
) -> Outcomes:
    """eventstudy's CAAR t under independent events: ``CAAR / sqrt(Σ_i Var(CAR_i) / N²)``.

    t with ``Σ_i (L_i − 1)`` degrees of freedom. With ``conventions = "eventstudy"``
    ``Var(CAR_i) = L2 s_i²`` and ``s_i² = Σe²/L_i``, as that package computes them.
    """
    n = seg.count()
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = seg.mean(car) / (np.sqrt(seg.sum(var_car)) / n)
    df = seg.sum(n_est - 1.0)
    return make_outcomes(
        "caar_indep_t",
        stat,
        "t",
        np.where(n > 0, df, -1).astype(np.int64),
        [empty_reason(n), (~(seg.sum(var_car) > 0), "every Var(CAR_i) is zero", False)],
    )


def jackknife_t(car: FloatArray, var_car: FloatArray, seg: Segments) -> Outcomes:
    """Delete-one jackknife t of the standardised CAAR ``θ = CAAR / sqrt(mean Var(CAR_i))``.

    ``θ_(−i)`` leaves observation i out; pseudo-values
    ``P_i = N θ − (N − 1) θ_(−i)``; ``t = mean(P) / (sd(P)/√N)``, t(N − 1)
    (Quenouille 1956; Tukey 1958; Efron 1982). The jackknife of the plain mean
    would be ``csect_t`` exactly; the ratio gives each event its weight by its
    predicted variance.
    """
    n = seg.count()
    nf = n.astype(np.float64)
    sc, sv = seg.sum(car), seg.sum(var_car)
    nn = nf[seg.codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = (sc / nf) / np.sqrt(sv / nf)
        loo = ((sc[seg.codes] - car) / (nn - 1.0)) / np.sqrt((sv[seg.codes] - var_car) / (nn - 1.0))
        pseudo = nn * theta[seg.codes] - (nn - 1.0) * loo
    pseudo = np.where(np.isfinite(pseudo), pseudo, 0.0)  # N = 1: null below
    mean, sd = seg.mean_sd(pseudo)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd / np.sqrt(nf))
    return make_outcomes(
        "jackknife_t",
        stat,
        "t",
        n - 1,
        [(n < 2, N_LT_2, False), (np.isnan(sd), "zero spread of the pseudo-values", True)],
    )
