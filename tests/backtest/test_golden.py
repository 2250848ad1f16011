"""The engine against the independent oracle's golden values (tests/backtest/golden).

The oracle (tests/backtest/oracle, statsmodels OLS and literal formulas, written from
docs/statistics.md without reading the engine) produced these CSVs on a panel cut from the
shared data: AMZN, MSFT, NVDA against SPY, nine seed observations, clean_estimation = False.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from backtest import EventStudyConfig, EventStudyResult, run_event_study, total_returns

GOLDEN = Path(__file__).resolve().parent / "golden"
OBSERVATIONS = [
    ("amzn-layoffs-14k", "AMZN", "2025-10-28"),
    ("msft-openai-recap", "MSFT", "2025-10-28"),
    ("msft-fy26q1", "MSFT", "2025-10-30"),
    ("amzn-q3", "AMZN", "2025-10-31"),
    ("openai-aws", "AMZN", "2025-11-03"),
    ("openai-aws", "NVDA", "2025-11-03"),
    ("openai-aws", "MSFT", "2025-11-03"),
    ("nvda-q3fy26", "NVDA", "2025-11-20"),
    ("nvda-openai-loi", "NVDA", "2025-09-22"),
]
REL = 1e-9
ABS = 1e-12

pytestmark = pytest.mark.shared_data


def _rows(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def panel(shared_data: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame]:
    prices = (
        pl.read_csv(shared_data / "prices_daily.csv", schema_overrides={"adj_close": pl.Float64})
        .filter(pl.col("ticker").is_in(["AMZN", "MSFT", "NVDA", "SPY"]))
        .with_columns(pl.col("date").str.to_date())
    )
    divs = pl.read_csv(shared_data / "dividends.csv").with_columns(pl.col("date").str.to_date())
    actions = divs.select(
        "ticker", "date", pl.lit("dividend").alias("kind"), pl.col("dividend").alias("value")
    )
    returns = total_returns(prices, actions)
    sessions = prices.filter(pl.col("ticker") == "SPY").get_column("date").sort().to_list()
    events = pl.DataFrame(
        OBSERVATIONS, schema=["event_id", "ticker", "day0"], orient="row"
    ).with_columns(pl.col("day0").str.to_date())
    factors = pl.read_csv(shared_data / "ff_factors_daily.csv").with_columns(
        pl.col("date").str.to_date(),
        *[(pl.col(c) / 100) for c in ("mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf")],
    )
    return returns, events, sessions, factors


def _run(
    panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame],
    model: str,
    events: pl.DataFrame | None = None,
) -> EventStudyResult:
    returns, ev, sessions, factors = panel
    config = EventStudyConfig(model=model, benchmark="SPY", clean_estimation=False)
    return run_event_study(
        ev if events is None else events,
        returns,
        config=config,
        sessions=sessions,
        factors=factors if model == "ff3" else None,
    )


def _check_cars(result: EventStudyResult, golden: str, with_bhar_model: bool = True) -> None:
    car = {
        (r["event_id"], r["ticker"], r["start"], r["end"]): r
        for r in result.car.iter_rows(named=True)
    }
    rows = _rows(golden)
    assert rows
    for g in rows:
        got = car[(g["event_id"], g["ticker"], int(g["start"]), int(g["end"]))]
        assert got["status"] == "ok"
        for col in ("car", "var_car", "car_t", "car_p", "bhar") + (
            ("bhar_model",) if with_bhar_model else ()
        ):
            assert got[col] == pytest.approx(float(g[col]), rel=REL, abs=ABS), (
                g["event_id"],
                g["ticker"],
                g["start"],
                g["end"],
                col,
            )


def test_market_model_parameters(
    panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame],
) -> None:
    res = _run(panel, "market_model")
    diag = {(r["event_id"], r["ticker"]): r for r in res.diagnostics.iter_rows(named=True)}
    for g in _rows("seed_market_model_events.csv"):
        d = diag[(g["event_id"], g["ticker"])]
        for col in ("alpha", "beta", "r2", "sigma"):
            assert d[col] == pytest.approx(float(g[col]), rel=REL, abs=ABS), (g["event_id"], col)
        assert d["n_est"] == int(g["n_est"])


def test_market_model_abnormal_returns(
    panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame],
) -> None:
    res = _run(panel, "market_model")
    ar = {(r["event_id"], r["ticker"], r["rel_day"]): r for r in res.ar.iter_rows(named=True)}
    rows = _rows("seed_market_model_ar.csv")
    assert len(rows) == 9 * 16
    for g in rows:
        got = ar[(g["event_id"], g["ticker"], int(g["rel_day"]))]
        assert str(got["date"]) == g["date"]
        for col, gcol in (("ret", "ret"), ("ar", "ar"), ("var_ar", "var_ar"), ("t", "t_ar")):
            assert got[col] == pytest.approx(float(g[gcol]), rel=REL, abs=ABS), (
                g["event_id"],
                g["rel_day"],
                col,
            )


def test_market_model_cars(
    panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame],
) -> None:
    _check_cars(_run(panel, "market_model"), "seed_market_model_car.csv")


def test_constant_mean_and_market_adjusted_cars(
    panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame],
) -> None:
    _check_cars(_run(panel, "constant_mean"), "seed_constant_mean_car.csv")
    _check_cars(_run(panel, "market_adjusted"), "seed_market_adjusted_car.csv")


def test_ff3(panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame]) -> None:
    aws = panel[1].filter(pl.col("event_id") == "openai-aws")
    res = _run(panel, "ff3", aws)
    diag = {(r["event_id"], r["ticker"]): r for r in res.diagnostics.iter_rows(named=True)}
    for g in _rows("seed_ff3_events.csv"):
        d = diag[(g["event_id"], g["ticker"])]
        assert d["alpha"] == pytest.approx(float(g["alpha"]), rel=1e-8, abs=ABS)
        params = d["params"]
        assert params["mkt_rf"] == pytest.approx(float(g["b_mkt"]), rel=1e-8)
        assert params["smb"] == pytest.approx(float(g["b_smb"]), rel=1e-8)
        assert params["hml"] == pytest.approx(float(g["b_hml"]), rel=1e-8)
        assert d["sigma"] == pytest.approx(float(g["sigma"]), rel=1e-8)
    _check_cars(res, "seed_ff3_car.csv")


@pytest.mark.parametrize(
    ("golden", "only"),
    [
        ("seed_market_model_tests.csv", None),
        ("seed_market_model_tests_openai_aws.csv", "openai-aws"),
    ],
    ids=["nine-observations", "openai-aws-N3"],
)
def test_cross_event_tests(
    panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame],
    golden: str,
    only: str | None,
) -> None:
    events = panel[1] if only is None else panel[1].filter(pl.col("event_id") == only)
    res = _run(panel, "market_model", events)
    got = {(r["start"], r["end"], r["test"]): r for r in res.tests.iter_rows(named=True)}
    rows = _rows(golden)
    assert len(rows) == 6 * 12
    mismatches = []
    for g in rows:
        r = got[(int(g["start"]), int(g["end"]), g["test"])]
        assert r["n"] == int(g["n"])
        for col in ("stat", "p"):
            if r[col] is None or r[col] != pytest.approx(float(g[col]), rel=1e-8, abs=1e-10):
                mismatches.append((g["test"], g["start"], g["end"], col, r[col], float(g[col])))
    assert mismatches == []


@pytest.mark.parametrize(
    ("golden", "only"),
    [
        ("seed_market_model_anchor_tests.csv", None),
        ("seed_market_model_anchor_tests_openai_aws.csv", "openai-aws"),
    ],
    ids=["nine-observations", "openai-aws-N3"],
)
def test_anchor_tests_and_conventions(
    panel: tuple[pl.DataFrame, pl.DataFrame, list[object], pl.DataFrame],
    golden: str,
    only: str | None,
) -> None:
    """The tests of the other tools (oracle: tests/backtest/oracle/anchors.py), under each
    convention. Deterministic ones to 1e-8; ``permutation_p`` (1,000 random sign flips)
    within 4 binomial sd of the exact p over all 2^N patterns; ``bootstrap_ci`` (1,000
    resamples) within 8% of the width of the oracle's 200,000-resample interval."""
    returns, ev, sessions, _ = panel
    events = ev if only is None else ev.filter(pl.col("event_id") == only)
    runs = {
        c: run_event_study(
            events,
            returns,
            config=EventStudyConfig(benchmark="SPY", clean_estimation=False, conventions=c),
            sessions=sessions,
        )
        for c in ("default", "eventstudy", "estudy2", "eventstudies")
    }
    got = {
        (c, r["start"], r["end"], r["test"]): r
        for c, res in runs.items()
        for r in res.tests.iter_rows(named=True)
    }
    rows = _rows(golden)
    assert {g["test"] for g in rows} >= {
        "bw1980_t",
        "lamb_z",
        "cz_sign_z",
        "caar_indep_t",
        "jackknife_t",
        "permutation_p",
        "bootstrap_ci",
        "wilcoxon_ci",
    }
    B = runs["default"].config.replications
    mismatches = []
    for g in rows:
        r = got[(g["conventions"], int(g["start"]), int(g["end"]), g["test"])]
        assert r["n"] == int(g["n"])
        assert r["stat"] == pytest.approx(float(g["stat"]), rel=1e-8, abs=1e-12), g
        if g["test"] == "permutation_p":
            p = float(g["p"])
            assert abs(r["p"] - p) <= 4 * (p * (1 - p) / B) ** 0.5 + 2 / (B + 1), (g, r["p"])
            continue
        if g["test"] == "bootstrap_ci":
            width = float(g["ci_high"]) - float(g["ci_low"])
            for col in ("ci_low", "ci_high"):
                assert abs(r[col] - float(g[col])) <= 0.08 * width, (g, col, r[col])
            continue
        for col in ("p", "ci_low", "ci_high"):
            if g[col] == "":
                if r[col] is not None:
                    mismatches.append((g["test"], g["start"], g["end"], col, r[col], None))
            elif r[col] is None or r[col] != pytest.approx(float(g[col]), rel=1e-8, abs=1e-12):
                mismatches.append((g["test"], g["start"], g["end"], col, r[col], float(g[col])))
    assert mismatches == []
