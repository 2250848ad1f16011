"""Event-study engine of market-reaction: pure functions over polars frames.

``run_event_study`` measures abnormal returns around events with one of seven
return models and runs twelve cross-event tests; ``total_returns`` turns prices
and dividends into the daily total returns it needs. ``docs/statistics.md`` is
the specification.
"""

from __future__ import annotations

from backtest._typing import STATUSES, TEST_NAMES, TRADE_STATUSES
from backtest.config import DEFAULT_WINDOWS, EventStudyConfig
from backtest.engine import run_event_study
from backtest.errors import (
    BacktestError,
    ConfigError,
    InputSchemaError,
    LookaheadError,
    TradingError,
)
from backtest.models import MODEL_NAMES
from backtest.notices import SWEEP_WARNING
from backtest.result import EventStudyResult
from backtest.returns import total_returns
from backtest.trading import (
    PricePoint,
    TradeResult,
    TradeRule,
    TradeSweepResult,
    run_trade_sweep,
    run_trades,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "MODEL_NAMES",
    "STATUSES",
    "SWEEP_WARNING",
    "TEST_NAMES",
    "TRADE_STATUSES",
    "BacktestError",
    "ConfigError",
    "EventStudyConfig",
    "EventStudyResult",
    "InputSchemaError",
    "LookaheadError",
    "PricePoint",
    "TradeResult",
    "TradeRule",
    "TradeSweepResult",
    "TradingError",
    "run_event_study",
    "run_trade_sweep",
    "run_trades",
    "total_returns",
]
