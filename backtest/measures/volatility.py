"""Abnormal volatility: squared standardized abnormal returns against their estimation level.

Beaver (1968), "The information content of annual earnings announcements" (Journal of
Accounting Research 6, supplement), measured the information in an announcement by
``U_it = e_it² / s_i²``, the day's squared market-model residual over the estimation-window
residual variance; a window's mean of ``U`` is a variance ratio (the event-period variance over
the estimation variance). Here, in the study's return model (``docs/statistics.md``,
"Abnormal volatility"):

* event days: ``U_it = SAR_it² = AR_it² / (s_i² (1 + q_it))``, the squared abnormal return
  standardized by its prediction-error variance (``t(d_i)`` under normal returns);
* estimation days: ``u_iτ = t_iτ²``, the squared *externally studentized* residual,
  ``r_iτ² = e_iτ² / (s_i² (1 − h_iτ))``, ``t_iτ² = r_iτ² (d_i − 1) / (d_i − r_iτ²)``
  (``h`` the leverage, ``d_i`` the return model's degrees of freedom): each is left out of
  the variance it is scaled by, as an event day is, so ``u`` and ``U`` have (almost) the same
  distribution with no event (``t(d_i − 1)`` and ``t(d_i)`` squared) and the rank tests
  compare like with like;
* the estimation level ``m_i = mean_E u`` and spread ``v_i = Σ_E (u − m_i)² / (L_i − 1)``
  (the constant-mean model on ``u``): the abnormal volatility of a day is ``U_it − m_i`` with
  ``Var = v_i (1 + 1/L_i)``, its ``z = (U_it − m_i) / √(v_i (1 + 1/L_i))``;
* a window: the variance ratio ``VR_i(W) = mean_W U_it``; its test is
  ``z = Σ_W (U_it − m_i) / √(v_i (L2 + L2²/L_i))`` against ``t(L_i − 1)``. ``v_i`` is the
  observation's own estimation-window variance of squared standardized returns, so fat tails
  (kurtosis above 3) widen it instead of making the test over-reject, as an F test of the
  variance ratio would (``F(L2, d_i)`` holds only for normal returns).

The cross-event tests are the engine's on ``Σ_W (U − m)`` and on its standardized value, and
the rank tests rank ``U`` among the ``u``. Two hold their size with fat-tailed returns
(Student-t(4) residuals, ``tests/backtest/test_size_power_measures.py``) and are the ones
reported (``backtest.names.VOLATILITY_TESTS``): Brown and Warner's (1985) portfolio test (the
group's mean of ``U − m`` against the time series of its estimation-window mean) and Corrado's
rank test. The cross-sectional t and BMP over-reject (about 20% at 5% for N = 20: the
cross-section of ``U`` is too skewed), and the sign, Wilcoxon and GRANK tests assume a median
of zero or symmetry that ``U − m`` does not have; they are in the tests frame but not reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.frames import daily_frame, window_frame
from backtest.measured import Layout, Measured
from backtest.measures.base import Abnormal, Measure, MeasureData
from backtest.measures.returns import Returns
from backtest.models import ModelFit
from backtest.models._fit import fit_linear
from backtest.panel import Panel


@dataclass(frozen=True)
class VolatilityFit(ModelFit):
    """The constant-mean fit of ``u`` (level ``m`` as the one parameter, spread ``v`` as s²)
    and the return model's fit it was built from (``returns_fit``)."""

    returns_fit: ModelFit | None = None


def studentized_squares(fit: ModelFit, regressors: list[FloatArray], mask: BoolArray) -> FloatArray:
    """``(N, Le)`` squared externally studentized residuals ``t²`` on ``mask`` (NaN elsewhere)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        h = fit.prediction_term(regressors, 1.0)  # leverage (0 without an intercept)
        d = fit.dof.astype(np.float64)[:, None]
        r2 = fit.resid**2 / (fit.s2[:, None] * (1.0 - h))
        t2 = r2 * (d - 1.0) / (d - r2)
        t2 = np.where(np.isfinite(t2) & (t2 >= 0.0), t2, r2)
    return np.where(mask, t2, np.nan)


class Volatility(Measure):
    """Abnormal volatility: ``U = SAR²`` against its estimation level (module notes)."""

    name = "volatility"
    reads = ("ret",)
    frame = "returns"
    frame_hint = Returns.frame_hint
    frame_names = ("volatility_daily", "volatility_windows")
    grank = False  # not reported (docs/statistics.md): its tests frame has grank_t null
    daily_p = False  # the days are reported by their z (the windows have z and p)

    def prepare(self, panel: Panel) -> MeasureData:
        """The study's returns and model series, as for :class:`Returns`."""
        return Returns(self.config, self.model).prepare(panel)

    def estimate(
        self, y: FloatArray, series: Mapping[str, FloatArray], mask: BoolArray
    ) -> ModelFit:
        """The return model's fit, then the level and spread of ``u = t²`` on the same days."""
        return self._on(super().estimate(y, series, mask), series, mask)

    def fit_block(
        self,
        y: FloatArray,
        series: Mapping[str, FloatArray],
        mask: BoolArray,
        rows: IntArray,
        share: dict[str, Any] | None,
    ) -> ModelFit:
        """:meth:`estimate`, reusing the returns' fit of the same block when there is one (the
        same model, observations and estimation days: the same fit)."""
        cached = (share or {}).get(f"fit:{self.model.name}:returns")
        if (
            cached is not None
            and np.array_equal(cached[0], rows)
            and np.array_equal(cached[1], mask)
        ):
            return self._on(cached[2], series, mask)
        return self.estimate(y, series, mask)

    def _on(self, ret_fit: ModelFit, series: Mapping[str, FloatArray], mask: BoolArray) -> ModelFit:
        u = studentized_squares(ret_fit, self.model.regressors(series), mask)
        umask = mask & np.isfinite(u)
        level = fit_linear(u, [], umask, k=1, intercept=True, denominator="L-k")
        values = {f.name: getattr(level, f.name) for f in fields(ModelFit)}
        values["singular"] = level.singular | ret_fit.singular
        values["zero_variance"] = level.zero_variance | ret_fit.zero_variance
        return VolatilityFit(**values, returns_fit=ret_fit)

    def abnormal(self, fit: ModelFit, y: FloatArray, series: Mapping[str, FloatArray]) -> Abnormal:
        """``U − m`` with ``Var = v (1 + 1/L)``; sums as the constant-mean model's."""
        if not isinstance(fit, VolatilityFit) or fit.returns_fit is None:
            raise TypeError("Volatility.abnormal needs the fit of Volatility.estimate")
        ret = super().abnormal(fit.returns_fit, y, series)
        with np.errstate(invalid="ignore", divide="ignore"):
            excess = ret.abnormal**2 / ret.var - fit.params[:, 0, None]
            var = np.broadcast_to((fit.s2 * (1.0 + 1.0 / fit.n))[:, None], excess.shape).copy()
        return Abnormal(abnormal=excess, var=var, fit=fit, regressors=[])

    def frames(
        self,
        obs: pl.DataFrame,
        layout: Layout,
        measured: Measured,
        confounded: list[pl.Series],
    ) -> dict[str, pl.DataFrame]:
        """``volatility_daily`` (per event day) and ``volatility_windows`` (per window).

        ``volatility_daily``: ``event_id, ticker, rel_day, date, sar2`` (``U``), ``level``
        (``m``), ``excess`` (``U − m``), ``z``. ``volatility_windows``: ``event_id, ticker,
        start, end, status, ratio`` (``VR``), ``excess`` (``VR − m``), ``z, p, confounded_by``.
        """
        m = measured
        level = np.where(m.measurable, m.params[:, 0], np.nan)
        L2 = np.asarray([b - a + 1 for a, b in layout.windows], dtype=np.float64)
        daily = daily_frame(
            obs,
            layout,
            m,
            {
                "sar2": m.ar + level[:, None],
                "level": np.broadcast_to(level[:, None], m.ar.shape),
                "excess": m.ar,
                "z": m.t_ar,
            },
        )
        excess = m.car / L2[None, :]
        windows = window_frame(
            obs,
            layout,
            m,
            {
                "ratio": excess + level[:, None],
                "excess": excess,
                "z": m.car_t,
                "p": m.car_p,
            },
            confounded[:-1],
        )
        return {"volatility_daily": daily, "volatility_windows": windows}
