"""CAPM (Sharpe-Lintner, with an intercept): ``R_it − rf_t = α + β (R_mt − rf_t) + e`` (k = 2).

Notes
-----
``R_m`` is the benchmark ticker's return and ``rf`` the factor file's risk-free
rate; ``E[R_it] = rf_t + α̂ + β̂ (R_mt − rf_t)``. The variances are the market
model's with excess returns (Campbell, Lo and MacKinlay 1997, ch. 4).
"""

from __future__ import annotations

from collections.abc import Mapping

from backtest._typing import FloatArray
from backtest.models.base import ReturnModel


class CAPM(ReturnModel):
    """``E[R] = rf + α̂ + β̂ (R_m − rf)``."""

    name = "capm"
    k = 2
    needs = ("market_excess", "rf")
    param_names = ("alpha", "beta")
    beta_param = "beta"

    def offset(self, series: Mapping[str, FloatArray]) -> FloatArray | None:
        return series["rf"]

    def regressors(self, series: Mapping[str, FloatArray]) -> list[FloatArray]:
        return [series["market_excess"]]
