"""Carhart (1997) four-factor model: FF3 plus momentum, k = 5.

Notes
-----
``R_it − rf_t = α + b·MKT + s·SMB + h·HML + m·MOM + e``, estimated by OLS on the estimation window; see
:mod:`backtest.models.factor` for the shared helper and the variances.
"""

from __future__ import annotations

from typing import ClassVar

from backtest._typing import SeriesName
from backtest.models.factor import FactorModel


class Carhart4(FactorModel):
    """``E[R] = rf + α̂ + b̂'F`` with F = ("mkt_rf", "smb", "hml", "mom")."""

    name = "carhart4"
    k = 5
    factors: ClassVar[tuple[SeriesName, ...]] = ("mkt_rf", "smb", "hml", "mom")
    needs: ClassVar[tuple[SeriesName, ...]] = (*factors, "rf")
    param_names = ("alpha", *factors)
