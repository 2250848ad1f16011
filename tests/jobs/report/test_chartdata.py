"""The numbers behind the charts (jobs/report/study/chartdata.py) against literal loops:
one observation at a time, as a reader would compute them by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.report.study.chartdata import PRICE_SPAN, Z95, _paths, _prices


@st.composite
def car_paths(draw: st.DrawFn) -> pl.DataFrame:
    rows = []
    for event in draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True)):
        for ticker in draw(st.lists(st.sampled_from("XYZ"), min_size=1, max_size=3, unique=True)):
            for rel in draw(st.lists(st.integers(-5, 5), min_size=1, max_size=6, unique=True)):
                car = draw(st.one_of(st.none(), st.floats(-0.5, 0.5)))
                var = draw(st.one_of(st.none(), st.floats(0.0, 0.01)))
                rows.append((f"e-{event}", ticker, rel, car, var))
    order = draw(st.permutations(range(len(rows))))
    return pl.DataFrame(
        [rows[i] for i in order],
        schema={
            "event_id": pl.String,
            "ticker": pl.String,
            "rel_day": pl.Int64,
            "car": pl.Float64,
            "var_car": pl.Float64,
        },
        orient="row",
    )


def _nan(v: float | None) -> float:
    return math.nan if v is None else v


@settings(max_examples=150, deadline=None)
@given(frame=car_paths())
def test_each_path_is_its_observations_rows_in_event_time(frame: pl.DataFrame) -> None:
    got = _paths(frame)
    keys = sorted({(e, t) for e, t in frame.select("event_id", "ticker").iter_rows()})
    assert list(got) == keys
    for key in keys:
        rows = sorted((r for r in frame.iter_rows() if (r[0], r[1]) == key), key=lambda r: r[2])
        car = [_nan(r[3]) * 100 for r in rows]
        sd = [math.sqrt(_nan(r[4])) * 100 for r in rows]
        path = got[key]
        assert path.rel.tolist() == [r[2] for r in rows]
        np.testing.assert_array_equal(path.car, car)
        np.testing.assert_array_equal(path.lo, [c - Z95 * s for c, s in zip(car, sd, strict=True)])
        np.testing.assert_array_equal(path.hi, [c + Z95 * s for c, s in zip(car, sd, strict=True)])


def test_price_panels_are_closes_rebased_on_the_day_before() -> None:
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(40)]
    closes = {
        "SPY": [100.0 + i for i in range(40)],
        "AMZN": [50.0 + 2 * i for i in range(40)],
        "NVDA": [10.0 * (1.01**i) for i in range(40)],
    }
    px = pl.DataFrame(
        {
            "ticker": [t for t in closes for _ in days],
            "date": days * len(closes),
            "close": [c for t in closes for c in closes[t]],
        }
    ).filter(~((pl.col("ticker") == "NVDA") & (pl.col("date") == days[22])))  # a missing close
    obs = pl.DataFrame(
        {
            "event_id": ["e1", "e1", "e2"],
            "ticker": ["AMZN", "NVDA", "AMZN"],
            "day0": [days[20], days[20], days[3]],  # e2 has only 3 sessions before day 0
        }
    )
    got = _prices(px, obs, "SPY")
    assert list(got) == [("e1", "AMZN"), ("e1", "NVDA"), ("e2", "AMZN")]
    for (event, ticker), i0 in ((("e1", "AMZN"), 20), (("e1", "NVDA"), 20), (("e2", "AMZN"), 3)):
        ks = [k for k in range(-PRICE_SPAN, PRICE_SPAN + 1) if 0 <= i0 + k < len(days)]
        own = [None if (ticker, i0 + k) == ("NVDA", 22) else closes[ticker][i0 + k] for k in ks]
        base, bench_base = closes[ticker][i0 - 1], closes["SPY"][i0 - 1]
        panel = got[(event, ticker)]
        assert panel.rel.tolist() == ks, event
        np.testing.assert_allclose(
            panel.ticker, [math.nan if c is None else c / base * 100 for c in own], rtol=1e-15
        )
        np.testing.assert_allclose(
            panel.bench, [closes["SPY"][i0 + k] / bench_base * 100 for k in ks], rtol=1e-15
        )
