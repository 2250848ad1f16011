"""What the event study measures: :class:`~backtest.measures.base.Measure` and its modules.

Returns (:class:`~backtest.measures.returns.Returns`) are the only measure so
far; see :mod:`backtest.measures.base` for how to add one.
"""

from __future__ import annotations

from backtest.measures.base import Abnormal, Measure, MeasureData
from backtest.measures.returns import Returns

__all__ = ["Abnormal", "Measure", "MeasureData", "Returns"]
