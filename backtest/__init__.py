"""Event-study engine of market-reaction: pure functions over polars frames.

``run_event_study`` measures abnormal returns around events with one of seven
return models and runs twelve cross-event tests; ``total_returns`` turns prices
and dividends into the daily total returns it needs. ``docs/statistics.md`` is
the specification.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Where each name lives: the package imports a module only when one of its names is used, so
#: ``import backtest._typing`` (the option sets) costs no polars, numpy or scipy.
_LAZY: dict[str, str] = {
    **dict.fromkeys(("STATUSES", "TEST_NAMES", "TRADE_STATUSES"), "backtest._typing"),
    **dict.fromkeys(("DEFAULT_WINDOWS", "EventStudyConfig"), "backtest.config"),
    "run_event_study": "backtest.engine",
    **dict.fromkeys(
        ("BacktestError", "ConfigError", "InputSchemaError", "LookaheadError", "TradingError"),
        "backtest.errors",
    ),
    "MODEL_NAMES": "backtest.models",
    "SWEEP_WARNING": "backtest.notices",
    "EventStudyResult": "backtest.result",
    "total_returns": "backtest.returns",
    **dict.fromkeys(
        (
            "PricePoint",
            "TradeResult",
            "TradeRule",
            "TradeSweepResult",
            "run_trade_sweep",
            "run_trades",
        ),
        "backtest.trading",
    ),
}

if not TYPE_CHECKING:  # mypy sees the imports above

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'backtest' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
