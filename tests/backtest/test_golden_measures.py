"""Abnormal volume and volatility against the independent oracle's golden values.

``tests/backtest/oracle/measures_reference.py`` (statsmodels OLS and influence measures,
literal loops, written from docs/statistics.md) made the CSVs from the shared data: the nine
seed observations of test_golden.py, clean_estimation = False.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from backtest import EventStudyConfig, total_returns
from backtest.engine import StudyOutput, study
from backtest.measures import Volatility, Volume
from backtest.models import get_model

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
CONFIG = EventStudyConfig(model="market_model", benchmark="SPY", clean_estimation=False)

pytestmark = pytest.mark.shared_data


def _rows(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def outputs(shared_data: Path) -> dict[str, StudyOutput]:
    prices = (
        pl.read_csv(shared_data / "prices_daily.csv", schema_overrides={"adj_close": pl.Float64})
        .filter(pl.col("ticker").is_in(["AMZN", "MSFT", "NVDA", "SPY"]))
        .with_columns(pl.col("date").str.to_date())
    )
    divs = pl.read_csv(shared_data / "dividends.csv").with_columns(pl.col("date").str.to_date())
    actions = divs.select(
        "ticker", "date", pl.lit("dividend").alias("kind"), pl.col("dividend").alias("value")
    )
    sessions = prices.filter(pl.col("ticker") == "SPY").get_column("date").sort().to_list()
    events = pl.DataFrame(
        OBSERVATIONS, schema=["event_id", "ticker", "day0"], orient="row"
    ).with_columns(pl.col("day0").str.to_date())
    volume = prices.select("ticker", "date", pl.col("volume").cast(pl.Float64))
    returns = total_returns(prices, actions)
    return {
        "volume": study(Volume(CONFIG), events, volume, sessions=sessions),
        "volatility": study(
            Volatility(CONFIG, get_model("market_model")), events, returns, sessions=sessions
        ),
    }


#: golden column -> engine column, per measure and table
DAILY = {
    "volume": {"value": "log_volume", "excess": "av", "var": "var_av", "z": "z"},
    "volatility": {"value": "sar2", "excess": "excess", "z": "z"},
}
WINDOWS = {
    "volume": {"sum": "cav", "var_sum": "var_cav", "z": "z", "p": "p"},
    "volatility": {"mean_value": "ratio", "z": "z", "p": "p"},
}


@pytest.mark.parametrize("name", ["volume", "volatility"])
def test_daily_values(outputs: dict[str, StudyOutput], name: str) -> None:
    frame = outputs[name].frames[f"{name}_daily"]
    got = {(r["event_id"], r["ticker"], r["rel_day"]): r for r in frame.iter_rows(named=True)}
    rows = _rows(f"seed_{name}_daily.csv")
    assert len(rows) == 9 * 16
    for g in rows:
        r = got[(g["event_id"], g["ticker"], int(g["rel_day"]))]
        assert str(r["date"]) == g["date"]
        for gold, col in DAILY[name].items():
            assert r[col] == pytest.approx(float(g[gold]), rel=REL, abs=ABS), (g, col)


@pytest.mark.parametrize("name", ["volume", "volatility"])
def test_window_values(outputs: dict[str, StudyOutput], name: str) -> None:
    frame = outputs[name].frames[f"{name}_windows"]
    got = {
        (r["event_id"], r["ticker"], r["start"], r["end"]): r for r in frame.iter_rows(named=True)
    }
    rows = _rows(f"seed_{name}_windows.csv")
    assert len(rows) == 9 * 6
    for g in rows:
        r = got[(g["event_id"], g["ticker"], int(g["start"]), int(g["end"]))]
        assert r["status"] == "ok"
        for gold, col in WINDOWS[name].items():
            assert r[col] == pytest.approx(float(g[gold]), rel=REL, abs=ABS), (g, col)


@pytest.mark.parametrize("name", ["volume", "volatility"])
def test_cross_event_tests(outputs: dict[str, StudyOutput], name: str) -> None:
    tests = {
        (r["test"], r["start"], r["end"]): r for r in outputs[name].tests.iter_rows(named=True)
    }
    rows = _rows(f"seed_{name}_tests.csv")
    assert len(rows) == 6 * 6
    for g in rows:
        r = tests[(g["test"], int(g["start"]), int(g["end"]))]
        assert r["n"] == int(g["n"])
        assert r["stat"] == pytest.approx(float(g["stat"]), rel=1e-8, abs=1e-10), g
        assert r["p"] == pytest.approx(float(g["p"]), rel=1e-7, abs=1e-12), g


def test_amazon_traded_four_times_its_usual_volume_on_2025_10_31(
    outputs: dict[str, StudyOutput],
) -> None:
    day = (
        outputs["volume"]
        .frames["volume_daily"]
        .filter((pl.col("event_id") == "amzn-q3") & (pl.col("rel_day") == 0))
    )
    # 166,340,800 shares against a geometric mean of about 40 million over the estimation window
    assert day.get_column("log_volume").item() == pytest.approx(18.929549, abs=1e-6)
    assert 3.5 < float(pl.Series(day.get_column("av")).exp().item()) < 4.7
