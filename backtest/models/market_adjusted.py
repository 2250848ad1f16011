"""Market-adjusted model: ``E[R_it] = R_mt``, nothing estimated (k = 0).

Notes
-----
``AR_it = R_it − R_mt``. ``s_i²`` is the variance of the demeaned estimation-window
ARs with denominator ``L_i − 1``; ``Var(AR) = s²``, ``Var(CAR) = L2 s²``
(Brown and Warner 1985; MacKinlay 1997).
"""

from __future__ import annotations

from collections.abc import Mapping

from backtest._typing import FloatArray
from backtest.models.base import ReturnModel


class MarketAdjusted(ReturnModel):
    """``AR = R − R_m``."""

    name = "market_adjusted"
    k = 0
    needs = ("market",)
    param_names = ()
    intercept = False

    def offset(self, series: Mapping[str, FloatArray]) -> FloatArray | None:
        return series["market"]

    def regressors(self, series: Mapping[str, FloatArray]) -> list[FloatArray]:
        return []
