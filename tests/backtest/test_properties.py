"""Hypothesis properties of the engine (docs/statistics.md)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backtest import MODEL_NAMES, EventStudyConfig, run_event_study

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = dt.date(2021, 1, 4)


def _calendar(n: int) -> list[dt.date]:
    """Weekdays from START: the sessions."""
    out, d = [], START
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _panel(seed: int, n_days: int, tickers: list[str]) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    days = _calendar(n_days)
    m = rng.normal(0.0, 0.01, n_days)
    frames = [pl.DataFrame({"ticker": "SPY", "date": days, "ret": m})]
    for i, t in enumerate(tickers):
        r = 0.0002 * i + rng.uniform(0.5, 1.5) * m + rng.normal(0, 0.02, n_days)
        frames.append(pl.DataFrame({"ticker": t, "date": days, "ret": r}))
    return pl.concat(frames)


def _factors(seed: int, n_days: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed + 1)
    cols = {c: rng.normal(0, 0.005, n_days) for c in ("mkt_rf", "smb", "hml", "rmw", "cma", "mom")}
    return pl.DataFrame({"date": _calendar(n_days), **cols, "rf": np.full(n_days, 1e-4)})


configs = st.builds(
    lambda a, w, length, gap, model, log: EventStudyConfig(
        model=model,
        windows=tuple(dict.fromkeys([(a, a + w), (0, 0), (min(a, 0), max(a + w, 0))])),
        estimation_end=min(a, 0) - 1 - gap,
        estimation_start=min(a, 0) - 1 - gap - length + 1,
        min_obs=max(10, length // 2),
        return_kind="log" if log else "simple",
    ),
    a=st.integers(-4, 2),
    w=st.integers(0, 5),
    length=st.integers(20, 50),
    gap=st.integers(0, 5),
    model=st.sampled_from(MODEL_NAMES),
    log=st.booleans(),
)


@SETTINGS
@given(
    config=configs,
    seed=st.integers(0, 10_000),
    day0s=st.lists(st.integers(40, 95), min_size=1, max_size=6),
)
def test_car_is_the_sum_of_the_ars(config: EventStudyConfig, seed: int, day0s: list[int]) -> None:
    days = _calendar(100)
    tickers = [f"T{i}" for i in range(len(day0s))]
    returns = _panel(seed, 100, tickers)
    events = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(day0s))],
            "ticker": tickers,
            "day0": [days[i] for i in day0s],
        }
    )
    res = run_event_study(events, returns, config, factors=_factors(seed, 100))
    ar = res.ar
    for row in res.car.filter(pl.col("car").is_not_null()).iter_rows(named=True):
        part = ar.filter(
            (pl.col("event_id") == row["event_id"])
            & pl.col("rel_day").is_between(row["start"], row["end"])
        )
        assert part.height == row["end"] - row["start"] + 1
        assert row["car"] == pytest.approx(part.get_column("ar").sum(), rel=1e-12, abs=1e-15)
    # the CAR path's last value over a window from the event period's start is a CAR too
    p0 = config.event_period[0]
    for row in res.car.filter((pl.col("start") == p0) & pl.col("var_car").is_not_null()).iter_rows(
        named=True
    ):
        path = res.car_path.filter(
            (pl.col("event_id") == row["event_id"]) & (pl.col("rel_day") == row["end"])
        )
        assert path.item(0, "car") == pytest.approx(row["car"], rel=1e-12, abs=1e-15)
        assert path.item(0, "var_car") == pytest.approx(row["var_car"], rel=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10_000), day0=st.integers(30, 90), scale=st.floats(0.001, 0.05))
def test_a_stock_identical_to_the_benchmark(seed: int, day0: int, scale: float) -> None:
    days = _calendar(100)
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0, scale, 100)
    returns = pl.concat(
        [pl.DataFrame({"ticker": t, "date": days, "ret": m}) for t in ("SPY", "COPY")]
    )
    events = pl.DataFrame({"event_id": ["e"], "ticker": ["COPY"], "day0": [days[day0]]})
    cfg = EventStudyConfig(
        windows=((0, 0), (-1, 1), (0, 5)), estimation_start=-30, estimation_end=-2, min_obs=20
    )
    ma = run_event_study(events, returns, cfg.model_copy(update={"model": "market_adjusted"}))
    assert set(ma.ar.get_column("ar").drop_nulls().to_list()) == {0.0}
    assert ma.diagnostics.item(0, "status") == "zero_variance"
    mm = run_event_study(events, returns, cfg)
    d = mm.diagnostics.row(0, named=True)
    assert d["beta"] == pytest.approx(1.0, abs=1e-12)
    assert d["alpha"] == pytest.approx(0.0, abs=1e-15)
    assert d["status"] == "zero_variance"
    assert mm.car.get_column("car").drop_nulls().to_list() == pytest.approx([0.0] * 3, abs=1e-14)
    assert mm.car.get_column("bhar").drop_nulls().to_list() == pytest.approx([0.0] * 3, abs=1e-14)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    model=st.sampled_from(MODEL_NAMES),
    perm_seed=st.integers(0, 10_000),
)
def test_results_do_not_depend_on_row_order(seed: int, model: str, perm_seed: int) -> None:
    days = _calendar(120)
    tickers = ["A", "B", "C", "D"]
    returns = _panel(seed, 120, tickers)
    rng = np.random.default_rng(perm_seed)
    returns = returns.filter(pl.Series(rng.random(returns.height) > 0.03))  # a few holes
    events = pl.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4", "e5", "e1"],
            "ticker": ["A", "B", "C", "D", "A", "B"],
            "day0": [days[i] for i in (100, 101, 101, 110, 104, 100)],
            "category": ["x", "x", "macro", "x", "x", "x"],
        }
    )
    factors = _factors(seed, 120)
    cfg = EventStudyConfig(model=model, estimation_start=-80, estimation_end=-6, min_obs=40)  # type: ignore[arg-type]

    def shuffle(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(0, 2**31)))

    a = run_event_study(events, returns, cfg, factors=factors)
    b = run_event_study(
        shuffle(events), shuffle(returns), cfg, factors=shuffle(factors), catalog=shuffle(events)
    )
    for name in ("diagnostics", "ar", "car", "car_path", "aar", "tests"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert a.rbar == b.rbar


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    day0=st.integers(20, 115),
    start=st.integers(-60, -8),
    length=st.integers(5, 50),
)
def test_windows_contain_only_sessions_and_never_overlap(
    seed: int, day0: int, start: int, length: int
) -> None:
    """Returns on non-session dates are poisoned; the event period is poisoned for estimation.

    If a non-session row or an event-period day entered the estimation, the fitted
    parameters would differ from OLS on exactly the estimation sessions.
    """
    sessions = _calendar(130)
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 0.01, 130)
    y = 0.001 + 1.3 * m + rng.normal(0, 0.01, 130)
    end = min(start + length - 1, -3)
    cfg = EventStudyConfig(
        windows=((-2, 2), (0, 4)),
        estimation_start=start,
        estimation_end=end,
        min_obs=max(3, (end - start + 1) // 3),
    )
    lo, hi = cfg.event_period
    y[day0 + lo : day0 + hi + 1] += 5.0  # huge event: would wreck the fit if it leaked
    weekend = [d + dt.timedelta(days=1) for d in sessions if d.weekday() == 4]
    returns = pl.concat(
        [
            pl.DataFrame({"ticker": "SPY", "date": sessions, "ret": m}),
            pl.DataFrame({"ticker": "X", "date": sessions, "ret": y}),
            pl.DataFrame({"ticker": "X", "date": weekend, "ret": [9.0] * len(weekend)}),
            pl.DataFrame({"ticker": "SPY", "date": weekend, "ret": [-9.0] * len(weekend)}),
        ]
    )
    events = pl.DataFrame({"event_id": ["e"], "ticker": ["X"], "day0": [sessions[day0]]})
    res = run_event_study(events, returns, cfg, sessions=sessions)
    d = res.diagnostics.row(0, named=True)
    idx = [day0 + k for k in range(start, end + 1) if day0 + k >= 0]
    assert d["n_est"] == len(idx)
    if d["status"] == "ok":
        X = np.column_stack([np.ones(len(idx)), m[idx]])
        theta, *_ = np.linalg.lstsq(X, y[idx], rcond=None)
        assert [d["alpha"], d["beta"]] == pytest.approx(list(theta), rel=1e-8, abs=1e-12)
    ar = res.ar.sort("rel_day")
    assert ar.get_column("rel_day").to_list() == list(range(lo, hi + 1))
    want = [sessions[day0 + k] if day0 + k < len(sessions) else None for k in range(lo, hi + 1)]
    assert ar.get_column("date").to_list() == want
    assert all(w is None or w.weekday() < 5 for w in ar.get_column("date").to_list())


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    listing=st.integers(0, 100),
    hole=st.tuples(st.integers(0, 119), st.integers(0, 40)),
    missing=st.sets(st.integers(-1, 2), max_size=2),
    day0=st.integers(45, 119),
    min_obs=st.integers(10, 38),
)
def test_status_codes_follow_the_counting_rule(
    seed: int,
    listing: int,
    hole: tuple[int, int],
    missing: set[int],
    day0: int,
    min_obs: int,
) -> None:
    """Too-short history, missing benchmark, missing or late event returns (docs/statistics.md)."""
    T = 120
    days = _calendar(T)
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 0.01, T)
    x = 0.8 * m + rng.normal(0, 0.02, T)
    has_x = np.arange(T) >= listing
    for k in missing:
        if day0 + k < T:
            has_x[day0 + k] = False
    has_m = np.ones(T, dtype=bool)
    has_m[hole[0] : hole[0] + hole[1]] = False
    returns = pl.concat(
        [
            pl.DataFrame({"ticker": "SPY", "date": days, "ret": m}).filter(pl.Series(has_m)),
            pl.DataFrame({"ticker": "X", "date": days, "ret": x}).filter(pl.Series(has_x)),
        ]
    )
    cfg = EventStudyConfig(
        windows=((0, 0), (-1, 1), (0, 2)), estimation_start=-40, estimation_end=-3, min_obs=min_obs
    )
    events = pl.DataFrame({"event_id": ["e"], "ticker": ["X"], "day0": [days[day0]]})
    res = run_event_study(events, returns, cfg, sessions=days)
    est = [i for i in range(day0 - 40, day0 - 2) if 0 <= i < T]
    n_tick = sum(has_x[i] for i in est)
    n_both = sum(has_x[i] and has_m[i] for i in est)
    if not has_x.any():
        expected = "no_returns"
    elif n_both >= min_obs:
        expected = "ok"
    elif n_tick < min_obs:
        expected = "insufficient_estimation"
    else:
        expected = "no_benchmark"
    d = res.diagnostics.row(0, named=True)
    assert d["status"] == expected
    if expected == "no_returns":
        return
    assert d["n_est"] == n_both
    both = [i for i in range(T) if has_x[i] and has_m[i]]
    last = max(both) if both else -1
    for row in res.car.iter_rows(named=True):
        a, b = row["start"], row["end"]
        if expected != "ok":
            assert row["status"] == expected and row["car"] is None
            continue
        span = range(day0 + a, day0 + b + 1)
        complete = all(i < T and has_x[i] and has_m[i] for i in span)
        if complete:
            assert row["status"] == "ok" and row["car"] is not None
        elif day0 + b > last:
            assert row["status"] == "incomplete_window"
        else:
            assert row["status"] == "missing_event_returns"
