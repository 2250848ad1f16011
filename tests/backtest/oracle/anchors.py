"""Oracle for the tests other tools offer (docs/statistics.md, "Cross-event tests", second table).

Literal loops from the formulas, like reference.py, whose observations (``Obs``) they take.
Never reads or imports ``backtest/``. The resampled quantities are computed without the
engine's random draws: the sign-flip p-value exactly (all 2^N sign patterns), the bootstrap
intervals from 200,000 resamples drawn with Python's ``random`` module (the expanded
percentile interval by default, the plain percentile interval under the eventstudies
conventions); the engine's Monte-Carlo values are compared with these within their
sampling error.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from dataclasses import dataclass

import reference as ref
from scipy import stats


@dataclass
class Row:
    test: str
    stat: float | None
    p: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    conventions: str = "default"


def eventstudy_obs(o: ref.Obs) -> ref.Obs:
    """``o`` under the eventstudy conventions: s² = SSR / L (ddof 0), no prediction error."""
    ssr = sum(e * e for e in o.resid)
    out = ref.Obs(**{k: getattr(o, k) for k in o.__dataclass_fields__})
    out.s2 = ssr / o.L
    out.model = "eventstudy:" + o.model  # var_ar / var_car below use L2 s² only
    return out


def var_ar(o: ref.Obs, rel: int) -> float:
    return o.s2 if o.model.startswith("eventstudy:") else ref.var_ar(o, rel)


def var_car(o: ref.Obs, t1: int, t2: int) -> float:
    if o.model.startswith("eventstudy:"):
        return (t2 - t1 + 1) * o.s2
    return ref.var_car(o, t1, t2)


def _aar_est_sd(valid: list[ref.Obs]) -> float:
    """BW1985's S_AAR: sd (T_E − 1) of the event-time AAR on estimation days."""
    days = sorted({r for o in valid for r in o.est_rel})
    aar = [ref.mean([o.resid[o.est_rel.index(t)] for o in valid if t in o.est_rel]) for t in days]
    return ref.sd(aar)


def _quantile(sorted_xs: list[float], q: float) -> float:
    """Linear interpolation between order statistics, h = (n − 1) q (numpy's default)."""
    h = (len(sorted_xs) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (h - lo) * (sorted_xs[hi] - sorted_xs[lo])


def _bootstrap_means(cars: list[float], seed: int) -> list[float]:
    """The sorted means of 200,000 resamples, with replacement, of ``cars``."""
    rng = random.Random(seed)
    N = len(cars)
    return sorted(sum(rng.choice(cars) for _ in range(N)) / N for _ in range(200_000))


def expanded_tail(n: int, alpha: float = 0.05) -> float:
    """Hesterberg (2015)'s expanded percentile tail α'/2 = Φ(−sqrt(n/(n−1)) · t_{1−α/2, n−1})."""
    return float(stats.norm.cdf(-math.sqrt(n / (n - 1)) * stats.t.ppf(1 - alpha / 2, n - 1)))


def anchor_tests(
    obs: list[ref.Obs], t1: int, t2: int, event_period: tuple[int, int], seed: int = 1
) -> tuple[int, list[Row]]:
    """The deterministic tests and intervals of window [t1, t2], default conventions."""
    valid = [o for o in obs if ref.car(o, t1, t2) is not None]
    N = len(valid)
    L2 = t2 - t1 + 1
    cars = [float(ref.car(o, t1, t2)) for o in valid]  # type: ignore[arg-type]
    vcar = [var_car(o, t1, t2) for o in valid]
    caar = sum(cars) / N
    rows: list[Row] = []

    # bw1980_t: CAAR / sqrt(L2 Σ s_i² / N²), t(mean(L_i − 1))
    s = caar / math.sqrt(L2 * sum(o.s2 for o in valid) / N**2)
    rows.append(Row("bw1980_t", s, ref.t_two_sided(s, sum(o.L - 1 for o in valid) / N)))

    # lamb_z: Σ_t AAR_t / (S_AAR sqrt(h̄_t)) / sqrt(L2), h̄_t = mean Var(AR_it)/s_i²
    s_aar = _aar_est_sd(valid)
    total = 0.0
    for t in range(t1, t2 + 1):
        aar_t = ref.mean([o.ar[t] for o in valid])
        h_t = ref.mean([var_ar(o, t) / o.s2 for o in valid])
        total += aar_t / (s_aar * math.sqrt(h_t))
    z = total / math.sqrt(L2)
    rows.append(Row("lamb_z", z, ref.z_two_sided(z)))

    # cz_sign_z: G_it = sign(value − median_i) over estimation residuals and event-period ARs
    G: list[dict[int, float]] = []
    for o in valid:
        vals = dict(zip(o.est_rel, o.resid, strict=True))
        for t in range(event_period[0], event_period[1] + 1):
            if t in o.ar:
                vals[t] = o.ar[t]
        med = statistics.median(vals.values())
        G.append({t: float((v > med) - (v < med)) for t, v in vals.items()})
    days = sorted({t for g in G for t in g})
    gbar = {}
    for t in days:
        present = [g[t] for g in G if t in g]
        gbar[t] = sum(present) / math.sqrt(len(present))
    s_g = math.sqrt(sum(v * v for v in gbar.values()) / len(days))
    z = sum(gbar[t] for t in range(t1, t2 + 1)) / (math.sqrt(L2) * s_g)
    rows.append(Row("cz_sign_z", z, ref.z_two_sided(z)))

    # caar_indep_t: CAAR / sqrt(Σ Var(CAR_i) / N²), t(Σ (L_i − 1))
    s = caar / math.sqrt(sum(vcar) / N**2)
    rows.append(Row("caar_indep_t", s, ref.t_two_sided(s, sum(o.L - 1 for o in valid))))

    # jackknife_t of θ = CAAR / sqrt(mean Var(CAR))
    def theta(c: list[float], v: list[float]) -> float:
        return (sum(c) / len(c)) / math.sqrt(sum(v) / len(v))

    th = theta(cars, vcar)
    pseudo = []
    for i in range(N):
        loo = theta(cars[:i] + cars[i + 1 :], vcar[:i] + vcar[i + 1 :])
        pseudo.append(N * th - (N - 1) * loo)
    s = ref.mean(pseudo) / (ref.sd(pseudo) / math.sqrt(N))
    rows.append(Row("jackknife_t", s, ref.t_two_sided(s, N - 1)))

    # permutation_p, exactly: share of the 2^N sign patterns with |Σ s_i c_i| >= |Σ c_i|
    obs_sum = abs(sum(cars))
    hits = 0
    for signs in itertools.product((-1.0, 1.0), repeat=N):
        if abs(sum(sg * c for sg, c in zip(signs, cars, strict=True))) >= obs_sum * (1 - 1e-12):
            hits += 1
    stat = sum(cars) / math.sqrt(sum(c * c for c in cars))
    rows.append(Row("permutation_p", stat, hits / 2**N))

    # bootstrap_ci: expanded percentile interval of 200,000 resampled means (Python's
    # random): their α'/2 and 1 − α'/2 quantiles, α'/2 = Φ(−sqrt(N/(N−1)) t_{0.975, N−1})
    means = _bootstrap_means(cars, seed)
    a2 = expanded_tail(N)
    rows.append(Row("bootstrap_ci", caar, None, _quantile(means, a2), _quantile(means, 1 - a2)))

    # wilcoxon_ci: Walsh averages; k = smallest q with P(W+ <= q) >= 0.025 (enumerated)
    walsh = sorted((cars[i] + cars[j]) / 2 for i in range(N) for j in range(i, N))
    M = len(walsh)
    counts = [0] * (M + 1)
    for signs in itertools.product((0, 1), repeat=N):
        counts[sum(r for r, sg in zip(range(1, N + 1), signs, strict=True) if sg)] += 1
    cum, k = 0, 0
    for q in range(M + 1):
        cum += counts[q]
        if cum / 2**N >= 0.025:
            k = q
            break
    hl = (walsh[(M + 1) // 2 - 1] + walsh[M // 2]) / 2
    if k == 0:  # N <= 5: no sign pattern set has probability <= 2.5%: no 95% interval
        rows.append(Row("wilcoxon_ci", hl, None))
    else:
        rows.append(Row("wilcoxon_ci", hl, None, walsh[k - 1], walsh[M - k]))
    return N, rows


def convention_rows(obs: list[ref.Obs], t1: int, t2: int, seed: int = 1) -> list[Row]:
    """Rows under the eventstudy, estudy2 and eventstudies conventions."""
    rows: list[Row] = []
    es = [eventstudy_obs(o) for o in obs]
    valid = [o for o in es if ref.car(o, t1, t2) is not None]
    N = len(valid)
    cars = [float(ref.car(o, t1, t2)) for o in valid]  # type: ignore[arg-type]
    caar = sum(cars) / N
    s = caar / math.sqrt(sum(var_car(o, t1, t2) for o in valid) / N**2)
    rows.append(
        Row(
            "caar_indep_t",
            s,
            ref.t_two_sided(s, sum(o.L - 1 for o in valid)),
            None,
            None,
            "eventstudy",
        )
    )
    scars = [c / math.sqrt(var_car(o, t1, t2)) for o, c in zip(valid, cars, strict=True)]
    s = ref.mean(scars) / (ref.sd(scars) / math.sqrt(N))
    rows.append(Row("bmp_t", s, ref.t_two_sided(s, N - 1), None, None, "eventstudy"))
    # estudy2: BW1985 against N(0, 1)
    days = sorted({r for o in obs for r in o.est_rel})
    aar = [ref.mean([o.resid[o.est_rel.index(t)] for o in obs if t in o.est_rel]) for t in days]
    caar_w = sum(ref.mean([o.ar[t] for o in obs if t in o.ar]) for t in range(t1, t2 + 1))
    z = caar_w / (math.sqrt(t2 - t1 + 1) * ref.sd(aar))
    rows.append(Row("bw1985_t", z, ref.z_two_sided(z), None, None, "estudy2"))
    # eventstudies: bootstrap_ci as inference.bootstrap, the 2.5% and 97.5% quantiles of the
    # resampled means (the same 200,000 resamples as the default's interval)
    cars = [float(ref.car(o, t1, t2)) for o in obs if ref.car(o, t1, t2) is not None]  # type: ignore[arg-type]
    means = _bootstrap_means(cars, seed)
    lo, hi = _quantile(means, 0.025), _quantile(means, 0.975)
    rows.append(Row("bootstrap_ci", sum(cars) / len(cars), None, lo, hi, "eventstudies"))
    return rows
