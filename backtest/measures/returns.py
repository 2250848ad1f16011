"""Abnormal returns: the engine's first measure (``docs/statistics.md``).

``y_it`` is the simple daily total return ``R_it`` or, with
``return_kind="log"``, ``r_it = ln(1 + R_it)`` (NaN when ``R_it <= −1``); the
risk-free rate follows the same kind, the factor returns are used as given, and
``market_excess = market − rf``. The expected return is the configured return
model's (:mod:`backtest.models`), ``AR_it = y_it − Ê[y_it]``, ``CAR_i(W) =
Σ_{t∈W} AR_it`` with the prediction-error variances (MacKinlay 1997; Campbell,
Lo and MacKinlay 1997, ch. 4). Each window also gets the buy-and-hold abnormal
returns (Barber and Lyon 1997), always in simple returns:

* against the benchmark, ``BHAR_i(W) = Π_W (1 + R_it) − Π_W (1 + R_mt)``;
* against the model, ``Π_W (1 + R_it) − Π_W (1 + Ê[R_it])`` with
  ``Ê[R_it] = R_it − AR_it`` (in log mode ``1 + Ê[R_it] = exp(r_it − AR_it)``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray
from backtest.frames import (
    average_frame,
    daily_frame,
    diagnostics_frame,
    path_frame,
    window_frame,
)
from backtest.measured import Layout, Measured
from backtest.measures.base import Measure, MeasureData
from backtest.panel import Panel


def _log1p(x: FloatArray) -> FloatArray:
    """``ln(1 + x)``, NaN where ``x <= −1``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x > -1.0, np.log1p(x), np.nan)


class Returns(Measure):
    """Abnormal returns, CARs and BHARs."""

    name = "returns"
    reads = ("ret",)
    frame = "returns"
    frame_hint = (
        "returns has one row per ticker and session: ticker, date, ret (simple total return)"
    )
    frame_names = ("diagnostics", "ar", "car", "car_path", "aar")

    def prepare(self, panel: Panel) -> MeasureData:
        """The study's returns (simple or log), the benchmark's, ``rf`` and the factors."""
        log = self.config.return_kind == "log"
        ret = panel.values["ret"]
        if log:
            ret = _log1p(ret)
        brow = panel.benchmark_row
        series: dict[str, FloatArray] = {
            "market": ret[brow].copy() if brow >= 0 else np.full(panel.n_sessions, np.nan)
        }
        for col, arr in panel.series.items():
            series[col] = _log1p(arr) if (col == "rf" and log) else arr
        if "rf" in series:
            series["market_excess"] = series["market"] - series["rf"]
        return MeasureData(values=ret, series=series, benchmark_row=brow)

    @property
    def event_series(self) -> tuple[str, ...]:
        """The model's series and the benchmark's return (for BHAR)."""
        return tuple(dict.fromkeys((*self.model.needs, "market")))

    def window_values(
        self,
        y: FloatArray,
        abnormal: FloatArray,
        series: Mapping[str, FloatArray],
        complete: BoolArray,
    ) -> dict[str, FloatArray]:
        """``bhar`` (against the benchmark) and ``bhar_model`` per window (module notes)."""
        log = self.config.return_kind == "log"
        simple = np.expm1(y) if log else y
        msimple = np.expm1(series["market"]) if log else series["market"]
        p0 = self.config.event_period[0]
        n, W = complete.shape
        bhar, bhar_model = np.empty((n, W)), np.empty((n, W))
        for j, (a, b) in enumerate(self.config.windows):
            c0, c1 = a - p0, b - p0 + 1
            arw = abnormal[:, c0:c1]
            gross = np.prod(1.0 + simple[:, c0:c1], axis=1)
            bench = np.prod(1.0 + msimple[:, c0:c1], axis=1)
            if log:
                model_gross = np.exp((y[:, c0:c1] - arw).sum(axis=1))
            else:
                model_gross = np.prod(1.0 + simple[:, c0:c1] - arw, axis=1)
            bhar[:, j] = np.where(complete[:, j], gross - bench, np.nan)
            bhar_model[:, j] = np.where(complete[:, j], gross - model_gross, np.nan)
        return {"bhar": bhar, "bhar_model": bhar_model}

    def frames(
        self,
        obs: pl.DataFrame,
        layout: Layout,
        measured: Measured,
        confounded: list[pl.Series],
    ) -> dict[str, pl.DataFrame]:
        """``diagnostics, ar, car, car_path, aar`` (see :class:`~backtest.EventStudyResult`)."""
        m = measured
        ar = daily_frame(
            obs,
            layout,
            m,
            {
                "ret": m.y_ev,
                "expected": m.expected,
                "ar": m.ar,
                "var_ar": m.var_ar,
                "t": m.t_ar,
                "p": m.p_ar,
            },
        ).with_columns(pl.col("t").alias("sar"))
        car = window_frame(
            obs,
            layout,
            m,
            {
                "car": m.car,
                "var_car": m.var_car,
                "car_t": m.car_t,
                "car_p": m.car_p,
                "bhar": m.extra["bhar"],
                "bhar_model": m.extra["bhar_model"],
            },
            confounded[:-1],
        )
        return {
            "diagnostics": diagnostics_frame(obs, self.model, m, confounded[-1]),
            "ar": ar,
            "car": car,
            "car_path": path_frame(obs, layout, m, ("car", "var_car")),
            "aar": average_frame(layout, m, ("aar", "caar")),
        }
