"""Return models, one module each, behind :class:`backtest.models.base.ReturnModel`.

:data:`MODELS` is the registry, built from the classes: a model's name, its
number of parameters ``k`` and the inputs it needs are class attributes, and
every other list of models (``MODEL_NAMES``, ``FACTOR_MODEL_NAMES``, the
config's ``min_obs`` check) is derived from it. To add a model, write its
module, add the class to ``_CLASSES`` and its name to
``backtest._typing.ModelName`` (a test checks that the two agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from backtest._typing import ModelName
from backtest.models._fit import ModelFit
from backtest.models.base import ReturnModel
from backtest.models.capm import CAPM
from backtest.models.carhart4 import Carhart4
from backtest.models.constant_mean import ConstantMean
from backtest.models.factor import FactorModel
from backtest.models.ff3 import FF3
from backtest.models.ff5 import FF5
from backtest.models.market_adjusted import MarketAdjusted
from backtest.models.market_model import MarketModel

_CLASSES: tuple[type[ReturnModel], ...] = (
    MarketAdjusted,
    ConstantMean,
    MarketModel,
    CAPM,
    FF3,
    Carhart4,
    FF5,
)

#: Model name → class, in the order of the documentation.
MODELS: Mapping[ModelName, type[ReturnModel]] = MappingProxyType({c.name: c for c in _CLASSES})
#: Every model name (the same as ``typing.get_args(backtest._typing.ModelName)``).
MODEL_NAMES: tuple[ModelName, ...] = tuple(MODELS)
#: Models that read the factors frame (``rf`` or factor returns).
FACTOR_MODEL_NAMES: tuple[ModelName, ...] = tuple(n for n, c in MODELS.items() if c.needs_factors)


def get_model(name: ModelName) -> ReturnModel:
    """The model called ``name`` (one of :data:`MODEL_NAMES`)."""
    return MODELS[name]()


def model_k(name: ModelName) -> int:
    """Number of estimated parameters of model ``name``."""
    return MODELS[name].k


def needs_factors(name: ModelName) -> bool:
    """Whether model ``name`` needs the factors frame."""
    return MODELS[name].needs_factors


__all__ = [
    "CAPM",
    "FACTOR_MODEL_NAMES",
    "FF3",
    "FF5",
    "MODELS",
    "MODEL_NAMES",
    "Carhart4",
    "ConstantMean",
    "FactorModel",
    "MarketAdjusted",
    "MarketModel",
    "ModelFit",
    "ReturnModel",
    "get_model",
    "model_k",
    "needs_factors",
]
