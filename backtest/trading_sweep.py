"""Deprecated location of the trade sweep: use :mod:`backtest.trading` instead.

Kept only so that ``from backtest.trading_sweep import run_trade_sweep`` keeps
working until every caller imports it from ``backtest.trading``; delete it then.
"""

from __future__ import annotations

from backtest.notices import SWEEP_WARNING
from backtest.trading.sweep import TradeSweepResult, run_trade_sweep

__all__ = ["SWEEP_WARNING", "TradeSweepResult", "run_trade_sweep"]
