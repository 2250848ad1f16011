"""The measure seam: a new measure is one class, run by the unchanged engine core.

A toy abnormal log volume (Campbell and Wasley 1996: ``ln(volume)`` against its
estimation-window mean) goes through ``backtest.engine.study`` and is checked by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import polars as pl
import pytest

from backtest import TEST_NAMES
from backtest.config import EventStudyConfig
from backtest.engine import study, study_many
from backtest.frames import daily_frame, window_frame
from backtest.measured import Layout, Measured
from backtest.measures import Measure, MeasureData, Returns, Volatility, Volume
from backtest.models import get_model
from backtest.panel import Panel


class LogVolume(Measure):
    """``y_it = ln(volume_it)``, expected value its estimation mean (constant-mean model)."""

    name = "log_volume"
    reads = ("volume",)
    frame = "volume"
    frame_names = ("av", "cav")

    def prepare(self, panel: Panel) -> MeasureData:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log(panel.values["volume"])
        return MeasureData(values=np.where(np.isfinite(v), v, np.nan), series={}, benchmark_row=-1)

    def frames(
        self, obs: pl.DataFrame, layout: Layout, measured: Measured, confounded: list[pl.Series]
    ) -> dict[str, pl.DataFrame]:
        m = measured
        cols: Mapping[str, np.ndarray] = {"log_volume": m.y_ev, "av": m.ar, "t": m.t_ar}
        return {
            "av": daily_frame(obs, layout, m, cols),
            "cav": window_frame(obs, layout, m, {"cav": m.car, "t": m.car_t}, confounded[:-1]),
        }


def test_a_new_measure_runs_through_the_engine_core() -> None:
    days = [dt.date(2021, 1, 1) + dt.timedelta(days=i) for i in range(200)]
    rng = np.random.default_rng(2)
    volume = np.exp(rng.normal(13.0, 0.3, (2, 200)))
    volume[:, 150] *= 3.0  # a volume spike on day 0
    frame = pl.DataFrame(
        {
            "ticker": ["A"] * 200 + ["B"] * 200,
            "date": days * 2,
            "volume": volume.ravel(),
        }
    )
    events = pl.DataFrame(
        {"event_id": ["a", "b"], "ticker": ["A", "B"], "day0": [days[150], days[150]]}
    )
    config = EventStudyConfig(
        model="constant_mean",
        estimation_start=-120,
        estimation_end=-11,
        min_obs=100,
        windows=((0, 0), (-1, 1)),
    )
    measure = LogVolume(config, get_model("constant_mean"))
    out = study(measure, events, frame, sessions=days)
    assert set(out.frames) == set(LogVolume.frame_names)
    av = out.frames["av"].filter(pl.col("rel_day") == 0)
    for i, t in enumerate(["A", "B"]):
        logv = np.log(volume[i])
        expected = logv[150 - 120 : 150 - 10].mean()
        got = av.filter(pl.col("ticker") == t).get_column("av").item()
        assert got == pytest.approx(logv[150] - expected, rel=1e-12)
        assert got > np.log(3.0) - 1.0  # the spike shows
    assert out.tests.height == 2 * len(TEST_NAMES)
    skew = out.tests.filter(pl.col("test") == "skew_adj_t")
    assert skew.get_column("stat").null_count() == 2  # no BHAR for this measure
    cav = out.frames["cav"]
    assert cav.columns == [
        "event_id",
        "ticker",
        "start",
        "end",
        "status",
        "cav",
        "t",
        "confounded_by",
    ]


def test_returns_is_a_measure() -> None:
    assert issubclass(Returns, Measure)
    assert Returns.reads == ("ret",)
    assert Returns.frame_names == ("diagnostics", "ar", "car", "car_path", "aar")


def _panel() -> tuple[pl.DataFrame, pl.DataFrame, list[dt.date]]:
    days = [dt.date(2021, 1, 1) + dt.timedelta(days=i) for i in range(260)]
    rng = np.random.default_rng(7)
    tickers = ["A", "B", "C", "SPY"]
    market = rng.normal(0.0, 0.01, 260)
    ret = 1.1 * market[None, :] + 0.02 * rng.standard_normal((4, 260))
    ret[3] = market
    ret[0, 40] = np.nan  # a missing return, its volume present
    volume = np.exp(rng.normal(14.0, 0.4, (4, 260)))
    volume[1, 200] = np.nan
    frame = pl.DataFrame(
        {
            "ticker": [t for t in tickers for _ in days],
            "date": days * 4,
            "ret": ret.ravel(),
            "volume": volume.ravel(),
        }
    )
    events = pl.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4"],
            "ticker": ["A", "B", "C", "A"],
            "day0": [days[200], days[200], days[230], days[150]],  # e4 inside e1's estimation
        }
    )
    return frame, events, days


def test_study_many_equals_one_study_per_measure() -> None:
    frame, events, days = _panel()
    config = EventStudyConfig(
        estimation_start=-150, estimation_end=-11, min_obs=100, windows=((0, 0), (-1, 1))
    )
    model = get_model("market_model")
    measures = [Returns(config, model), Volume(config), Volatility(config, model)]
    together = study_many(measures, events, frame, sessions=days)
    for measure, got in zip(measures, together, strict=True):
        alone = study(
            measure, events, frame.select("ticker", "date", *measure.reads), sessions=days
        )
        assert set(got.frames) == set(alone.frames)
        for name, f in alone.frames.items():
            assert got.frames[name].equals(f), (measure.name, name)
        assert got.tests.equals(alone.tests)
        assert got.rbar == alone.rbar
    # clean estimation: e4's event period (sessions 149..151, the windows span [-1, +1]) left
    # e1's estimation window (A, sessions 50..189), for every measure alike
    ret_diag = together[0].frames["diagnostics"].filter(pl.col("event_id") == "e1")
    assert ret_diag.get_column("n_dropped_clean").item() == 3


def test_study_many_needs_one_configuration() -> None:
    frame, events, days = _panel()
    a = EventStudyConfig(estimation_start=-150, estimation_end=-11, min_obs=100)
    b = a.model_copy(update={"min_obs": 90})
    with pytest.raises(ValueError, match="same EventStudyConfig"):
        study_many([Volume(a), Volume(b)], events, frame, sessions=days)
