"""Status codes: every unmeasurable observation stays in the output with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from backtest import STATUSES, EventStudyConfig, run_event_study

CONFIG = EventStudyConfig(
    windows=((0, 0), (-1, 1), (0, 2)), estimation_start=-40, estimation_end=-3, min_obs=30
)
Panel = Callable[..., tuple[pl.DataFrame, list[dt.date]]]


@pytest.fixture
def panel(make_market_panel: Panel) -> tuple[pl.DataFrame, list[dt.date]]:
    return make_market_panel(
        80, {"A": (0.0, 1.0, 0.02), "B": (0.0, 0.9, 0.01), "LATE": (0.0, 1.1, 0.02)}, seed=5
    )


def _events(rows: list[tuple[str, str, dt.date | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"event_id": pl.String, "ticker": pl.String, "day0": pl.Date}, orient="row"
    )


def _status(res: object, eid: str) -> str:
    d = res.diagnostics  # type: ignore[attr-defined]
    return str(d.filter(pl.col("event_id") == eid).item(0, "status"))


def _assert_null_numbers(res: object, eid: str) -> None:
    car = res.car.filter(pl.col("event_id") == eid)  # type: ignore[attr-defined]
    assert car.height == len(CONFIG.windows)
    for col in ("car", "var_car", "car_t", "car_p", "bhar", "bhar_model"):
        assert car.get_column(col).null_count() == car.height, col
    ar = res.ar.filter(pl.col("event_id") == eid)  # type: ignore[attr-defined]
    assert ar.height == 4
    assert ar.get_column("ar").null_count() == 4


def test_status_codes(panel: tuple[pl.DataFrame, list[dt.date]]) -> None:
    returns, days = panel
    # LATE lists on session 60; B misses day +1 of its event at 70; SPY misses 10..28
    returns = returns.filter(~((pl.col("ticker") == "LATE") & (pl.col("date") < days[60])))
    returns = returns.filter(~((pl.col("ticker") == "B") & (pl.col("date") == days[71])))
    returns = returns.filter(
        ~((pl.col("ticker") == "SPY") & pl.col("date").is_between(days[10], days[28]))
    )
    saturday = dt.date(2020, 1, 4)
    events = _events(
        [
            ("ok", "A", days[70]),
            ("nodata", "ZZZ", days[70]),
            ("weekend", "A", saturday),
            ("before", "A", dt.date(2019, 6, 3)),
            ("nullday", "A", None),
            ("early", "A", days[20]),  # only sessions 0..17 exist, SPY lacks 10..17
            ("late", "LATE", days[75]),  # listed too recently
            ("nobench", "A", days[40]),  # benchmark missing on 19 of [0, 37]
            ("hole", "B", days[70]),  # day +1 missing
            ("end", "A", days[78]),  # window (0, 2) runs past the last session
        ]
    )
    res = run_event_study(events, returns, CONFIG)
    expected = {
        "ok": "ok",
        "nodata": "no_returns",
        "weekend": "day0_outside_data",
        "before": "day0_outside_data",
        "nullday": "day0_outside_data",
        "early": "insufficient_estimation",
        "late": "insufficient_estimation",
        "nobench": "no_benchmark",
        "hole": "ok",
        "end": "ok",
    }
    assert {e: _status(res, e) for e in expected} == expected
    assert res.diagnostics.height == events.height  # nothing dropped
    for eid in ("nodata", "weekend", "before", "nullday", "early", "late", "nobench"):
        _assert_null_numbers(res, eid)
        row = res.diagnostics.filter(pl.col("event_id") == eid).row(0, named=True)
        assert row["alpha"] is None and row["sigma"] is None and row["dof"] is None
    located = res.diagnostics.filter(pl.col("event_id") == "early").row(0, named=True)
    # sessions 0..17 of the calendar, SPY on 0..9 only; the "weekend" event (Saturday
    # 2020-01-04, counted from Monday = session 2) cleans its event period, sessions 1..4
    assert (located["n_est"], located["n_dropped_clean"]) == (6, 4)
    assert res.diagnostics.filter(pl.col("event_id") == "nodata").item(0, "n_est") is None
    assert res.diagnostics.filter(pl.col("event_id") == "weekend").item(0, "confounded_by") is None

    win = {
        (r["event_id"], r["start"], r["end"]): r["status"] for r in res.car.iter_rows(named=True)
    }
    assert win[("hole", 0, 0)] == "ok"
    assert win[("hole", -1, 1)] == "missing_event_returns"
    assert win[("hole", 0, 2)] == "missing_event_returns"
    assert win[("end", 0, 0)] == "ok"
    assert win[("end", -1, 1)] == "ok"
    assert win[("end", 0, 2)] == "incomplete_window"
    assert win[("early", 0, 0)] == "insufficient_estimation"
    hole = res.car.filter((pl.col("event_id") == "hole") & (pl.col("start") == -1)).row(
        0, named=True
    )
    assert hole["car"] is None and hole["bhar"] is None
    # tests use only valid windows
    n = {(r["start"], r["end"]): r["n"] for r in res.tests.iter_rows(named=True)}
    assert n[(0, 0)] == 3 and n[(-1, 1)] == 2 and n[(0, 2)] == 1
    # the AR rows of a window beyond the calendar have no date
    end = res.ar.filter(pl.col("event_id") == "end").sort("rel_day")
    assert end.get_column("date").to_list()[-1] is None
    assert end.get_column("date").to_list()[:3] == days[77:80]
    assert set(res.diagnostics.get_column("status")) <= set(STATUSES)


def test_no_benchmark_at_all(panel: tuple[pl.DataFrame, list[dt.date]]) -> None:
    returns, days = panel
    events = _events([("e", "A", days[70]), ("f", "B", days[70])])
    no_spy = returns.filter(pl.col("ticker") != "SPY")
    for model in ("market_model", "market_adjusted"):
        res = run_event_study(events, no_spy, CONFIG.model_copy(update={"model": model}))
        assert set(res.diagnostics.get_column("status")) == {"no_benchmark"}
    # the constant-mean model does not need it; only BHAR vs the benchmark is missing
    res = run_event_study(events, no_spy, CONFIG.model_copy(update={"model": "constant_mean"}))
    assert set(res.diagnostics.get_column("status")) == {"ok"}
    assert res.car.get_column("car").null_count() == 0
    assert res.car.get_column("bhar").null_count() == res.car.height
    assert res.car.get_column("bhar_model").null_count() == 0
    skew = res.tests.filter(pl.col("test") == "skew_adj_t")
    assert skew.get_column("stat").null_count() == skew.height
    assert skew.get_column("note").to_list()[0].startswith("N < 2")


def test_no_factors(panel: tuple[pl.DataFrame, list[dt.date]]) -> None:
    returns, days = panel
    rng = np.random.default_rng(0)
    fac = pl.DataFrame(
        {
            "date": days,
            "mkt_rf": rng.normal(0, 0.01, 80),
            "smb": rng.normal(0, 0.01, 80),
            "hml": rng.normal(0, 0.01, 80),
            "rf": np.full(80, 0.0001),
        }
    )
    gap = fac.filter(~pl.col("date").is_between(days[30], days[60]))
    events = _events([("e", "A", days[70]), ("f", "A", days[50])])
    res = run_event_study(events, returns, CONFIG.model_copy(update={"model": "ff3"}), factors=gap)
    assert _status(res, "e") == "no_factors"
    assert _status(res, "f") == "no_factors"
    # capm: missing benchmark returns say no_benchmark, missing rf says no_factors
    no_spy = returns.filter(
        ~((pl.col("ticker") == "SPY") & pl.col("date").is_between(days[30], days[60]))
    )
    res = run_event_study(events, no_spy, CONFIG.model_copy(update={"model": "capm"}), factors=fac)
    assert _status(res, "e") == "no_benchmark"
    res = run_event_study(events, returns, CONFIG.model_copy(update={"model": "capm"}), factors=gap)
    assert _status(res, "e") == "no_factors"
    # factor data ending inside a window: the window is incomplete
    short = fac.filter(pl.col("date") <= days[70])
    res = run_event_study(
        _events([("e", "A", days[70])]),
        returns,
        CONFIG.model_copy(update={"model": "ff3"}),
        factors=short,
    )
    assert _status(res, "e") == "ok"
    win = dict(res.car.select(pl.concat_str("start", "end", separator=","), "status").iter_rows())
    assert win == {"-1,1": "incomplete_window", "0,0": "ok", "0,2": "incomplete_window"}


def test_zero_variance(panel: tuple[pl.DataFrame, list[dt.date]]) -> None:
    returns, days = panel
    spy = returns.filter(pl.col("ticker") == "SPY")
    twin = spy.with_columns(pl.lit("TWIN").alias("ticker"))
    flat = spy.with_columns(pl.lit("FLAT").alias("ticker"), pl.lit(0.001).alias("ret"))
    data = pl.concat([returns, twin, flat])
    events = _events([("twin", "TWIN", days[70]), ("flat", "FLAT", days[70]), ("a", "A", days[70])])
    mm = run_event_study(events, data, CONFIG)
    assert _status(mm, "twin") == "zero_variance"
    assert _status(mm, "a") == "ok"
    twin_row = mm.diagnostics.filter(pl.col("event_id") == "twin").row(0, named=True)
    assert twin_row["beta"] == pytest.approx(1.0, abs=1e-12)
    assert twin_row["alpha"] == pytest.approx(0.0, abs=1e-15)
    assert twin_row["sigma"] == pytest.approx(0.0, abs=1e-15)
    car = mm.car.filter(pl.col("event_id") == "twin")
    assert car.get_column("status").unique().to_list() == ["zero_variance"]
    assert car.get_column("car").to_list() == pytest.approx([0.0] * 3, abs=1e-15)
    assert car.get_column("var_car").null_count() == 3 and car.get_column("car_t").null_count() == 3
    # FLAT has a constant return: its residuals are zero under every model
    assert _status(mm, "flat") == "zero_variance"
    cm = run_event_study(events, data, CONFIG.model_copy(update={"model": "constant_mean"}))
    assert _status(cm, "flat") == "zero_variance"
    ma = run_event_study(events, data, CONFIG.model_copy(update={"model": "market_adjusted"}))
    assert _status(ma, "twin") == "zero_variance"
    assert ma.ar.filter(pl.col("event_id") == "twin").get_column("ar").to_list() == [0.0] * 4
    # zero-variance observations are not in the cross-event tests
    assert set(mm.tests.get_column("n")) == {1}


def test_singular_market(panel: tuple[pl.DataFrame, list[dt.date]]) -> None:
    returns, days = panel
    flat_spy = returns.with_columns(
        pl.when(pl.col("ticker") == "SPY").then(0.0005).otherwise(pl.col("ret")).alias("ret")
    )
    res = run_event_study(_events([("e", "A", days[70])]), flat_spy, CONFIG)
    assert _status(res, "e") == "zero_variance"
    row = res.diagnostics.row(0, named=True)
    assert row["alpha"] is None and row["beta"] is None
    assert res.car.get_column("car").null_count() == 3
