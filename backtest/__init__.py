"""Event-study engine of market-reaction: pure functions over polars frames.

``total_returns`` turns prices and dividends into daily total returns;
``EventStudyConfig`` holds what to estimate. ``docs/statistics.md`` is the
specification.
"""

from __future__ import annotations

from backtest._typing import MODEL_NAMES, TEST_NAMES
from backtest.config import DEFAULT_WINDOWS, EventStudyConfig
from backtest.errors import BacktestError, ConfigError, InputSchemaError
from backtest.returns import total_returns

__all__ = [
    "DEFAULT_WINDOWS",
    "MODEL_NAMES",
    "TEST_NAMES",
    "BacktestError",
    "ConfigError",
    "EventStudyConfig",
    "InputSchemaError",
    "total_returns",
]
