"""Abnormal trading volume: log volume against its estimation-window level (``docs/statistics.md``).

Campbell and Wasley (1996), "Measuring abnormal daily trading volume for samples of NYSE/ASE
and NASDAQ securities using parametric and nonparametric test statistics" (Review of
Quantitative Finance and Accounting 6): daily volume is heavily right-skewed, its logarithm is
close to normal, so the abnormal volume of a day is its log volume less the estimation-window
mean, and the tests are those of abnormal returns applied to it.

* ``y_it = ln(1 + V_it)`` with ``V_it`` the day's share volume: the ``1 +`` keeps a day with
  no recorded volume finite (``ln 1 = 0``) instead of dropping it; for the share counts of
  listed stocks (millions) it differs from ``ln V_it`` by less than ``1e-6``. A missing or
  negative volume is missing.
* The expected value is the estimation-window mean (the constant-mean model,
  ``backtest.models.constant_mean``, whatever the study's return model): ``μ̂_i =
  mean_{E_i} y``, ``s_i² = Σ_E (y − μ̂_i)² / (L_i − 1)``.
* ``AV_it = y_it − μ̂_i``, ``Var(AV_it) = s_i² (1 + 1/L_i)``; over a window
  ``CAV_i(W) = Σ_W AV_it`` with ``Var = s_i² (L2 + L2²/L_i)`` and ``t = CAV / √Var``
  against ``t(L_i − 1)``. ``exp(CAV_i(W) / L2)`` is the window's (geometric) volume as a
  multiple of the usual volume.

Estimation days inside other catalog events' event periods are left out as for returns
(``clean_estimation``). The cross-event tests are the engine's, on ``CAV`` and its
standardized value: the cross-sectional t, BMP (standardized), Kolari-Pynnönen's BMP and
Corrado's rank test are reported (``backtest.names.VOLUME_TESTS``); the tests frame holds all.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from backtest.config import EventStudyConfig
from backtest.frames import daily_frame, window_frame
from backtest.measured import Layout, Measured
from backtest.measures.base import Measure, MeasureData
from backtest.models import ReturnModel, get_model
from backtest.panel import Panel


class Volume(Measure):
    """Abnormal log volume ``AV = ln(1 + V) − μ̂`` (module notes)."""

    name = "volume"
    reads = ("volume",)
    frame = "volume"
    frame_hint = "volume has one row per ticker and session: ticker, date, volume (shares)"
    frame_names = ("volume_daily", "volume_windows")
    grank = False  # not reported (docs/statistics.md): its tests frame has grank_t null
    daily_p = False  # the days are reported by their z (the windows have z and p)

    def __init__(self, config: EventStudyConfig, model: ReturnModel | None = None) -> None:
        super().__init__(config, model if model is not None else get_model("constant_mean"))

    def prepare(self, panel: Panel) -> MeasureData:
        """``ln(1 + V)`` per ticker and session (no calendar series: the model needs none)."""
        v = panel.values["volume"]
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(v >= 0.0, np.log1p(np.where(v >= 0.0, v, 0.0)), np.nan)
        return MeasureData(values=y, series={}, benchmark_row=-1)

    def frames(
        self,
        obs: pl.DataFrame,
        layout: Layout,
        measured: Measured,
        confounded: list[pl.Series],
    ) -> dict[str, pl.DataFrame]:
        """``volume_daily`` (per event day) and ``volume_windows`` (per window).

        ``volume_daily``: ``event_id, ticker, rel_day, date, log_volume`` (``ln(1 + V)``),
        ``expected`` (``μ̂``), ``av, var_av, z``. ``volume_windows``: ``event_id, ticker,
        start, end, status, cav, var_cav, z, p, confounded_by``.
        """
        m = measured
        daily = daily_frame(
            obs,
            layout,
            m,
            {
                "log_volume": m.y_ev,
                "expected": m.expected,
                "av": m.ar,
                "var_av": m.var_ar,
                "z": m.t_ar,
            },
        )
        windows = window_frame(
            obs,
            layout,
            m,
            {"cav": m.car, "var_cav": m.var_car, "z": m.car_t, "p": m.car_p},
            confounded[:-1],
        )
        return {"volume_daily": daily, "volume_windows": windows}
