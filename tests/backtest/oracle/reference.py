"""Independent reference implementation of docs/statistics.md (the oracle).

Written from the specification only; it does not read or import anything in ``backtest/``.
Deliberately slow and literal: Python loops over observations and days, explicit textbook
formulas for the market-model variances (not the matrix form), statsmodels OLS for the fits,
an explicit double loop over pairs for the Kolari-Pynnönen r̄ and an exact enumeration of the
2^N sign patterns for the Wilcoxon p-value.

Needs statsmodels (a dev dependency, not installed in CI). CI never imports this module: the
tests only read the CSVs that ``make_golden.py`` writes into ``tests/backtest/golden/``.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from scipy import stats

# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def load_closes(data_dir: Path, tickers: list[str]) -> dict[str, list[tuple[str, float]]]:
    """ticker -> [(date, split-adjusted close)] in date order, from prices_daily.csv."""
    out: dict[str, list[tuple[str, float]]] = {t: [] for t in tickers}
    adj_seen: dict[str, bool] = dict.fromkeys(tickers, False)
    with (data_dir / "prices_daily.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            t = row["ticker"]
            if t in out:
                out[t].append((row["date"], float(row["close"])))
                if row["adj_close"].strip() != "":
                    adj_seen[t] = True
    for t in tickers:
        # The spec uses adj_close only when it is present on every row; in this data set it is
        # empty on every row, so the close + dividend formula is the one that applies.
        if adj_seen[t]:
            raise ValueError(f"{t}: adj_close is not empty; the oracle only implements close+D")
        out[t].sort()
        dates = [d for d, _ in out[t]]
        if len(set(dates)) != len(dates):
            raise ValueError(f"{t}: duplicate dates")
    return out


def load_dividends(data_dir: Path, tickers: list[str]) -> dict[tuple[str, str], float]:
    """(ticker, ex-date) -> cash dividend (summed if a date appears twice)."""
    out: dict[tuple[str, str], float] = {}
    with (data_dir / "dividends.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["ticker"] in tickers:
                key = (row["ticker"], row["date"])
                out[key] = out.get(key, 0.0) + float(row["dividend"])
    return out


def total_returns(
    closes: list[tuple[str, float]], dividends: dict[tuple[str, str], float], ticker: str
) -> dict[str, float]:
    """R_t = (close_t + D_t) / close_{t-1} - 1; the first row has no return."""
    ret: dict[str, float] = {}
    row_dates = {d for d, _ in closes}
    for (tk, d), _amount in dividends.items():
        if tk == ticker and d not in row_dates and closes[0][0] <= d <= closes[-1][0]:
            raise ValueError(f"{ticker}: ex-date {d} is not a price row")
    for i in range(1, len(closes)):
        d, c = closes[i]
        c_prev = closes[i - 1][1]
        D = dividends.get((ticker, d), 0.0)
        ret[d] = (c + D) / c_prev - 1.0
    return ret


def load_ff(data_dir: Path) -> dict[str, dict[str, float]]:
    """date -> factor dict, converted from percent to fractions."""
    out: dict[str, dict[str, float]] = {}
    with (data_dir / "ff_factors_daily.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["date"]] = {
                k: float(v) / 100.0 for k, v in row.items() if k != "date" and v != ""
            }
    return out


# --------------------------------------------------------------------------------------------
# Per-observation estimation
# --------------------------------------------------------------------------------------------

MODEL_K = {"market_adjusted": 0, "constant_mean": 1, "market_model": 2, "ff3": 4}


@dataclass
class Obs:
    event_id: str
    ticker: str
    day0: str
    model: str
    L: int = 0
    k: int = 0
    d: int = 0  # degrees of freedom of s²
    s2: float = math.nan
    params: dict[str, float] = field(default_factory=dict)
    r2: float = math.nan
    # estimation: relative day -> (date, residual)
    est_rel: list[int] = field(default_factory=list)
    est_dates: list[str] = field(default_factory=list)
    resid: list[float] = field(default_factory=list)
    # market model only: estimation-window market mean and S_mm
    rm_bar: float = math.nan
    s_mm: float = math.nan
    # FF3 only: covariance of the parameter estimates (s² (X'X)^-1, from statsmodels)
    cov_params: np.ndarray | None = None
    # event days: relative day -> values
    date_of: dict[int, str] = field(default_factory=dict)
    ret: dict[int, float] = field(default_factory=dict)
    expected: dict[int, float] = field(default_factory=dict)
    ar: dict[int, float] = field(default_factory=dict)
    rm: dict[int, float] = field(default_factory=dict)  # benchmark return on event days
    xrow: dict[int, list[float]] = field(default_factory=dict)  # regressor row (ff3)


def fit_observation(
    event_id: str,
    ticker: str,
    day0: str,
    model: str,
    calendar: list[str],
    r_i: dict[str, float],
    r_m: dict[str, float],
    est: tuple[int, int],
    event_days: tuple[int, int],
    min_obs: int,
    ff: dict[str, dict[str, float]] | None = None,
) -> Obs:
    """Fit one (event, ticker) observation on E = [est[0], est[1]] sessions around day0."""
    o = Obs(event_id, ticker, day0, model)
    o.k = MODEL_K[model]
    i0 = calendar.index(day0)

    def regressors_exist(date: str) -> bool:
        if model == "ff3":
            return ff is not None and date in ff
        if model == "constant_mean":
            return True
        return date in r_m

    # E_i: sessions [start, end] where ticker and regressor returns both exist
    for rel in range(est[0], est[1] + 1):
        j = i0 + rel
        if j < 0:
            continue
        date = calendar[j]
        if date in r_i and regressors_exist(date):
            o.est_rel.append(rel)
            o.est_dates.append(date)
    o.L = len(o.est_rel)
    if min_obs > o.L:
        raise ValueError(f"{event_id}/{ticker}: insufficient estimation ({o.L} < {min_obs})")

    y = [r_i[d] for d in o.est_dates]
    if model == "market_model":
        x = [r_m[d] for d in o.est_dates]
        res = sm.OLS(np.array(y), sm.add_constant(np.array(x))).fit()
        o.params = {"alpha": float(res.params[0]), "beta": float(res.params[1])}
        o.resid = [float(e) for e in res.resid]
        o.r2 = float(res.rsquared)
        o.rm_bar = sum(x) / o.L
        o.s_mm = sum((xm - o.rm_bar) ** 2 for xm in x)
        o.d = o.L - 2
        o.s2 = sum(e * e for e in o.resid) / o.d
    elif model == "constant_mean":
        res = sm.OLS(np.array(y), np.ones((o.L, 1))).fit()
        o.params = {"mu": float(res.params[0])}
        o.resid = [float(e) for e in res.resid]
        o.d = o.L - 1
        o.s2 = sum(e * e for e in o.resid) / o.d
    elif model == "market_adjusted":
        raw = [r_i[d] - r_m[d] for d in o.est_dates]
        mean = sum(raw) / o.L
        # residuals are demeaned first; denominator L - 1 under both conventions
        o.resid = [v - mean for v in raw]
        o.d = o.L - 1
        o.s2 = sum(e * e for e in o.resid) / o.d
    elif model == "ff3":
        assert ff is not None
        yx = [r_i[d] - ff[d]["rf"] for d in o.est_dates]
        X = [[ff[d]["mkt_rf"], ff[d]["smb"], ff[d]["hml"]] for d in o.est_dates]
        res = sm.OLS(np.array(yx), sm.add_constant(np.array(X))).fit()
        p = [float(v) for v in res.params]
        o.params = {"alpha": p[0], "b_mkt": p[1], "b_smb": p[2], "b_hml": p[3]}
        o.resid = [float(e) for e in res.resid]
        o.r2 = float(res.rsquared)
        o.d = o.L - 4
        o.s2 = sum(e * e for e in o.resid) / o.d
        # statsmodels' cov_params() is scale * (X'X)^-1 with scale = SSR / (L - 4) = s²
        o.cov_params = np.asarray(res.cov_params())
    else:
        raise ValueError(model)

    # event period: expected returns and ARs
    for rel in range(event_days[0], event_days[1] + 1):
        j = i0 + rel
        if j >= len(calendar):
            continue
        date = calendar[j]
        o.date_of[rel] = date
        if date not in r_i:
            continue
        if model == "market_model":
            if date not in r_m:
                continue
            e = o.params["alpha"] + o.params["beta"] * r_m[date]
            o.rm[rel] = r_m[date]
        elif model == "constant_mean":
            e = o.params["mu"]
            if date in r_m:
                o.rm[rel] = r_m[date]
        elif model == "market_adjusted":
            if date not in r_m:
                continue
            e = r_m[date]
            o.rm[rel] = r_m[date]
        else:  # ff3: AR = excess return - fitted excess; expected = rf + fitted
            assert ff is not None
            if date not in ff:
                continue
            f = ff[date]
            fitted = (
                o.params["alpha"]
                + o.params["b_mkt"] * f["mkt_rf"]
                + o.params["b_smb"] * f["smb"]
                + o.params["b_hml"] * f["hml"]
            )
            e = f["rf"] + fitted
            o.xrow[rel] = [1.0, f["mkt_rf"], f["smb"], f["hml"]]
            if date in r_m:
                o.rm[rel] = r_m[date]
        o.ret[rel] = r_i[date]
        o.expected[rel] = e
        o.ar[rel] = r_i[date] - e
    return o


def var_ar(o: Obs, rel: int) -> float:
    """Var(AR_t) with the estimation-error term, scalar textbook formulas."""
    if o.model == "market_model":
        return o.s2 * (1.0 + 1.0 / o.L + (o.rm[rel] - o.rm_bar) ** 2 / o.s_mm)
    if o.model == "constant_mean":
        return o.s2 * (1.0 + 1.0 / o.L)
    if o.model == "market_adjusted":
        return o.s2
    assert o.cov_params is not None
    x = o.xrow[rel]
    q = sum(x[a] * float(o.cov_params[a][b]) * x[b] for a in range(4) for b in range(4))
    return o.s2 + q


def window_days(tau1: int, tau2: int) -> list[int]:
    return list(range(tau1, tau2 + 1))


def car(o: Obs, tau1: int, tau2: int) -> float | None:
    days = window_days(tau1, tau2)
    if any(t not in o.ar for t in days):
        return None
    return sum(o.ar[t] for t in days)


def var_car(o: Obs, tau1: int, tau2: int) -> float:
    """Var(CAR(W)): s² [L2 + L2²/L + (Σ_W (R_mt - R̄_m))² / S_mm] for the market model."""
    L2 = tau2 - tau1 + 1
    days = window_days(tau1, tau2)
    if o.model == "market_model":
        dev = sum(o.rm[t] - o.rm_bar for t in days)
        return o.s2 * (L2 + L2 * L2 / o.L + dev * dev / o.s_mm)
    if o.model == "constant_mean":
        return o.s2 * (L2 + L2 * L2 / o.L)
    if o.model == "market_adjusted":
        return L2 * o.s2
    # ff3: L2 s² + x_W' [s² (X'X)^-1] x_W, with the covariance matrix from statsmodels
    assert o.cov_params is not None
    xw = [sum(o.xrow[t][a] for t in days) for a in range(4)]
    q = sum(xw[a] * float(o.cov_params[a][b]) * xw[b] for a in range(4) for b in range(4))
    return L2 * o.s2 + q


def bhar(o: Obs, tau1: int, tau2: int) -> tuple[float, float]:
    """(BHAR vs benchmark, BHAR vs model) with simple returns."""
    p_i = 1.0
    p_m = 1.0
    p_e = 1.0
    for t in window_days(tau1, tau2):
        p_i *= 1.0 + o.ret[t]
        p_m *= 1.0 + o.rm[t]
        p_e *= 1.0 + (o.ret[t] - o.ar[t])
    return p_i - p_m, p_i - p_e


def t_two_sided(t: float, df: float) -> float:
    return float(2.0 * stats.t.sf(abs(t), df))


def z_two_sided(z: float) -> float:
    return float(2.0 * stats.norm.sf(abs(z)))


# --------------------------------------------------------------------------------------------
# Cross-event helpers
# --------------------------------------------------------------------------------------------


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def sd(xs: list[float]) -> float:
    m = mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def average_ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties get the average of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    pos = 0
    while pos < len(order):
        end = pos
        while end + 1 < len(order) and values[order[end + 1]] == values[order[pos]]:
            end += 1
        avg = (pos + 1 + end + 1) / 2.0
        for q in range(pos, end + 1):
            ranks[order[q]] = avg
        pos = end + 1
    return ranks


def unit_residuals_on_calendar(o: Obs) -> dict[str, float]:
    """u_i: residuals demeaned over E_i, divided by their Euclidean norm, keyed by date."""
    m = mean(o.resid)
    dm = [e - m for e in o.resid]
    norm = math.sqrt(sum(v * v for v in dm))
    return {d: v / norm for d, v in zip(o.est_dates, dm, strict=True)}


def kp_rbar_spec(obs: list[Obs]) -> float:
    """Spec r̄: mean over pairs i<j of u_i·u_j on calendar dates (zero outside E_i)."""
    N = len(obs)
    us = [unit_residuals_on_calendar(o) for o in obs]
    total = 0.0
    for i in range(N):
        for j in range(i + 1, N):
            dot = 0.0
            for date, v in us[i].items():
                if date in us[j]:
                    dot += v * us[j][date]
            total += dot
    rbar = 2.0 * total / (N * (N - 1))
    # cross-check against the spec's closed form (‖Σ u_i‖² - N) / (N (N - 1))
    summed: dict[str, float] = {}
    for u in us:
        for date, v in u.items():
            summed[date] = summed.get(date, 0.0) + v
    closed = (sum(v * v for v in summed.values()) - N) / (N * (N - 1))
    assert abs(closed - rbar) < 1e-12, (closed, rbar)
    return rbar


def pearson_pairs(obs: list[Obs]) -> list[tuple[int, int, int, float, float]]:
    """(i, j, n_common, Pearson r over the common dates, spec dot product u_i·u_j)."""
    us = [unit_residuals_on_calendar(o) for o in obs]
    out = []
    for i in range(len(obs)):
        for j in range(i + 1, len(obs)):
            ri = dict(zip(obs[i].est_dates, obs[i].resid, strict=True))
            rj = dict(zip(obs[j].est_dates, obs[j].resid, strict=True))
            common = [d for d in obs[i].est_dates if d in rj]
            a = [ri[d] for d in common]
            b = [rj[d] for d in common]
            ma, mb = mean(a), mean(b)
            sab = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
            saa = sum((x - ma) ** 2 for x in a)
            sbb = sum((y - mb) ** 2 for y in b)
            r = sab / math.sqrt(saa * sbb)
            dot = sum(us[i][d] * us[j][d] for d in common)
            out.append((i, j, len(common), r, dot))
    return out


def wilcoxon_exact(cars: list[float]) -> tuple[float, float | None, str]:
    """W+ and its exact two-sided p-value by enumerating all 2^N sign patterns.

    Two-sided p = min(1, 2 min(P(W+ <= w), P(W+ >= w))) under H0 (each sign ±1 with prob 1/2).
    """
    N = len(cars)
    ranks = average_ranks([abs(c) for c in cars])
    w = float(sum(r for r, c in zip(ranks, cars, strict=True) if c > 0))
    has_ties = len({abs(c) for c in cars}) < N
    has_zero = any(c == 0 for c in cars)
    if has_ties or has_zero or N > 16:
        return w, None, "oracle: exact enumeration only without ties/zeros and N <= 16"
    le = 0
    ge = 0
    total = 0
    for signs in itertools.product((0, 1), repeat=N):
        wp = sum(r for r, s in zip(ranks, signs, strict=True) if s == 1)
        total += 1
        if wp <= w + 1e-9:
            le += 1
        if wp >= w - 1e-9:
            ge += 1
    p = min(1.0, 2.0 * min(le, ge) / total)
    return w, p, ""


@dataclass
class TestRow:
    test: str
    stat: float | None
    p: float | None
    reason: str = ""


def cross_event_tests(
    obs: list[Obs], tau1: int, tau2: int, event_period: tuple[int, int]
) -> tuple[int, list[TestRow]]:
    """Every cross-event test of the spec's table for window [tau1, tau2]."""
    valid = [o for o in obs if car(o, tau1, tau2) is not None]
    N = len(valid)
    L2 = tau2 - tau1 + 1
    cars = [car(o, tau1, tau2) for o in valid]
    cars_f = [float(c) for c in cars if c is not None]
    scars = [c / math.sqrt(var_car(o, tau1, tau2)) for o, c in zip(valid, cars_f, strict=True)]
    rows: list[TestRow] = []

    # csect_t
    if N < 2 or sd(cars_f) == 0:
        rows.append(TestRow("csect_t", None, None, "N < 2 or zero spread"))
    else:
        t = mean(cars_f) / (sd(cars_f) / math.sqrt(N))
        rows.append(TestRow("csect_t", t, t_two_sided(t, N - 1)))

    # patell_z
    if N < 1 or any(o.d <= 2 for o in valid):
        rows.append(TestRow("patell_z", None, None, "d_i <= 2"))
        patell = None
    else:
        patell = sum(scars) / math.sqrt(sum(o.d / (o.d - 2) for o in valid))
        rows.append(TestRow("patell_z", patell, z_two_sided(patell)))

    # bmp_t
    if N < 2 or sd(scars) == 0:
        rows.append(TestRow("bmp_t", None, None, "N < 2 or zero spread"))
        bmp = None
    else:
        bmp = mean(scars) / (sd(scars) / math.sqrt(N))
        rows.append(TestRow("bmp_t", bmp, t_two_sided(bmp, N - 1)))

    # Kolari-Pynnönen
    rbar = kp_rbar_spec(valid) if N >= 2 else None
    if patell is None or rbar is None or 1 + (N - 1) * rbar <= 0:
        rows.append(TestRow("kp_patell_z", None, None, "undefined r̄ or 1+(N-1)r̄ <= 0"))
    else:
        z = patell * math.sqrt(1.0 / (1.0 + (N - 1) * rbar))
        rows.append(TestRow("kp_patell_z", z, z_two_sided(z)))
    if bmp is None or rbar is None or 1 + (N - 1) * rbar <= 0:
        rows.append(TestRow("kp_bmp_t", None, None, "undefined r̄ or 1+(N-1)r̄ <= 0"))
    else:
        t = bmp * math.sqrt((1.0 - rbar) / (1.0 + (N - 1) * rbar))
        rows.append(TestRow("kp_bmp_t", t, t_two_sided(t, N - 1)))

    # bw1985_t (event-time aligned AAR)
    est_days = sorted({r for o in valid for r in o.est_rel})
    aar_est: list[float] = []
    for t in est_days:
        vals = []
        for o in valid:
            if t in o.est_rel:
                vals.append(o.resid[o.est_rel.index(t)])
        aar_est.append(mean(vals))
    T_E = len(aar_est)
    m_aar = mean(aar_est)
    s_aar = math.sqrt(sum((a - m_aar) ** 2 for a in aar_est) / (T_E - 1))
    caar = 0.0
    for t in window_days(tau1, tau2):
        caar += mean([o.ar[t] for o in valid if t in o.ar])
    if s_aar == 0:
        rows.append(TestRow("bw1985_t", None, None, "S_AAR = 0"))
    else:
        t = caar / (math.sqrt(L2) * s_aar)
        rows.append(TestRow("bw1985_t", t, t_two_sided(t, T_E - 1)))

    # corrado_rank_z (Corrado-Zivney standardised ranks, Cowan multi-day form)
    U: list[dict[int, float]] = []
    for o in valid:
        days = list(o.est_rel)
        vals = list(o.resid)
        for t in range(event_period[0], event_period[1] + 1):
            if t in o.ar:
                days.append(t)
                vals.append(o.ar[t])
        M = len(vals)
        rk = average_ranks(vals)
        U.append({d: r / (M + 1) - 0.5 for d, r in zip(days, rk, strict=True)})
    all_days = sorted({d for u in U for d in u})
    Dbar = {d: mean([u[d] for u in U if d in u]) for d in all_days}
    T = len(all_days)
    S_U = math.sqrt(sum(v * v for v in Dbar.values()) / T)
    z = sum(Dbar[t] for t in window_days(tau1, tau2)) / (math.sqrt(L2) * S_U)
    rows.append(TestRow("corrado_rank_z", z, z_two_sided(z)))

    # generalized_sign_z
    w = sum(1 for c in cars_f if c > 0)
    pos = sum(sum(1 for e in o.resid if e > 0) for o in valid)
    p_hat = pos / sum(o.L for o in valid)
    if p_hat <= 0 or p_hat >= 1:
        rows.append(TestRow("generalized_sign_z", None, None, "p̂ in {0, 1}"))
    else:
        z = (w - N * p_hat) / math.sqrt(N * p_hat * (1 - p_hat))
        rows.append(TestRow("generalized_sign_z", z, z_two_sided(z)))

    # sign_z
    z = (w - N / 2.0) / math.sqrt(N / 4.0)
    rows.append(TestRow("sign_z", z, z_two_sided(z)))

    # wilcoxon_w
    W, pw, why = wilcoxon_exact(cars_f)
    rows.append(TestRow("wilcoxon_w", W, pw, why))

    # grank_t (Kolari-Pynnönen 2011)
    if N < 2 or sd(scars) == 0:
        rows.append(TestRow("grank_t", None, None, "N < 2 or zero spread of SCAR"))
    else:
        sd_scar = sd(scars)
        Ug: list[dict[int, float]] = []
        U0: list[float] = []
        for o, sc in zip(valid, scars, strict=True):
            s = math.sqrt(o.s2)
            vals = [e / s for e in o.resid] + [sc / sd_scar]
            rk = average_ranks(vals)
            u = [r / (o.L + 2) - 0.5 for r in rk]
            Ug.append(dict(zip(o.est_rel, u[:-1], strict=True)))
            U0.append(u[-1])
        est_days_g = sorted({d for u in Ug for d in u})
        acc = 0.0
        for d in est_days_g:
            present = [u[d] for u in Ug if d in u]
            acc += (len(present) / N) * mean(present) ** 2
        ubar0 = mean(U0)
        acc += (N / N) * ubar0**2
        Tg = len(est_days_g) + 1
        S_Ubar = math.sqrt(acc / Tg)
        Z = ubar0 / S_Ubar
        if Tg - 1 - Z * Z <= 0:
            rows.append(TestRow("grank_t", None, None, "T - 1 - Z² <= 0"))
        else:
            t = Z * math.sqrt((Tg - 2) / (Tg - 1 - Z * Z))
            rows.append(TestRow("grank_t", t, t_two_sided(t, Tg - 2)))

    # skew_adj_t on BHAR vs benchmark
    bh = [bhar(o, tau1, tau2)[0] for o in valid]
    if N < 2 or sd(bh) == 0:
        rows.append(TestRow("skew_adj_t", None, None, "N < 2 or zero spread"))
    else:
        m, s = mean(bh), sd(bh)
        S = m / s
        gamma = sum((b - m) ** 3 for b in bh) / (N * s**3)
        t = math.sqrt(N) * (S + gamma * S * S / 3.0 + gamma / (6.0 * N))
        rows.append(TestRow("skew_adj_t", t, t_two_sided(t, N - 1)))

    return N, rows
