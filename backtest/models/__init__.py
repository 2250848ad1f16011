"""Return models, one module each, behind :class:`backtest.models.base.ReturnModel`."""

from __future__ import annotations

from backtest._typing import ModelName
from backtest.models.base import ModelFit, ReturnModel
from backtest.models.capm import CAPM
from backtest.models.carhart4 import Carhart4
from backtest.models.constant_mean import ConstantMean
from backtest.models.factor import FactorModel
from backtest.models.ff3 import FF3
from backtest.models.ff5 import FF5
from backtest.models.market_adjusted import MarketAdjusted
from backtest.models.market_model import MarketModel

_MODELS: dict[str, type[ReturnModel]] = {
    "market_adjusted": MarketAdjusted,
    "constant_mean": ConstantMean,
    "market_model": MarketModel,
    "capm": CAPM,
    "ff3": FF3,
    "carhart4": Carhart4,
    "ff5": FF5,
}


def get_model(name: ModelName) -> ReturnModel:
    """The model called ``name`` (one of ``backtest._typing.MODEL_NAMES``)."""
    return _MODELS[name]()


__all__ = [
    "CAPM",
    "FF3",
    "FF5",
    "Carhart4",
    "ConstantMean",
    "FactorModel",
    "MarketAdjusted",
    "MarketModel",
    "ModelFit",
    "ReturnModel",
    "get_model",
]
