"""The linear-factor helper behind ``ff3``, ``carhart4`` and ``ff5``.

Notes
-----
``R_it − rf_t = α + Σ_f b_f F_ft + e_it`` by OLS on the estimation window, with
``F`` the Fama–French factor returns (as fractions) of the factors frame;
``E[R_it] = rf_t + α̂ + Σ_f b̂_f F_ft`` (Fama and French 1993, 2015; Carhart 1997).
Prediction-error variances use the full ``(X'X)⁻¹`` (``docs/statistics.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from backtest._typing import FloatArray, SeriesName
from backtest.models.base import ReturnModel


class FactorModel(ReturnModel):
    """Excess return on an intercept and the factors in ``factors`` (a class attribute)."""

    factors: ClassVar[tuple[SeriesName, ...]] = ()
    beta_param = "mkt_rf"

    def offset(self, series: Mapping[str, FloatArray]) -> FloatArray | None:
        return series["rf"]

    def regressors(self, series: Mapping[str, FloatArray]) -> list[FloatArray]:
        return [series[f] for f in self.factors]
