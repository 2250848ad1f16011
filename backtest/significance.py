"""Cross-event test statistics, for every group of observations at once.

``docs/statistics.md``, "Cross-event tests". Each function takes the
already-selected observations of one window (one entry per observation with a
valid CAR) and a :class:`Segments` that says which group each belongs to, and
returns an :class:`Outcomes`: one statistic per group, computed in one
vectorised pass (per-group sums are ``numpy.bincount``; a study without groups
is one group). A statistic that is undefined is NaN internally and null in the
output, with a ``note`` saying why. p-values are two-sided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray, TestName
from backtest.groups import weighted_count

#: A standard deviation below this fraction of the largest |value| is rounding noise.
SPREAD_TOL = 1e-12

_N_LT_2 = "N < 2: a cross-sectional standard deviation needs two observations"


def t_pvalue(stat: FloatArray | float, df: FloatArray | IntArray | float) -> FloatArray:
    """Two-sided p-value of ``stat`` under Student's t with ``df`` degrees of freedom."""
    from scipy import special  # imported on use: keeps ``import backtest`` cheap

    return np.asarray(2.0 * special.stdtr(df, -np.abs(stat)), dtype=np.float64)


def z_pvalue(stat: FloatArray | float) -> FloatArray:
    """Two-sided p-value of ``stat`` under N(0, 1)."""
    from scipy import special

    return np.asarray(2.0 * special.ndtr(-np.abs(stat)), dtype=np.float64)


@dataclass(frozen=True)
class Segments:
    """A partition of n values into G groups: ``codes[i]`` is the group of value i.

    The reductions return one number per group (``(G,)`` arrays; an empty group
    sums to 0). With a single group they reduce the whole array in numpy's own
    order, so an ungrouped study gets exactly the numbers of ``numpy.mean`` and
    ``numpy.std``.
    """

    codes: IntArray
    n_groups: int

    @classmethod
    def whole(cls, n: int) -> Segments:
        """All of n values in one group."""
        return cls(np.zeros(n, dtype=np.int64), 1)

    def subset(self, keep: BoolArray) -> Segments:
        """The values where ``keep`` is True, in the same groups."""
        return Segments(self.codes[keep], self.n_groups)

    def count(self) -> IntArray:
        """Number of values per group."""
        return np.bincount(self.codes, minlength=self.n_groups).astype(np.int64)

    def sum(self, x: FloatArray) -> FloatArray:
        """``Σ x`` per group."""
        if self.n_groups == 1:
            return np.asarray([np.sum(x)], dtype=np.float64)
        return weighted_count(self.codes, x, self.n_groups)

    def max_abs(self, x: FloatArray) -> FloatArray:
        """``max |x|`` per group (0 for an empty group)."""
        if self.n_groups == 1:
            return np.asarray([np.max(np.abs(x)) if x.size else 0.0])
        out = np.zeros(self.n_groups)
        np.maximum.at(out, self.codes, np.abs(x))
        return out

    def mean(self, x: FloatArray) -> FloatArray:
        """Mean per group (NaN for an empty group)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = self.sum(x) / self.count()
        return out

    def mean_sd(self, x: FloatArray, ddof: int = 1) -> tuple[FloatArray, FloatArray]:
        """Mean and nonzero sample standard deviation per group.

        The standard deviation is NaN where it is zero up to rounding
        (``sd <= SPREAD_TOL · max |x|``) or undefined (fewer than ``ddof + 1``
        values).
        """
        n = self.count()
        mean = self.mean(x)
        dev = x - mean[self.codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(self.sum(dev * dev) / (n - ddof))
        ok = (sd > SPREAD_TOL * self.max_abs(x)) & (sd > 0) & (n > ddof)
        return mean, np.where(ok, sd, np.nan)


def flatten(values: FloatArray, present: BoolArray) -> tuple[FloatArray, Segments]:
    """The ``present`` entries of a ``(G, D)`` matrix as values in segments (one per row)."""
    rows = np.nonzero(present)[0].astype(np.int64)
    return values[present], Segments(rows, values.shape[0])


@dataclass(frozen=True)
class Outcomes:
    """One test on one window for G groups (``(G,)`` arrays; NaN and -1 mean null)."""

    test: TestName
    stat: FloatArray
    p: FloatArray
    distribution: Sequence[str]
    df: IntArray  # -1: none
    note: Sequence[str | None]


#: A reason a statistic is undefined: (where, note per group or for all, whether the df
#: is still reported).
NullReason: TypeAlias = tuple[BoolArray, str | Sequence[str], bool]


def _outcomes(
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
    out_df = np.full(G, -1, dtype=np.int64) if df is None else df.astype(np.int64).copy()
    undefined = np.zeros(G, dtype=bool)
    for where, text, keep_df in nulls:
        new = where & ~undefined
        for g in np.flatnonzero(new):
            note[g] = text if isinstance(text, str) else text[int(g)]
        if not keep_df:
            out_df[new] = -1
        undefined |= new
    bad = ~undefined & ~np.isfinite(stat)
    for g in np.flatnonzero(bad):
        note[g] = "statistic is not finite"
    undefined |= bad
    stat = np.where(undefined, np.nan, stat)
    if kind == "t":
        p = np.where(undefined, np.nan, t_pvalue(np.where(undefined, 0.0, stat), out_df))
    else:
        p = np.where(undefined, np.nan, z_pvalue(np.where(undefined, 0.0, stat)))
    return Outcomes(test, stat, p, [kind] * G, out_df, note)


def _empty(n: IntArray) -> NullReason:
    return (n == 0, "N = 0", False)


def csect_t(car: FloatArray, seg: Segments) -> Outcomes:
    """Cross-sectional t: ``mean(CAR) / (sd(CAR)/√N)``, t(N − 1) (Brown and Warner 1985)."""
    n = seg.count()
    mean, sd = seg.mean_sd(car)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd / np.sqrt(n))
    return _outcomes(
        "csect_t",
        stat,
        "t",
        n - 1,
        [(n < 2, _N_LT_2, False), (np.isnan(sd), "zero cross-sectional spread of CAR", True)],
    )


def patell_z(scar: FloatArray, dof: FloatArray, seg: Segments) -> Outcomes:
    """Patell (1976): ``Σ SCAR_i / sqrt(Σ d_i/(d_i − 2))``, N(0, 1)."""
    n = seg.count()
    small = seg.sum((dof <= 2).astype(np.float64)) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = seg.sum(scar) / np.sqrt(seg.sum(dof / (dof - 2.0)))
    return _outcomes(
        "patell_z",
        stat,
        "normal",
        None,
        [_empty(n), (small, "some d_i <= 2: the variance d/(d − 2) is undefined", False)],
    )


def bmp_t(scar: FloatArray, seg: Segments) -> Outcomes:
    """Boehmer, Musumeci and Poulsen (1991): ``mean(SCAR) / (sd(SCAR)/√N)``, t(N − 1)."""
    n = seg.count()
    mean, sd = seg.mean_sd(scar)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd / np.sqrt(n))
    return _outcomes(
        "bmp_t",
        stat,
        "t",
        n - 1,
        [(n < 2, _N_LT_2, False), (np.isnan(sd), "zero cross-sectional spread of SCAR", True)],
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
    return _outcomes("kp_patell_z", stat, "normal", None, [undefined, negative, base_null])


def kp_bmp_t(scar: FloatArray, rbar: FloatArray, seg: Segments) -> Outcomes:
    """Kolari and Pynnönen (2010): ``bmp_t · sqrt((1 − r̄) / (1 + (N − 1) r̄))``, t(N − 1)."""
    base = bmp_t(scar, seg)
    n = seg.count()
    denom, undefined, negative = _kp_factor(n, rbar)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = base.stat * np.sqrt(np.maximum(1.0 - rbar, 0.0) / denom)
    base_null = (np.isnan(base.stat), [note or "undefined" for note in base.note], True)
    out = _outcomes("kp_bmp_t", stat, "t", n - 1, [undefined, negative, base_null])
    # undefined for one of those reasons: the df of bmp_t, whatever it is
    null = undefined[0] | negative[0] | base_null[0]
    df = np.where(null, base.df, out.df)
    return Outcomes(out.test, out.stat, out.p, out.distribution, df, out.note)


def bw1985_t(aar_est: FloatArray, present: BoolArray, caar: FloatArray, L2: int) -> Outcomes:
    """Brown and Warner (1985) crude dependence adjustment: ``CAAR / (√L2 · S_AAR)``.

    ``aar_est`` is ``(G, Le)``: ``AAR_t`` per group on the estimation event-days,
    used where ``present`` (at least one observation); ``S_AAR`` is their
    standard deviation (``T_E − 1``); t(T_E − 1). A group with no observation
    (``caar`` NaN) has ``N = 0``.
    """
    x, seg = flatten(aar_est, present)
    te = seg.count()
    _, s = seg.mean_sd(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = caar / (np.sqrt(L2) * s)
    return _outcomes(
        "bw1985_t",
        stat,
        "t",
        te - 1,
        [
            (np.isnan(caar), "N = 0", False),
            (te < 2, "fewer than 2 estimation days with data", False),
            (np.isnan(s), "zero time-series spread of AAR", True),
        ],
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
    return _outcomes(
        "corrado_rank_z",
        stat,
        "normal",
        None,
        [
            _empty(n),
            (n_days == 0, "no ranked observations", False),
            (~(su > 0), "zero spread of the mean standardised ranks", False),
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
    return _outcomes(
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
    return _outcomes("sign_z", stat, "normal", None, [_empty(n)])


@lru_cache(maxsize=64)
def _signed_rank_cdf(n: int) -> tuple[float, ...]:
    """``P(W+ <= w)`` numerators for ranks 1..n, w = 0 .. n(n+1)/2 (sum: ``2**n``)."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for r in range(1, n + 1):  # loop over ranks (n <= 50), not over observations
        counts[r:] = counts[r:] + counts[:-r].copy()
    return tuple(np.cumsum(counts).tolist())  # integers below 2**53: exact


def group_ranks(values: FloatArray, seg: Segments) -> tuple[FloatArray, BoolArray]:
    """Average ranks (1-based) of ``values`` within their groups, and which groups have ties."""
    n = values.shape[0]
    order = np.lexsort((values, seg.codes))
    sv, sg = values[order], seg.codes[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (sv[1:] != sv[:-1]) | (sg[1:] != sg[:-1])
    first_of_group = np.ones(n, dtype=bool)
    first_of_group[1:] = sg[1:] != sg[:-1]
    pos = np.arange(n)
    group_start = np.maximum.accumulate(np.where(first_of_group, pos, 0))
    run_start = np.maximum.accumulate(np.where(new, pos, 0))
    run_id = np.cumsum(new) - 1
    run_len = np.bincount(run_id)
    # average of ordinal ranks run_start .. run_start + len - 1, relative to the group
    avg = (run_start - group_start) + (run_len[run_id] + 1) / 2.0
    ranks = np.empty(n)
    ranks[order] = avg
    ties = np.zeros(seg.n_groups, dtype=bool)
    ties[sg[~new]] = True
    return ranks, ties


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
    return _outcomes(
        "grank_t",
        stat,
        "t",
        T - 2,
        [
            (n < 2, _N_LT_2, False),
            *undefined,
            (~(s2 > 0) | (T < 3), "zero spread of the mean standardised ranks", False),
            (~(room > 0), "T − 1 − Z² <= 0", True),
        ],
    )


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
    return _outcomes(
        "skew_adj_t",
        stat,
        "t",
        n - 1,
        [
            (n < 2, _N_LT_2 + " with a BHAR", False),
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
