"""Fama-French five-factor model (Fama and French 2015), k = 6.

Notes
-----
``R_it − rf_t = α + b·MKT + s·SMB + h·HML + r·RMW + c·CMA + e``, estimated by OLS on the estimation window; see
:mod:`backtest.models.factor` for the shared helper and the variances.
"""

from __future__ import annotations

from typing import ClassVar

from backtest._typing import SeriesName
from backtest.models.factor import FactorModel


class FF5(FactorModel):
    """``E[R] = rf + α̂ + b̂'F`` with F = ("mkt_rf", "smb", "hml", "rmw", "cma")."""

    name = "ff5"
    k = 6
    factors: ClassVar[tuple[SeriesName, ...]] = ("mkt_rf", "smb", "hml", "rmw", "cma")
    needs: ClassVar[tuple[SeriesName, ...]] = (*factors, "rf")
    param_names = ("alpha", *factors)
