"""Fama-French three-factor model (Fama and French 1993), k = 4.

Notes
-----
``R_it − rf_t = α + b·MKT + s·SMB + h·HML + e``, estimated by OLS on the estimation window; see
:mod:`backtest.models.factor` for the shared helper and the variances.
"""

from __future__ import annotations

from typing import ClassVar

from backtest._typing import SeriesName
from backtest.models.factor import FactorModel


class FF3(FactorModel):
    """``E[R] = rf + α̂ + b̂'F`` with F = ("mkt_rf", "smb", "hml")."""

    name = "ff3"
    k = 4
    factors: ClassVar[tuple[SeriesName, ...]] = ("mkt_rf", "smb", "hml")
    needs: ClassVar[tuple[SeriesName, ...]] = (*factors, "rf")
    param_names = ("alpha", *factors)
