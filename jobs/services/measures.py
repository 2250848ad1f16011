"""The measures beyond returns of a study (``[measure] measures``): abnormal volume, volatility.

They run through the engine core with the returns, in one pass
(:func:`backtest.engine.study_many`), on the study's observations with the main benchmark's
configuration (estimation window, windows, clean estimation):

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
) -> tuple[Any, dict[str, MeasureResult]]:
    """The main benchmark's returns result and the selected measures beyond returns.

    ``config`` is the main benchmark's :class:`backtest.EventStudyConfig`. Returns, volume and
    volatility go through the engine in one pass (:func:`backtest.engine.study_many`: the
    inputs are placed on the sessions and the confounding found once); the returns result is
    the :class:`backtest.EventStudyResult` that :func:`backtest.run_event_study` gives.
    """
    from backtest import EventStudyResult
    from backtest.engine import study_many
    from backtest.measures import Measure, Returns, Volatility, Volume
    from backtest.models import get_model

    model = get_model(config.model)
    chosen: list[Measure] = [Returns(config, model)]
    values = returns
    if "volume" in measures:
        chosen.append(Volume(config))
        volume = prices.select("ticker", "date", pl.col("volume").cast(pl.Float64))
        values = values.join(volume, on=["ticker", "date"], how="full", coalesce=True)
    if "volatility" in measures:
        chosen.append(Volatility(config, model))
    outputs = study_many(
        chosen, events, values, factors=factors, sessions=sessions, catalog=catalog
    )
    main = EventStudyResult(
        config=config, tests=outputs[0].tests, rbar=outputs[0].rbar, **outputs[0].frames
    )
    extra = {
        m.name: MeasureResult(m.name, out.frames, out.tests)
        for m, out in zip(chosen[1:], outputs[1:], strict=True)
    }
    return main, extra
