"""The measures beyond returns of a study (``[measure] measures``): abnormal volume, volatility.

Each runs through the engine core (:func:`backtest.engine.study`) on the study's observations,
with the main benchmark's configuration (estimation window, windows, clean estimation):

* ``volume``: :class:`backtest.measures.Volume` on the stored share volume (the prices'
  ``volume`` column, split-adjusted as stored), its own constant-mean model of ``ln(1 + V)``;
* ``volatility``: :class:`backtest.measures.Volatility` on the returns, with the study's
  return model on the main benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from backtest.names import MeasureName
from jobs.runs import MeasureResult


def measure_extras(
    measures: Sequence[MeasureName],
    config: Any,
    *,
    events: pl.DataFrame,
    prices: pl.DataFrame,
    returns: pl.DataFrame,
    factors: pl.DataFrame | None,
    sessions: Sequence[date],
    catalog: pl.DataFrame,
) -> dict[str, MeasureResult]:
    """The selected measures other than ``"return"``, by name (``config``: the main
    benchmark's :class:`backtest.EventStudyConfig`)."""
    from backtest.engine import study
    from backtest.measures import Volatility, Volume
    from backtest.models import get_model

    out: dict[str, MeasureResult] = {}
    if "volume" in measures:
        volume = prices.select("ticker", "date", pl.col("volume").cast(pl.Float64))
        res = study(Volume(config), events, volume, sessions=sessions, catalog=catalog)
        out["volume"] = MeasureResult("volume", res.frames, res.tests)
    if "volatility" in measures:
        measure = Volatility(config, get_model(config.model))
        res = study(measure, events, returns, factors=factors, sessions=sessions, catalog=catalog)
        out["volatility"] = MeasureResult("volatility", res.frames, res.tests)
    return out
