"""What the event study measures: :class:`~backtest.measures.base.Measure` and its modules.

Returns (:class:`~backtest.measures.returns.Returns`), abnormal log volume
(:class:`~backtest.measures.volume.Volume`) and abnormal volatility
(:class:`~backtest.measures.volatility.Volatility`); see :mod:`backtest.measures.base` for how
to add one.
"""

from __future__ import annotations

from backtest.measures.base import Abnormal, Measure, MeasureData
from backtest.measures.returns import Returns
from backtest.measures.volatility import Volatility
from backtest.measures.volume import Volume

__all__ = ["Abnormal", "Measure", "MeasureData", "Returns", "Volatility", "Volume"]
