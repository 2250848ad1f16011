"""Constant-mean model: ``R_it = μ_i + e_it`` (k = 1).

Notes
-----
``μ̂_i`` is the estimation-window mean; ``Var(AR) = s²(1 + 1/L)``,
``Var(CAR) = s²(L2 + L2²/L)`` (MacKinlay 1997; Campbell, Lo and MacKinlay 1997, ch. 4).
"""

from __future__ import annotations

from collections.abc import Mapping

from backtest._typing import FloatArray
from backtest.models.base import ReturnModel


class ConstantMean(ReturnModel):
    """``E[R] = μ̂``."""

    name = "constant_mean"
    k = 1
    needs = ()
    param_names = ("alpha",)

    def offset(self, series: Mapping[str, FloatArray]) -> FloatArray | None:
        return None

    def regressors(self, series: Mapping[str, FloatArray]) -> list[FloatArray]:
        return []
