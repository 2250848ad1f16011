"""Cross-event test statistics (``docs/statistics.md``, "Cross-event tests").

Every function takes the already-selected observations of one window (numpy
arrays, one entry per observation with a valid CAR) and returns a
:class:`TestOutcome`. A statistic that is undefined is ``None`` with a ``note``
saying why; NaN never leaves this module. p-values are two-sided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from backtest._typing import FloatArray, TestName


@dataclass(frozen=True)
class TestOutcome:
    """One test on one window."""

    test: TestName
    stat: float | None
    p: float | None
    distribution: str
    df: int | None = None
    note: str | None = None


def t_pvalue(stat: FloatArray | float, df: FloatArray | float) -> FloatArray:
    """Two-sided p-value of ``stat`` under Student's t with ``df`` degrees of freedom."""
    return np.asarray(2.0 * special.stdtr(df, -np.abs(stat)), dtype=np.float64)


def z_pvalue(stat: FloatArray | float) -> FloatArray:
    """Two-sided p-value of ``stat`` under N(0, 1)."""
    return np.asarray(2.0 * special.ndtr(-np.abs(stat)), dtype=np.float64)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _t(test: TestName, stat: float, df: int, note: str | None = None) -> TestOutcome:
    s = _finite(stat)
    if s is None:
        return TestOutcome(test, None, None, "t", df, note or "statistic is not finite")
    return TestOutcome(test, s, float(t_pvalue(s, df)), "t", df, note)


def _z(test: TestName, stat: float, note: str | None = None) -> TestOutcome:
    s = _finite(stat)
    if s is None:
        return TestOutcome(test, None, None, "normal", None, note or "statistic is not finite")
    return TestOutcome(test, s, float(z_pvalue(s)), "normal", None, note)


# A standard deviation below this fraction of the largest |value| is rounding noise.
SPREAD_TOL = 1e-12


def nonzero_sd(values: FloatArray, ddof: int = 1) -> float | None:
    """Sample standard deviation, or None when it is zero up to rounding."""
    sd = float(np.std(values, ddof=ddof))
    scale = float(np.max(np.abs(values))) if values.size else 0.0
    return sd if sd > SPREAD_TOL * scale and sd > 0 else None


def _null(test: TestName, distribution: str, note: str, df: int | None = None) -> TestOutcome:
    return TestOutcome(test, None, None, distribution, df, note)


_N_LT_2 = "N < 2: a cross-sectional standard deviation needs two observations"


def csect_t(car: FloatArray) -> TestOutcome:
    """Cross-sectional t: ``mean(CAR) / (sd(CAR)/√N)``, t(N − 1) (Brown and Warner 1985)."""
    n = car.size
    if n < 2:
        return _null("csect_t", "t", _N_LT_2)
    sd = nonzero_sd(car)
    if sd is None:
        return _null("csect_t", "t", "zero cross-sectional spread of CAR", n - 1)
    return _t("csect_t", float(np.mean(car)) / (sd / math.sqrt(n)), n - 1)


def patell_z(scar: FloatArray, dof: FloatArray) -> TestOutcome:
    """Patell (1976): ``Σ SCAR_i / sqrt(Σ d_i/(d_i − 2))``, N(0, 1)."""
    if scar.size == 0:
        return _null("patell_z", "normal", "N = 0")
    if np.any(dof <= 2):
        return _null("patell_z", "normal", "some d_i <= 2: the variance d/(d − 2) is undefined")
    return _z("patell_z", float(np.sum(scar)) / math.sqrt(float(np.sum(dof / (dof - 2.0)))))


def bmp_t(scar: FloatArray) -> TestOutcome:
    """Boehmer, Musumeci and Poulsen (1991): ``mean(SCAR) / (sd(SCAR)/√N)``, t(N − 1)."""
    n = scar.size
    if n < 2:
        return _null("bmp_t", "t", _N_LT_2)
    sd = nonzero_sd(scar)
    if sd is None:
        return _null("bmp_t", "t", "zero cross-sectional spread of SCAR", n - 1)
    return _t("bmp_t", float(np.mean(scar)) / (sd / math.sqrt(n)), n - 1)


def _kp_factor(n: int, rbar: float | None) -> tuple[float | None, str | None]:
    if n < 2 or rbar is None or not math.isfinite(rbar):
        return None, "r̄ is undefined (N < 2 or no estimation residuals)"
    denom = 1.0 + (n - 1) * rbar
    if not denom > 0:
        return None, f"1 + (N − 1) r̄ = {denom:.3g} <= 0"
    return denom, None


def kp_patell_z(scar: FloatArray, dof: FloatArray, rbar: float | None) -> TestOutcome:
    """Kolari and Pynnönen (2010): ``patell_z · sqrt(1 / (1 + (N − 1) r̄))``, N(0, 1)."""
    base = patell_z(scar, dof)
    denom, note = _kp_factor(scar.size, rbar)
    if base.stat is None or denom is None:
        return _null("kp_patell_z", "normal", note or base.note or "undefined")
    return _z("kp_patell_z", base.stat * math.sqrt(1.0 / denom))


def kp_bmp_t(scar: FloatArray, rbar: float | None) -> TestOutcome:
    """Kolari and Pynnönen (2010): ``bmp_t · sqrt((1 − r̄) / (1 + (N − 1) r̄))``, t(N − 1)."""
    base = bmp_t(scar)
    denom, note = _kp_factor(scar.size, rbar)
    if base.stat is None or denom is None or rbar is None:
        return _null("kp_bmp_t", "t", note or base.note or "undefined", base.df)
    return _t("kp_bmp_t", base.stat * math.sqrt(max(1.0 - rbar, 0.0) / denom), scar.size - 1)


def average_correlation(
    positions: np.ndarray, resid: FloatArray, mask: np.ndarray, n_sessions: int
) -> float | None:
    """Kolari–Pynnönen r̄ from estimation residuals aligned on calendar sessions.

    Parameters
    ----------
    positions
        ``(N, L)`` calendar index of each estimation day.
    resid
        ``(N, L)`` estimation residuals.
    mask
        ``(N, L)`` the days of ``E_i``.
    n_sessions
        Length of the calendar.

    Notes
    -----
    ``u_i`` = residuals demeaned over ``E_i`` divided by their Euclidean norm, zero
    off ``E_i``; ``r̄ = (‖Σ_i u_i‖² − N) / (N (N − 1))`` (``docs/statistics.md``).
    O(N·L) through one ``bincount``.
    """
    n = resid.shape[0]
    if n < 2:
        return None
    cnt = mask.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(mask, resid, 0.0).sum(axis=1) / cnt
        dev = np.where(mask, resid - mean[:, None], 0.0)
        norm = np.sqrt((dev * dev).sum(axis=1))
        u = dev / norm[:, None]
    if not np.all(norm > 0):
        return None
    total = np.bincount(positions[mask], weights=u[mask], minlength=n_sessions)
    return float((total @ total - n) / (n * (n - 1)))


def bw1985_t(aar_est: FloatArray, caar: float, L2: int) -> TestOutcome:
    """Brown and Warner (1985) crude dependence adjustment: ``CAAR / (√L2 · S_AAR)``.

    ``aar_est`` holds ``AAR_t`` on the estimation event-days that have at least
    one observation; ``S_AAR`` is their standard deviation (``T_E − 1``);
    t(T_E − 1).
    """
    te = aar_est.size
    if te < 2:
        return _null("bw1985_t", "t", "fewer than 2 estimation days with data")
    s = nonzero_sd(aar_est)
    if s is None:
        return _null("bw1985_t", "t", "zero time-series spread of AAR", te - 1)
    return _t("bw1985_t", caar / (math.sqrt(L2) * s), te - 1)


def corrado_rank_z(dbar_window: FloatArray, dbar_all: FloatArray) -> TestOutcome:
    """Corrado (1989) / Corrado–Zivney (1992) rank test, Cowan's multi-day form.

    ``Σ_{t∈W} D̄_t / (√L2 · S_U)`` with ``S_U² = mean(D̄_t²)`` over every event-day
    (estimation and event period) with an observation; N(0, 1).
    """
    if dbar_all.size == 0 or dbar_window.size == 0:
        return _null("corrado_rank_z", "normal", "no ranked observations")
    su = math.sqrt(float(np.mean(dbar_all**2)))
    if not su > 0:
        return _null("corrado_rank_z", "normal", "zero spread of the mean standardised ranks")
    return _z("corrado_rank_z", float(np.sum(dbar_window)) / (math.sqrt(dbar_window.size) * su))


def generalized_sign_z(car: FloatArray, n_positive_est: float, n_est: float) -> TestOutcome:
    """Cowan (1992): ``(w − N p̂) / sqrt(N p̂ (1 − p̂))``, ``p̂`` pooled over estimation days."""
    n = car.size
    if n == 0 or not n_est > 0:
        return _null("generalized_sign_z", "normal", "N = 0")
    p = n_positive_est / n_est
    if not 0.0 < p < 1.0:
        return _null("generalized_sign_z", "normal", f"p̂ = {p:g}: no spread of signs")
    w = float(np.sum(car > 0))
    return _z("generalized_sign_z", (w - n * p) / math.sqrt(n * p * (1.0 - p)))


def sign_z(car: FloatArray) -> TestOutcome:
    """Sign test: ``(w − N/2) / sqrt(N/4)``, w = number of positive CARs; N(0, 1)."""
    n = car.size
    if n == 0:
        return _null("sign_z", "normal", "N = 0")
    w = float(np.sum(car > 0))
    return _z("sign_z", (w - n / 2.0) / math.sqrt(n / 4.0))


@lru_cache(maxsize=64)
def _signed_rank_counts(n: int) -> tuple[float, ...]:
    """Number of sign assignments of ranks 1..n with each W+ = 0 .. n(n+1)/2."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for r in range(1, n + 1):  # loop over ranks (n <= 50), not over observations
        counts[r:] = counts[r:] + counts[:-r].copy()
    return tuple(counts.tolist())


def wilcoxon_w(car: FloatArray) -> TestOutcome:
    """Wilcoxon signed-rank: ``W+`` = sum of the ranks of ``|CAR|`` over positive CARs.

    Exact null distribution for N <= 50 without ties or zeros (p = 2·min of the
    two tails, capped at 1); otherwise the normal approximation with the
    conditional mean and variance ``Σ r_i / 2`` and ``Σ r_i² / 4`` over non-zero
    CARs (average ranks: this is the usual tie correction), no continuity
    correction (Wilcoxon 1945; Pratt 1959 for zeros).
    """
    from backtest.ranks import rank_rows

    n = car.size
    if n == 0:
        return _null("wilcoxon_w", "normal", "N = 0")
    ranks = rank_rows(np.abs(car)[None, :])[0]
    w = float(np.sum(ranks[car > 0]))
    ties = np.unique(np.abs(car)).size < n
    zeros = bool(np.any(car == 0))
    if n <= 50 and not ties and not zeros:
        counts = np.asarray(_signed_rank_counts(n))
        total = counts.sum()
        wi = round(w)
        lower = counts[: wi + 1].sum() / total
        upper = counts[wi:].sum() / total
        return TestOutcome("wilcoxon_w", w, min(1.0, 2.0 * min(lower, upper)), "exact")
    nz = car != 0
    mean = float(np.sum(ranks[nz])) / 2.0
    var = float(np.sum(ranks[nz] ** 2)) / 4.0
    if not var > 0:
        return _null("wilcoxon_w", "normal", "every CAR is zero")
    z = (w - mean) / math.sqrt(var)
    return TestOutcome(
        "wilcoxon_w",
        w,
        float(z_pvalue(z)),
        "normal",
        None,
        "normal approximation (N > 50, ties or zeros)",
    )


def grank_t(u_event: FloatArray, ubar_est: FloatArray, n_est_day: FloatArray) -> TestOutcome:
    """Kolari and Pynnönen (2011) generalised rank test, ``t(T − 2)``.

    Parameters
    ----------
    u_event
        ``U_i0`` of the N observations (the standardised rank of ``SCAR*_i``).
    ubar_est, n_est_day
        ``Ū_t`` and ``N_t`` on the estimation event-days with at least one observation.

    Notes
    -----
    ``Z = Ū_0 / S_Ū``, ``S_Ū² = (1/T) Σ_t (N_t/N) Ū_t²`` over those days and the
    event day (``T`` = their number); ``t = Z sqrt((T − 2)/(T − 1 − Z²))``.
    """
    n = u_event.size
    if n < 2:
        return _null("grank_t", "t", _N_LT_2)
    T = ubar_est.size + 1
    u0 = float(np.mean(u_event))
    s2 = (float(np.sum(n_est_day / n * ubar_est**2)) + u0**2) / T
    if not s2 > 0 or T < 3:
        return _null("grank_t", "t", "zero spread of the mean standardised ranks")
    z = u0 / math.sqrt(s2)
    room = T - 1 - z * z
    if not room > 0:
        return _null("grank_t", "t", "T − 1 − Z² <= 0", T - 2)
    return _t("grank_t", z * math.sqrt((T - 2) / room), T - 2)


def skew_adj_t(bhar: FloatArray) -> TestOutcome:
    """Lyon, Barber and Tsai (1999) skewness-adjusted t on BHAR vs the benchmark.

    ``√N (S + γ S²/3 + γ/(6N))``, ``S = mean/sd``, ``γ = Σ(B − mean)³ / (N sd³)``
    (sd with N − 1); t(N − 1).
    """
    n = bhar.size
    if n < 2:
        return _null("skew_adj_t", "t", _N_LT_2 + " with a BHAR")
    m = float(np.mean(bhar))
    sd = nonzero_sd(bhar)
    if sd is None:
        return _null("skew_adj_t", "t", "zero cross-sectional spread of BHAR", n - 1)
    s = m / sd
    g = float(np.sum((bhar - m) ** 3)) / (n * sd**3)
    return _t("skew_adj_t", math.sqrt(n) * (s + g * s * s / 3.0 + g / (6.0 * n)), n - 1)
