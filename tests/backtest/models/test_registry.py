"""The model registry is the one source of the model option set."""

from __future__ import annotations

from typing import get_args

import backtest
from backtest._typing import TEST_NAMES, ModelName, TestName
from backtest.config import DEFAULT_WINDOWS, EventStudyConfig
from backtest.models import FACTOR_MODEL_NAMES, MODEL_NAMES, MODELS, model_k, needs_factors


def test_literal_equals_the_registry() -> None:
    assert get_args(ModelName) == tuple(MODELS) == MODEL_NAMES == backtest.MODEL_NAMES
    for name, cls in MODELS.items():
        assert cls.name == name


def test_derived_sets() -> None:
    assert FACTOR_MODEL_NAMES == ("capm", "ff3", "carhart4", "ff5")
    assert [n for n in MODEL_NAMES if needs_factors(n)] == list(FACTOR_MODEL_NAMES)
    for name in MODEL_NAMES:
        assert EventStudyConfig(model=name).k == model_k(name) == MODELS[name].k


def test_test_names_and_windows_are_defined_once() -> None:
    assert get_args(TestName) == TEST_NAMES == backtest.TEST_NAMES
    assert backtest.DEFAULT_WINDOWS is DEFAULT_WINDOWS
    assert EventStudyConfig().windows == DEFAULT_WINDOWS
