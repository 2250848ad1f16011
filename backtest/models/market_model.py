"""Market model: ``R_it = α_i + β_i R_mt + e_it`` by OLS (k = 2).

Notes
-----
``Var(AR_t) = s²[1 + 1/L + (R_mt − R̄_m)²/S_mm]`` and
``Var(CAR) = s²[L2 + L2²/L + (Σ_{t∈W}(R_mt − R̄_m))²/S_mm]``, ``S_mm = Σ_E (R_mτ − R̄_m)²``
(MacKinlay 1997; Campbell, Lo and MacKinlay 1997, ch. 4). The slope is solved in
closed form, ``β̂ = Σ(R_m − R̄_m)(R − R̄) / S_mm``.
"""

from __future__ import annotations

from collections.abc import Mapping

from backtest._typing import FloatArray
from backtest.models.base import ReturnModel


class MarketModel(ReturnModel):
    """``E[R] = α̂ + β̂ R_m``."""

    name = "market_model"
    k = 2
    needs = ("market",)
    param_names = ("alpha", "beta")
    beta_param = "beta"

    def offset(self, series: Mapping[str, FloatArray]) -> FloatArray | None:
        return None

    def regressors(self, series: Mapping[str, FloatArray]) -> list[FloatArray]:
        return [series["market"]]
