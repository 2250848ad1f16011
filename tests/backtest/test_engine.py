"""run_event_study on a 3-observation panel, checked against slow, literal formulas.

Every expected number is computed here with explicit loops over dates (dicts keyed
by date), numpy/scipy primitives and the formulas of docs/statistics.md, never by
the engine's code.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from scipy import stats

from backtest import (
    TEST_NAMES,
    EventStudyConfig,
    EventStudyResult,
    InputSchemaError,
    run_event_study,
)

CONFIG = EventStudyConfig(
    windows=((0, 0), (-1, 1), (0, 2)), estimation_start=-40, estimation_end=-3, min_obs=30
)
TICKERS = {"A": (0.001, 1.2, 0.02), "B": (-0.0005, 0.8, 0.015), "C": (0.0, 1.0, 0.01)}
DAY0_INDEX = {"e1": ("A", 50), "e2": ("B", 55), "e3": ("C", 60)}


class Reference:
    """Slow per-observation market model on dates (the hand-worked example)."""

    def __init__(self, returns: pl.DataFrame, days: list[dt.date], config: EventStudyConfig):
        self.r = {(t, d): v for t, d, v in returns.select("ticker", "date", "ret").iter_rows()}
        self.days = days
        self.c = config
        self.obs = {}
        for eid, (tk, i0) in DAY0_INDEX.items():
            est = days[i0 + config.estimation_start : i0 + config.estimation_end + 1]
            y = np.array([self.r[(tk, d)] for d in est])
            x = np.array([self.r[("SPY", d)] for d in est])
            n = len(est)
            xbar, ybar = x.sum() / n, y.sum() / n
            smm = sum((xi - xbar) ** 2 for xi in x)
            beta = sum((xi - xbar) * (yi - ybar) for xi, yi in zip(x, y, strict=True)) / smm
            alpha = ybar - beta * xbar
            e = y - alpha - beta * x
            s2 = (e @ e) / (n - 2)
            self.obs[eid] = {
                "tk": tk,
                "i0": i0,
                "est": est,
                "e": e,
                "n": n,
                "xbar": xbar,
                "smm": smm,
                "alpha": alpha,
                "beta": beta,
                "s2": s2,
                "r2": 1 - (e @ e) / ((y - ybar) ** 2).sum(),
            }

    def ar(self, eid: str, k: int) -> float:
        o = self.obs[eid]
        d = self.days[o["i0"] + k]
        return self.r[(o["tk"], d)] - o["alpha"] - o["beta"] * self.r[("SPY", d)]

    def var_ar(self, eid: str, k: int) -> float:
        o = self.obs[eid]
        xm = self.r[("SPY", self.days[o["i0"] + k])]
        return o["s2"] * (1 + 1 / o["n"] + (xm - o["xbar"]) ** 2 / o["smm"])

    def car(self, eid: str, a: int, b: int) -> tuple[float, float]:
        o = self.obs[eid]
        L2 = b - a + 1
        car = sum(self.ar(eid, k) for k in range(a, b + 1))
        dev = sum(self.r[("SPY", self.days[o["i0"] + k])] - o["xbar"] for k in range(a, b + 1))
        return car, o["s2"] * (L2 + L2**2 / o["n"] + dev**2 / o["smm"])

    def bhar(self, eid: str, a: int, b: int) -> tuple[float, float]:
        o = self.obs[eid]
        ds = [self.days[o["i0"] + k] for k in range(a, b + 1)]
        gross = math.prod(1 + self.r[(o["tk"], d)] for d in ds)
        bench = math.prod(1 + self.r[("SPY", d)] for d in ds)
        model = math.prod(
            1 + self.r[(o["tk"], d)] - self.ar(eid, k)
            for d, k in zip(ds, range(a, b + 1), strict=True)
        )
        return gross - bench, gross - model


@pytest.fixture(scope="module")
def setup(
    make_market_panel: Callable[..., tuple[pl.DataFrame, list[dt.date]]],
) -> tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame]:
    returns, days = make_market_panel(70, TICKERS, seed=42)
    events = pl.DataFrame(
        {
            "event_id": list(DAY0_INDEX),
            "ticker": [t for t, _ in DAY0_INDEX.values()],
            "day0": [days[i] for _, i in DAY0_INDEX.values()],
        }
    )
    res = run_event_study(events, returns, CONFIG)
    return res, Reference(returns, days, CONFIG), events, returns


def test_diagnostics(setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame]) -> None:
    res, ref, _, _ = setup
    d = res.diagnostics
    assert d.columns == [
        "event_id",
        "ticker",
        "day0",
        "status",
        "model",
        "alpha",
        "beta",
        "params",
        "r2",
        "sigma",
        "n_est",
        "n_dropped_clean",
        "dof",
        "confounded_by",
    ]
    assert d.get_column("event_id").to_list() == ["e1", "e2", "e3"]
    assert set(d.get_column("status")) == {"ok"}
    for row in d.iter_rows(named=True):
        o = ref.obs[row["event_id"]]
        assert row["alpha"] == pytest.approx(o["alpha"], rel=1e-10, abs=1e-15)
        assert row["beta"] == pytest.approx(o["beta"], rel=1e-10)
        assert row["params"] == pytest.approx({"alpha": o["alpha"], "beta": o["beta"]}, rel=1e-10)
        assert row["sigma"] == pytest.approx(math.sqrt(o["s2"]), rel=1e-10)
        assert row["r2"] == pytest.approx(o["r2"], rel=1e-10)
        assert row["n_est"] == 38 and row["dof"] == 36 and row["n_dropped_clean"] == 0
        assert row["model"] == "market_model"
        assert row["confounded_by"] == []


def test_abnormal_returns(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    res, ref, _, _ = setup
    ar = res.ar
    assert ar.columns == [
        "event_id",
        "ticker",
        "rel_day",
        "date",
        "ret",
        "expected",
        "ar",
        "var_ar",
        "t",
        "p",
        "sar",
    ]
    assert ar.height == 3 * 4  # event period [-1, 2]
    for row in ar.iter_rows(named=True):
        eid, k = row["event_id"], row["rel_day"]
        o = ref.obs[eid]
        assert row["date"] == ref.days[o["i0"] + k]
        a = ref.ar(eid, k)
        v = ref.var_ar(eid, k)
        assert row["ar"] == pytest.approx(a, rel=1e-9, abs=1e-14)
        assert row["ret"] - row["expected"] == pytest.approx(a, rel=1e-9, abs=1e-14)
        assert row["var_ar"] == pytest.approx(v, rel=1e-10)
        assert row["t"] == pytest.approx(a / math.sqrt(v), rel=1e-9)
        assert row["sar"] == row["t"]
        assert row["p"] == pytest.approx(
            2 * stats.t.sf(abs(a / math.sqrt(v)), o["n"] - 2), rel=1e-8
        )


def test_cars_and_bhars(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    res, ref, _, _ = setup
    car = res.car
    assert car.columns == [
        "event_id",
        "ticker",
        "start",
        "end",
        "status",
        "car",
        "var_car",
        "car_t",
        "car_p",
        "bhar",
        "bhar_model",
        "confounded_by",
    ]
    assert car.select("start", "end").unique(maintain_order=True).rows() == [
        (-1, 1),
        (0, 0),
        (0, 2),
    ]
    for row in car.iter_rows(named=True):
        eid, a, b = row["event_id"], row["start"], row["end"]
        c, v = ref.car(eid, a, b)
        # summing the daily variances would be wrong: the spec's formula keeps the cross terms
        naive = sum(ref.var_ar(eid, k) for k in range(a, b + 1))
        assert row["status"] == "ok"
        assert row["car"] == pytest.approx(c, rel=1e-9, abs=1e-14)
        assert row["var_car"] == pytest.approx(v, rel=1e-10)
        if b > a:
            assert row["var_car"] != pytest.approx(naive, rel=1e-6)
        t = c / math.sqrt(v)
        assert row["car_t"] == pytest.approx(t, rel=1e-9)
        assert row["car_p"] == pytest.approx(
            2 * stats.t.sf(abs(t), ref.obs[eid]["n"] - 2), rel=1e-8
        )
        bh, bm = ref.bhar(eid, a, b)
        assert row["bhar"] == pytest.approx(bh, rel=1e-10, abs=1e-15)
        assert row["bhar_model"] == pytest.approx(bm, rel=1e-10, abs=1e-15)


def test_car_path_and_aar(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    res, ref, _, _ = setup
    for row in res.car_path.iter_rows(named=True):
        c, v = ref.car(row["event_id"], -1, row["rel_day"])
        assert row["car"] == pytest.approx(c, rel=1e-9, abs=1e-14)
        assert row["var_car"] == pytest.approx(v, rel=1e-10)
    assert res.aar.columns == ["rel_day", "n", "aar", "caar", "t", "p"]
    caar = 0.0
    for row in res.aar.iter_rows(named=True):
        ars = [ref.ar(e, row["rel_day"]) for e in ("e1", "e2", "e3")]
        caar += float(np.mean(ars))
        sd = float(np.std(ars, ddof=1))
        assert row["n"] == 3
        assert row["aar"] == pytest.approx(np.mean(ars), rel=1e-9)
        assert row["caar"] == pytest.approx(caar, rel=1e-9)
        assert row["t"] == pytest.approx(np.mean(ars) / (sd / math.sqrt(3)), rel=1e-8)
        assert row["p"] == pytest.approx(2 * stats.t.sf(abs(row["t"]), 2), rel=1e-8)


def _u(ref: Reference, eid: str) -> dict[dt.date, float]:
    o = ref.obs[eid]
    dev = o["e"] - o["e"].mean()
    dev = dev / math.sqrt(dev @ dev)
    return dict(zip(o["est"], dev, strict=True))


def _expected_tests(ref: Reference, a: int, b: int) -> dict[str, float]:
    eids = ["e1", "e2", "e3"]
    N, L2 = 3, b - a + 1
    cars = np.array([ref.car(e, a, b)[0] for e in eids])
    scar = np.array([ref.car(e, a, b)[0] / math.sqrt(ref.car(e, a, b)[1]) for e in eids])
    d = np.array([ref.obs[e]["n"] - 2 for e in eids], dtype=float)
    out: dict[str, float] = {}
    out["csect_t"] = cars.mean() / (cars.std(ddof=1) / math.sqrt(N))
    out["patell_z"] = scar.sum() / math.sqrt((d / (d - 2)).sum())
    out["bmp_t"] = scar.mean() / (scar.std(ddof=1) / math.sqrt(N))
    # r̄: average over pairs i != j of the calendar-aligned products
    us = [_u(ref, e) for e in eids]
    pair = [
        sum(ui[t] * uj[t] for t in ui.keys() & uj.keys())
        for ui, uj in itertools.permutations(us, 2)
    ]
    rbar = sum(pair) / len(pair)
    out["rbar"] = rbar
    out["kp_patell_z"] = out["patell_z"] * math.sqrt(1 / (1 + (N - 1) * rbar))
    out["kp_bmp_t"] = out["bmp_t"] * math.sqrt((1 - rbar) / (1 + (N - 1) * rbar))
    # BW1985: AAR per event-time day of the estimation window, and of W
    est_days = range(CONFIG.estimation_start, CONFIG.estimation_end + 1)
    k0 = CONFIG.estimation_start
    aar_e = [np.mean([ref.obs[e]["e"][k - k0] for e in eids]) for k in est_days]
    caar = sum(np.mean([ref.ar(e, k) for e in eids]) for k in range(a, b + 1))
    out["bw1985_t"] = caar / (math.sqrt(L2) * np.std(aar_e, ddof=1))
    # Corrado-Zivney: rank residuals on E together with ARs on the event period [-1, 2]
    U: dict[str, dict[int, float]] = {}
    for e in eids:
        vals = {k: ref.obs[e]["e"][k - k0] for k in est_days}
        vals.update({k: ref.ar(e, k) for k in range(-1, 3)})
        keys = list(vals)
        ranks = stats.rankdata([vals[k] for k in keys])
        U[e] = {k: r / (len(keys) + 1) - 0.5 for k, r in zip(keys, ranks, strict=True)}
    all_days = [*est_days, *range(-1, 3)]
    dbar = {k: np.mean([U[e][k] for e in eids]) for k in all_days}
    su = math.sqrt(sum(v**2 for v in dbar.values()) / len(all_days))
    out["corrado_rank_z"] = sum(dbar[k] for k in range(a, b + 1)) / (math.sqrt(L2) * su)
    p = sum((ref.obs[e]["e"] > 0).sum() for e in eids) / sum(ref.obs[e]["n"] for e in eids)
    w = (cars > 0).sum()
    out["generalized_sign_z"] = (w - N * p) / math.sqrt(N * p * (1 - p))
    out["sign_z"] = (w - N / 2) / math.sqrt(N / 4)
    out["wilcoxon_w"] = sum(
        r for r, c in zip(stats.rankdata(np.abs(cars)), cars, strict=True) if c > 0
    )
    # GRANK
    star = scar / scar.std(ddof=1)
    Ug: dict[str, list[float]] = {}
    ev0: list[float] = []
    for e, x in zip(eids, star, strict=True):
        o = ref.obs[e]
        z = [*list(o["e"] / math.sqrt(o["s2"])), x]
        r = stats.rankdata(z) / (o["n"] + 2) - 0.5
        Ug[e] = list(r[:-1])
        ev0.append(r[-1])
    ubar = [np.mean([Ug[e][j] for e in eids]) for j in range(len(est_days))]
    T = len(ubar) + 1
    s = math.sqrt((sum(u**2 for u in ubar) + np.mean(ev0) ** 2) / T)
    Z = np.mean(ev0) / s
    out["grank_t"] = Z * math.sqrt((T - 2) / (T - 1 - Z**2))
    bh = np.array([ref.bhar(e, a, b)[0] for e in eids])
    S = bh.mean() / bh.std(ddof=1)
    g = ((bh - bh.mean()) ** 3).sum() / (N * bh.std(ddof=1) ** 3)
    out["skew_adj_t"] = math.sqrt(N) * (S + g * S**2 / 3 + g / (6 * N))
    out["caar"] = cars.mean()
    out["mean_bhar"] = bh.mean()
    return out


@pytest.mark.parametrize("window", [(0, 0), (-1, 1), (0, 2)], ids=str)
def test_cross_event_tests(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame], window: tuple[int, int]
) -> None:
    res, ref, _, _ = setup
    exp = _expected_tests(ref, *window)
    rows = res.tests.filter((pl.col("start") == window[0]) & (pl.col("end") == window[1]))
    assert rows.get_column("test").to_list() == [
        "csect_t",
        "patell_z",
        "bmp_t",
        "kp_patell_z",
        "kp_bmp_t",
        "bw1985_t",
        "corrado_rank_z",
        "generalized_sign_z",
        "sign_z",
        "wilcoxon_w",
        "grank_t",
        "skew_adj_t",
        "bw1980_t",
        "lamb_z",
        "cz_sign_z",
        "caar_indep_t",
        "jackknife_t",
        "permutation_p",
        "bootstrap_ci",
        "wilcoxon_ci",
    ]
    by = {r["test"]: r for r in rows.iter_rows(named=True)}
    for name, row in by.items():
        assert row["n"] == 3
        assert row["caar"] == pytest.approx(exp["caar"], rel=1e-9)
        assert row["mean_bhar"] == pytest.approx(exp["mean_bhar"], rel=1e-9)
        if name in exp:  # the tests of the other tools: test_golden, test_resampling
            assert row["stat"] == pytest.approx(exp[name], rel=1e-8, abs=1e-12), name
    assert by["kp_bmp_t"]["rbar"] == pytest.approx(exp["rbar"], rel=1e-9)
    dist = {r["test"]: (r["distribution"], r["df"]) for r in rows.iter_rows(named=True)}
    assert dist["csect_t"] == ("t", 2)
    assert dist["patell_z"] == ("normal", None)
    assert dist["bw1985_t"] == ("t", 37)  # T_E - 1
    assert dist["grank_t"] == ("t", 37)  # T - 2 with T = 38 + 1
    assert dist["wilcoxon_w"] == ("exact", None)
    for name in ("csect_t", "bmp_t", "kp_bmp_t", "skew_adj_t"):
        assert by[name]["p"] == pytest.approx(2 * stats.t.sf(abs(exp[name]), 2), rel=1e-7)
    for name in ("patell_z", "kp_patell_z", "corrado_rank_z", "generalized_sign_z", "sign_z"):
        assert by[name]["p"] == pytest.approx(2 * stats.norm.sf(abs(exp[name])), rel=1e-7)
    assert by["bw1985_t"]["p"] == pytest.approx(2 * stats.t.sf(abs(exp["bw1985_t"]), 37), rel=1e-7)
    assert by["grank_t"]["p"] == pytest.approx(2 * stats.t.sf(abs(exp["grank_t"]), 37), rel=1e-7)
    cars = np.array([ref.car(e, *window)[0] for e in ("e1", "e2", "e3")])
    assert by["wilcoxon_w"]["p"] == pytest.approx(stats.wilcoxon(cars, method="exact").pvalue)


def test_rbar_attribute_and_summary(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    res, ref, _, _ = setup
    assert res.rbar == pytest.approx(_expected_tests(ref, 0, 0)["rbar"], rel=1e-9)
    text = res.summary()
    assert "market_model" in text and "r̄" in text and "kp_bmp_t" in text
    assert "[-1,+1]" in text
    assert str(res) == text


def test_no_nan_anywhere(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    res, _, _, _ = setup
    for frame in (res.diagnostics, res.ar, res.car, res.car_path, res.aar, res.tests):
        for name, dtype in frame.schema.items():
            if dtype == pl.Float64:
                assert frame.get_column(name).is_nan().sum() == 0, name


def test_log_returns(setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame]) -> None:
    _, _, events, returns = setup
    res = run_event_study(events, returns, CONFIG.model_copy(update={"return_kind": "log"}))
    logged = returns.with_columns(pl.col("ret").log1p())
    ref = Reference(logged, sorted(set(returns.get_column("date"))), CONFIG)
    for row in res.car.iter_rows(named=True):
        c, v = ref.car(row["event_id"], row["start"], row["end"])
        assert row["car"] == pytest.approx(c, rel=1e-9, abs=1e-14)
        assert row["var_car"] == pytest.approx(v, rel=1e-10)
        # BHAR from simple returns; model-expected simple return exp(r - AR) - 1
        o = ref.obs[row["event_id"]]
        ds = [ref.days[o["i0"] + k] for k in range(row["start"], row["end"] + 1)]
        gross = math.prod(math.exp(ref.r[(o["tk"], d)]) for d in ds)
        bench = math.prod(math.exp(ref.r[("SPY", d)]) for d in ds)
        model = math.exp(
            sum(
                ref.r[(o["tk"], d)] - ref.ar(row["event_id"], k)
                for d, k in zip(ds, range(row["start"], row["end"] + 1), strict=True)
            )
        )
        assert row["bhar"] == pytest.approx(gross - bench, rel=1e-9, abs=1e-14)
        assert row["bhar_model"] == pytest.approx(gross - model, rel=1e-9, abs=1e-14)


def test_l_minus_1_convention(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    _, ref, events, returns = setup
    res = run_event_study(
        events, returns, CONFIG.model_copy(update={"variance_denominator": "L-1"})
    )
    for row in res.diagnostics.iter_rows(named=True):
        o = ref.obs[row["event_id"]]
        assert row["sigma"] ** 2 == pytest.approx(o["s2"] * (o["n"] - 2) / (o["n"] - 1), rel=1e-10)
        assert row["dof"] == o["n"] - 2


@pytest.mark.parametrize("model", ["ff3", "carhart4", "ff5", "capm"])
def test_factor_models_match_lstsq(
    model: str, make_market_panel: Callable[..., tuple[pl.DataFrame, list[dt.date]]]
) -> None:
    returns, days = make_market_panel(70, TICKERS, seed=3)
    rng = np.random.default_rng(9)
    n = len(days)
    fac = pl.DataFrame(
        {
            "date": days,
            "mkt_rf": rng.normal(0, 0.01, n),
            "smb": rng.normal(0, 0.005, n),
            "hml": rng.normal(0, 0.005, n),
            "rmw": rng.normal(0, 0.004, n),
            "cma": rng.normal(0, 0.004, n),
            "mom": rng.normal(0, 0.006, n),
            "rf": np.full(n, 0.0001),
        }
    )
    events = pl.DataFrame(
        {"event_id": ["e1", "e2"], "ticker": ["A", "B"], "day0": [days[50], days[60]]}
    )
    res = run_event_study(events, returns, CONFIG.model_copy(update={"model": model}), factors=fac)
    r = {(t, d): v for t, d, v in returns.iter_rows()}
    f = {row["date"]: row for row in fac.iter_rows(named=True)}
    cols = {
        "capm": None,
        "ff3": ["mkt_rf", "smb", "hml"],
        "carhart4": ["mkt_rf", "smb", "hml", "mom"],
        "ff5": ["mkt_rf", "smb", "hml", "rmw", "cma"],
    }[model]

    def xrow(d: dt.date) -> list[float]:
        if cols is None:
            return [1.0, r[("SPY", d)] - f[d]["rf"]]
        return [1.0, *[f[d][c] for c in cols]]

    for eid, tk, i0 in (("e1", "A", 50), ("e2", "B", 60)):
        est = days[i0 - 40 : i0 - 2]
        X = np.array([xrow(d) for d in est])
        y = np.array([r[(tk, d)] - f[d]["rf"] for d in est])
        theta, *_ = np.linalg.lstsq(X, y, rcond=None)
        e = y - X @ theta
        k = X.shape[1]
        s2 = e @ e / (len(est) - k)
        A = np.linalg.inv(X.T @ X)
        diag = res.diagnostics.filter(pl.col("event_id") == eid).row(0, named=True)
        assert list(diag["params"].values()) == pytest.approx(list(theta), rel=1e-8, abs=1e-13)
        assert diag["beta"] == pytest.approx(theta[1], rel=1e-8)
        assert diag["sigma"] == pytest.approx(math.sqrt(s2), rel=1e-9)
        assert diag["dof"] == len(est) - k
        win = days[i0 - 1 : i0 + 2]
        Xw = np.array([xrow(d) for d in win])
        ar = np.array([r[(tk, d)] - f[d]["rf"] for d in win]) - Xw @ theta
        xw = Xw.sum(axis=0)
        row = res.car.filter((pl.col("event_id") == eid) & (pl.col("start") == -1)).row(
            0, named=True
        )
        assert row["car"] == pytest.approx(ar.sum(), rel=1e-8, abs=1e-13)
        assert row["var_car"] == pytest.approx(s2 * (3 + xw @ A @ xw), rel=1e-9)
        ars = res.ar.filter((pl.col("event_id") == eid) & pl.col("rel_day").is_between(-1, 1))
        assert ars.get_column("var_ar").to_list() == pytest.approx(
            [s2 * (1 + x @ A @ x) for x in Xw], rel=1e-9
        )
        # expected = rf + fitted excess return
        assert ars.get_column("expected").to_list() == pytest.approx(
            [f[d]["rf"] + x @ theta for d, x in zip(win, Xw, strict=True)], rel=1e-8, abs=1e-13
        )


@pytest.mark.parametrize(("model", "k"), [("market_adjusted", 0), ("constant_mean", 1)])
def test_simple_models_variances(
    model: str, k: int, setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame]
) -> None:
    _, ref, events, returns = setup
    res = run_event_study(events, returns, CONFIG.model_copy(update={"model": model}))
    for eid, o in ref.obs.items():
        y = np.array([ref.r[(o["tk"], d)] for d in o["est"]])
        x = np.array([ref.r[("SPY", d)] for d in o["est"]])
        L = len(y)
        e = y - x if model == "market_adjusted" else y - y.mean()
        s2 = ((e - e.mean()) ** 2).sum() / (L - 1)
        diag = res.diagnostics.filter(pl.col("event_id") == eid).row(0, named=True)
        assert diag["sigma"] ** 2 == pytest.approx(s2, rel=1e-10)
        assert diag["dof"] == L - 1
        for a, b in CONFIG.windows:
            L2 = b - a + 1
            row = res.car.filter(
                (pl.col("event_id") == eid) & (pl.col("start") == a) & (pl.col("end") == b)
            ).row(0, named=True)
            ds = [ref.days[o["i0"] + j] for j in range(a, b + 1)]
            if model == "market_adjusted":
                car = sum(ref.r[(o["tk"], d)] - ref.r[("SPY", d)] for d in ds)
                var = L2 * s2
                assert diag["alpha"] is None and diag["beta"] is None and diag["params"] is None
            else:
                car = sum(ref.r[(o["tk"], d)] - y.mean() for d in ds)
                var = s2 * (L2 + L2**2 / L)
                assert diag["alpha"] == pytest.approx(y.mean()) and diag["beta"] is None
            assert row["car"] == pytest.approx(car, rel=1e-9, abs=1e-14)
            assert row["var_car"] == pytest.approx(var, rel=1e-10)


# -- input errors ---------------------------------------------------------------------------------


def test_input_errors(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    _, _, events, returns = setup
    with pytest.raises(InputSchemaError, match=r"events frame lacks column\(s\) day0") as info:
        run_event_study(events.drop("day0"), returns, CONFIG)
    assert (info.value.frame, info.value.column) == ("events", "day0")
    with pytest.raises(InputSchemaError, match=r"events.day0 must be pl.Date, got String"):
        run_event_study(events.with_columns(pl.col("day0").cast(pl.String)), returns, CONFIG)
    with pytest.raises(
        InputSchemaError, match=r"events has 2 rows with a duplicate \(event_id, ticker\)"
    ):
        run_event_study(pl.concat([events, events.head(1)]), returns, CONFIG)
    with pytest.raises(InputSchemaError, match=r"returns.ret must be a number"):
        run_event_study(events, returns.with_columns(pl.col("ret").cast(pl.String)), CONFIG)
    with pytest.raises(
        InputSchemaError, match=r"returns has 2 rows with a duplicate \(ticker, date\)"
    ):
        run_event_study(events, pl.concat([returns, returns.head(1)]), CONFIG)
    with pytest.raises(InputSchemaError, match=r"model 'ff3' needs the factors frame"):
        run_event_study(events, returns, CONFIG.model_copy(update={"model": "ff3"}))
    pct = pl.DataFrame(
        {"date": [dt.date(2020, 1, 2)], "mkt_rf": [1.5], "smb": [0.1], "hml": [0.2], "rf": [0.01]}
    )
    with pytest.raises(
        InputSchemaError, match=r"factors.mkt_rf reaches 1.5, which looks like percent"
    ):
        run_event_study(events, returns, CONFIG.model_copy(update={"model": "ff3"}), factors=pct)
    with pytest.raises(InputSchemaError, match=r"factors frame lacks column\(s\) hml"):
        run_event_study(
            events, returns, CONFIG.model_copy(update={"model": "ff3"}), factors=pct.drop("hml")
        )


def test_empty_events(
    setup: tuple[EventStudyResult, Reference, pl.DataFrame, pl.DataFrame],
) -> None:
    _, _, events, returns = setup
    res = run_event_study(events.clear(), returns, CONFIG)
    assert res.diagnostics.height == res.ar.height == res.car.height == 0
    assert res.tests.height == 3 * len(TEST_NAMES)
    assert res.tests.get_column("stat").null_count() == 3 * len(TEST_NAMES)
    assert res.rbar is None
    assert "observations: 0" in res.summary()
