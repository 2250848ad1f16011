"""The resampled tests and intervals (backtest.resampling) against scipy and literal loops,
and the conventions and seeds of the configuration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from backtest import ConfigError, EventStudyConfig, run_event_study
from backtest.resampling import resampled, walsh_order, wilcoxon_ci


def _literal_walsh(x: np.ndarray) -> np.ndarray:
    return np.sort([(x[i] + x[j]) / 2 for i in range(x.size) for j in range(i, x.size)])


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
def test_walsh_selection_equals_sorting_every_average(ties: bool) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_t(3, 700)
    if ties:
        x = np.round(x, 1)  # many equal values and equal averages
    x.sort()
    w = _literal_walsh(x)
    for k in (1, 2, 17, w.size // 2, w.size // 2 + 1, w.size - 3, w.size):
        assert walsh_order(x, k) == w[k - 1], k


@pytest.mark.parametrize("n", [12, 60, 2300], ids=["exact", "normal", "selection"])
def test_wilcoxon_interval(n: int) -> None:
    """Hodges–Lehmann estimate and the Walsh-average interval, worked literally."""
    rng = np.random.default_rng(n)
    car = rng.normal(0.004, 0.02, n)
    out = wilcoxon_ci(car, np.zeros(n, dtype=np.int64), 1)
    w = _literal_walsh(car) if n < 1000 else None
    M = n * (n + 1) // 2
    if n <= 50:
        k = _exact_k(n)
        assert out.distribution[0] == "exact"
    else:
        k = int(np.floor(M / 2 - 1.959963984540054 * np.sqrt(n * (n + 1) * (2 * n + 1) / 24)))
        assert out.distribution[0] == "normal"
    if w is None:
        x = np.sort(car)
        lo, hi = walsh_order(x, k), walsh_order(x, M + 1 - k)
        med = 0.5 * (walsh_order(x, (M + 1) // 2) + walsh_order(x, M // 2 + 1))
    else:
        lo, hi, med = w[k - 1], w[M - k], float(np.median(w))
    assert out.ci_low is not None and out.ci_high is not None
    assert out.ci_low[0] == pytest.approx(lo, rel=1e-14)
    assert out.ci_high[0] == pytest.approx(hi, rel=1e-14)
    assert out.stat[0] == pytest.approx(med, rel=1e-14)
    assert np.isnan(out.p[0])


def _exact_k(n: int) -> int:
    """Smallest q with P(W+ <= q) >= 0.025, by enumerating the 2^n sign patterns."""
    ranks = np.arange(1, n + 1)
    patterns = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    w = np.sort(patterns @ ranks)
    q = 0
    while np.mean(w <= q) < 0.025:
        q += 1
    return q


def test_permutation_p_against_scipy_exact() -> None:
    """Sign flips of the mean: scipy's exact permutation test over all 2^N patterns."""
    rng = np.random.default_rng(11)
    car = rng.normal(0.01, 0.02, (12, 2))
    valid = np.ones(car.shape, dtype=bool)
    codes = np.zeros(12, dtype=np.int64)
    perm, _ = resampled(car, valid, codes, 1, 4000, 5)
    for j in range(2):
        exact = stats.permutation_test(
            (car[:, j],), np.mean, permutation_type="samples", n_resamples=np.inf
        ).pvalue
        p = perm[j].p[0]
        assert abs(p - exact) <= 4 * np.sqrt(exact * (1 - exact) / 4000) + 1 / 4001, (p, exact)
        assert perm[j].stat[0] == pytest.approx(car[:, j].sum() / np.sqrt((car[:, j] ** 2).sum()))


def test_bootstrap_interval_against_scipy_percentile() -> None:
    """The eventstudies interval (``interval="percentile"``): scipy's percentile interval."""
    rng = np.random.default_rng(12)
    car = rng.lognormal(-4, 1, (80, 1)) - 0.02
    ones, codes = np.ones(car.shape, dtype=bool), np.zeros(80, np.int64)
    _, boot = resampled(car, ones, codes, 1, 20000, 1, "percentile")
    ref = stats.bootstrap(
        (car[:, 0],), np.mean, n_resamples=20000, method="percentile", random_state=9
    ).confidence_interval
    width = ref.high - ref.low
    assert boot[0].ci_low is not None and boot[0].ci_high is not None
    assert abs(boot[0].ci_low[0] - ref.low) < 0.03 * width
    assert abs(boot[0].ci_high[0] - ref.high) < 0.03 * width
    assert boot[0].stat[0] == pytest.approx(car.mean())
    assert boot[0].distribution[0] == "percentile"


@pytest.mark.parametrize("n", [8, 20, 100])
def test_expanded_percentile_interval_against_scipy_bootstrap(n: int) -> None:
    """The default: quantiles of scipy's bootstrap distribution of the mean at
    α'/2 = Φ(−sqrt(n/(n−1)) t_{0.975, n−1}) (Hesterberg 2015), worked with scipy.stats."""
    rng = np.random.default_rng(n)
    car = rng.lognormal(-4, 1, (n, 1)) - 0.02
    _, boot = resampled(car, np.ones(car.shape, dtype=bool), np.zeros(n, np.int64), 1, 20000, 1)
    tail = stats.norm.cdf(-np.sqrt(n / (n - 1)) * stats.t.ppf(0.975, n - 1))
    dist = stats.bootstrap(
        (car[:, 0],), np.mean, n_resamples=20000, method="percentile", random_state=9
    ).bootstrap_distribution
    lo, hi = np.quantile(dist, [tail, 1 - tail])
    plain = np.quantile(dist, [0.025, 0.975])
    assert boot[0].ci_low is not None and boot[0].ci_high is not None
    assert abs(boot[0].ci_low[0] - lo) < 0.03 * (hi - lo)
    assert abs(boot[0].ci_high[0] - hi) < 0.03 * (hi - lo)
    assert boot[0].ci_low[0] < plain[0] and boot[0].ci_high[0] > plain[1]  # wider
    assert boot[0].distribution[0] == "expanded percentile"


def test_expanded_percentile_hand_worked_small_and_constant() -> None:
    """Hand-worked: α'/2 is 1.7e-72 at N = 2 and 6.8e-8 at N = 3, so of 1,000 sorted
    resampled means the bounds interpolate between the two smallest (largest), h = 999 α'/2.
    A resample is all one given CAR with probability 1/N^N (1/4, 1/27 here), so at least
    two of the 1,000 means equal the smallest CAR and two the largest (fewer has
    probability below 1e-14): the interval is [min, max] of the CARs.
    Constant CARs give [c, c]."""
    car = np.array([[0.01, 0.5], [0.03, 0.5], [-0.02, 0.5]])
    ones = np.ones(car.shape, dtype=bool)
    _, two = resampled(car[:2], ones[:2], np.zeros(2, np.int64), 1, 1000, 3)
    _, three = resampled(car, ones, np.zeros(3, np.int64), 1, 1000, 3)
    assert two[0].ci_low is not None and two[0].ci_high is not None
    assert (two[0].ci_low[0], two[0].ci_high[0]) == pytest.approx((0.01, 0.03), abs=1e-9)
    assert three[0].ci_low is not None and three[0].ci_high is not None
    assert (three[0].ci_low[0], three[0].ci_high[0]) == pytest.approx((-0.02, 0.03), abs=1e-7)
    for out in (two[1], three[1]):
        assert out.ci_low is not None and out.ci_high is not None
        assert out.ci_low[0] == pytest.approx(0.5) and out.ci_high[0] == pytest.approx(0.5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cars=st.lists(
        st.floats(-0.5, 0.5, allow_nan=False, allow_subnormal=False), min_size=2, max_size=40
    ),
    seed=st.integers(0, 2**31),
)
def test_expanded_interval_contains_the_percentile_one(cars: list[float], seed: int) -> None:
    """From the same resamples: min mean <= expanded low <= percentile low <= percentile
    high <= expanded high <= max mean, since α'/2 <= α/2 for every N (the t quantile
    times sqrt(N/(N − 1)) exceeds z); both within [min CAR, max CAR]."""
    x = np.asarray(cars)[:, None]
    ones, codes = np.ones(x.shape, dtype=bool), np.zeros(x.shape[0], np.int64)
    _, (exp,) = resampled(x, ones, codes, 1, 400, seed)
    _, (pct,) = resampled(x, ones, codes, 1, 400, seed, "percentile")
    assert exp.ci_low is not None and exp.ci_high is not None
    assert pct.ci_low is not None and pct.ci_high is not None
    tol = 1e-6 * max(1.0, float(np.abs(x).max()))  # float32 sums
    assert x.min() - tol <= exp.ci_low[0] <= pct.ci_low[0] + tol
    assert pct.ci_low[0] <= pct.ci_high[0] <= exp.ci_high[0] + tol <= x.max() + 2 * tol


def test_resampling_groups_windows_and_invalid_rows() -> None:
    """Each group's draws are those of a run on the group alone; invalid CARs never count."""
    rng = np.random.default_rng(4)
    car = rng.normal(0, 0.02, (30, 2))
    valid = np.ones(car.shape, dtype=bool)
    valid[[3, 7], 1] = False
    codes = np.repeat([0, 1], 15)
    perm, boot = resampled(car, valid, codes, 2, 500, 7)
    alone_p, alone_b = resampled(car[15:], valid[15:], np.zeros(15, np.int64), 1, 500, 7)
    for j in range(2):
        assert perm[j].p[1] == alone_p[j].p[0]
        assert boot[j].ci_low[1] == alone_b[j].ci_low[0]  # type: ignore[index]
    # group 0, window 1 without rows 3 and 7: the statistic uses the 13 valid CARs
    c = np.delete(car[:15, 1], [3, 7])
    assert perm[1].stat[0] == pytest.approx(c.sum() / np.sqrt((c**2).sum()))
    assert boot[1].stat[0] == pytest.approx(c.mean())


def _study(
    make_market_panel: Callable[..., tuple[pl.DataFrame, list[dt.date]]], **config: object
) -> pl.DataFrame:
    tickers = {f"T{i}": (0.0, 1.0, 0.02) for i in range(8)}
    returns, days = make_market_panel(220, tickers, seed=21)
    events = pl.DataFrame(
        {"event_id": [f"e{i}" for i in range(8)], "ticker": list(tickers), "day0": days[200]}
    )
    cfg = EventStudyConfig(
        estimation_start=-150, estimation_end=-11, min_obs=100, windows=((0, 0), (-1, 1)), **config
    )
    return run_event_study(events, returns, cfg, sessions=days).tests


def test_seed_and_replications(
    make_market_panel: Callable[..., tuple[pl.DataFrame, list[dt.date]]],
) -> None:
    a = _study(make_market_panel, seed=1)
    b = _study(make_market_panel, seed=1)
    c = _study(make_market_panel, seed=2)
    pick = pl.col("test").is_in(["permutation_p", "bootstrap_ci"])
    assert a.filter(pick).equals(b.filter(pick))
    assert not a.filter(pick).equals(c.filter(pick))
    assert a.filter(~pick).equals(c.filter(~pick))  # the others do not depend on the seed
    none = _study(make_market_panel, replications=0).filter(pick)
    assert none.get_column("stat").null_count() == none.height
    assert set(none.get_column("note")) == {"replications = 0: no resampling"}


def test_conventions(make_market_panel: Callable[..., tuple[pl.DataFrame, list[dt.date]]]) -> None:
    default = _study(make_market_panel)
    es2 = _study(make_market_panel, conventions="estudy2")
    bw = pl.col("test") == "bw1985_t"
    d, e = default.filter(bw).row(0, named=True), es2.filter(bw).row(0, named=True)
    assert d["stat"] == e["stat"] and d["distribution"] == "t" and e["distribution"] == "normal"
    assert e["p"] == pytest.approx(2 * stats.norm.sf(abs(e["stat"])), rel=1e-12)
    assert e["df"] is None
    # eventstudies: the plain percentile interval from the same resamples (narrower); every
    # other row as by default
    es = _study(make_market_panel, conventions="eventstudies")
    boot = pl.col("test") == "bootstrap_ci"
    assert es.filter(~boot).equals(default.filter(~boot))
    for d, e in zip(
        default.filter(boot).iter_rows(named=True),
        es.filter(boot).iter_rows(named=True),
        strict=True,
    ):
        assert (d["distribution"], e["distribution"]) == ("expanded percentile", "percentile")
        assert d["stat"] == e["stat"]
        assert d["ci_low"] < e["ci_low"] < e["ci_high"] < d["ci_high"]
    with pytest.raises(ConfigError, match="conventions = 'eventstudy' fixes the residual"):
        EventStudyConfig(conventions="eventstudy", variance_denominator="L-1")
    with pytest.raises(ConfigError, match="conventions"):
        EventStudyConfig(conventions="stata")


def test_eventstudy_conventions_variances(
    make_market_panel: Callable[..., tuple[pl.DataFrame, list[dt.date]]],
) -> None:
    """s² = SSR / L and Var(CAR) = L2 s², worked from the estimation residuals with numpy."""
    tickers = {"A": (0.0, 1.2, 0.02), "B": (0.001, 0.8, 0.015)}
    returns, days = make_market_panel(220, tickers, seed=5)
    events = pl.DataFrame({"event_id": ["a", "b"], "ticker": ["A", "B"], "day0": days[200]})
    cfg = EventStudyConfig(
        estimation_start=-150,
        estimation_end=-11,
        min_obs=100,
        windows=((-1, 1),),
        conventions="eventstudy",
    )
    res = run_event_study(events, returns, cfg, sessions=days)
    wide = returns.pivot(on="ticker", index="date", values="ret").sort("date")
    for tk in ("A", "B"):
        est = wide[200 - 150 : 200 - 10]
        x, y = est["SPY"].to_numpy(), est[tk].to_numpy()
        X = np.column_stack([np.ones_like(x), x])
        e = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
        s2 = (e @ e) / e.size
        car = res.car.filter(pl.col("ticker") == tk).row(0, named=True)
        assert car["var_car"] == pytest.approx(3 * s2, rel=1e-10)
        ar = res.ar.filter((pl.col("ticker") == tk) & (pl.col("rel_day") == 0)).row(0, named=True)
        assert ar["var_ar"] == pytest.approx(s2, rel=1e-10)


def test_drawing_a_chunk_of_resamples_at_once_gives_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one-draw path for small groups equals one draw per resample, bit for bit."""
    import backtest.resampling as rs

    rng = np.random.default_rng(3)
    C = rng.normal(0, 0.02, (37, 4))
    V = rng.random((37, 4)) > 0.1
    C = np.where(V, C, 0.0)
    sums = C.sum(axis=0)
    fast = rs._draw(C, V, sums, 1000, 11)
    monkeypatch.setattr(rs, "SMALL_N", 0)  # every group one resample at a time
    slow = rs._draw(C, V, sums, 1000, 11)
    assert np.array_equal(fast[0], slow[0])
    assert np.array_equal(fast[1], slow[1], equal_nan=True)


@pytest.mark.parametrize("invalid", [0.0, 0.005, 0.3], ids=["none", "few", "many"])
def test_large_groups_bootstrap_means_equal_the_products(
    monkeypatch: pytest.MonkeyPatch, invalid: float
) -> None:
    """Above SMALL_N, one resample at a time: counts of each resample's draws and the valid counts
    taken from the invalid rows give the bootstrap means of the two float32 products
    ``(Wt @ C) / (Wt @ V)`` over the same draws, bit for bit."""
    import backtest.resampling as rs

    monkeypatch.setattr(rs, "CHUNK_CELLS", 3 * 6000)  # three resamples per chunk
    rng = np.random.default_rng(8)
    n, B = 6000, 20
    V = rng.random((n, 3)) > invalid
    V[:, 2] = True
    C = np.where(V, rng.normal(0, 0.02, (n, 3)), 0.0)
    got = rs._draw(C, V, C.sum(axis=0), B, 5)[1]
    draws = np.random.default_rng([5, 2])
    C32, V32 = C.astype(np.float32), V.astype(np.float32)
    want = np.empty((B, 3))
    for b0 in range(0, B, 3):
        b = min(3, B - b0)
        Wt = np.stack(
            [np.bincount(draws.integers(0, n, size=n), minlength=n) for _ in range(b)]
        ).astype(np.float32)
        want[b0 : b0 + b] = (Wt @ C32).astype(np.float64) / (Wt @ V32)
    assert np.array_equal(got, want)
    counts = rs._ValidCounts(V, V32)
    assert counts.exact == (invalid < 0.01)
    Wt = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(3)])
    Wt = Wt.astype(np.float32)  # three resamples of n draws
    assert np.array_equal(counts.of(Wt, n), (Wt @ V32).astype(np.float64))
