"""The event-study engine: :func:`run_event_study`.

Observations are sorted by ``(event_id, ticker)`` and measured in blocks of
:data:`BLOCK` rows: each block is a set of stacked ``(n, L)`` arrays (no Python
loop over observations or rows), which keeps the working memory bounded whatever
the number of events. ``docs/statistics.md`` is the specification.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl

from backtest._typing import FloatArray
from backtest.config import EventStudyConfig
from backtest.crossevent import CrossEventAccumulator
from backtest.errors import InputSchemaError
from backtest.frames import Measured, result_frames
from backtest.inputs import (
    normalise_catalog,
    normalise_events,
    normalise_factors,
    normalise_returns,
    session_days,
)
from backtest.measure import STATUSES, Context, measure
from backtest.models import get_model
from backtest.panel import build_panel, last_data_index, locate
from backtest.result import EventStudyResult
from backtest.windows import catalog_positions, clean_coverage, confounders, own_catalog_position

#: Observations measured together (bounds the working memory: a few
#: ``BLOCK × 271`` float arrays for the default windows).
BLOCK = 4096

__all__ = ["BLOCK", "STATUSES", "run_event_study"]


def run_event_study(
    events: pl.DataFrame,
    returns: pl.DataFrame,
    config: EventStudyConfig | None = None,
    *,
    factors: pl.DataFrame | None = None,
    sessions: Sequence[date] | pl.Series | None = None,
    catalog: pl.DataFrame | None = None,
) -> EventStudyResult:
    """Measure abnormal returns around events and test them.

    Parameters
    ----------
    events
        One row per observation: ``event_id`` (str), ``ticker`` (str), ``day0``
        (date, a session of the calendar), optional ``category`` (str).
        ``(event_id, ticker)`` must be unique.
    returns
        ``ticker`` (str), ``date`` (date), ``ret`` (simple daily total return, e.g.
        from :func:`backtest.total_returns`). It must hold the benchmark ticker for
        ``market_adjusted``, ``market_model`` and ``capm``, and for BHAR. NaN and
        infinite returns count as missing; rows on dates that are not sessions
        are ignored.
    config
        :class:`~backtest.EventStudyConfig` (default: the market model on SPY).
    factors
        ``date, mkt_rf, smb, hml, rmw, cma, mom, rf`` as fractions; ``capm``,
        ``ff3``, ``carhart4`` and ``ff5`` need (only) their columns.
    sessions
        The trading calendar (dates; sorted and de-duplicated here). Default: the
        dates in ``returns``.
    catalog
        All catalog events, one row per event × ticker: ``event_id, ticker, day0,
        category``; used for confounding and clean estimation windows. Default:
        ``events``.

    Returns
    -------
    EventStudyResult
        Frames keyed by ``(event_id, ticker)`` and sorted by them.

    Raises
    ------
    InputSchemaError
        A frame lacks a column, has the wrong dtype or duplicate keys, or a factor
        model gets no factors.

    Notes
    -----
    Pure: no I/O, no clock. The output does not depend on the row order of the
    inputs. Observations that cannot be measured stay in every frame with a
    status code and null numbers (``docs/statistics.md``, "Status codes").

    Examples
    --------
    >>> result = run_event_study(events, returns, EventStudyConfig(windows=((-1, 1),)))
    ... # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    config = config if config is not None else EventStudyConfig()
    model = get_model(config.model)
    ev = normalise_events(events)
    ret = normalise_returns(returns)
    fac = None
    if model.needs_factors:
        if factors is None:
            raise InputSchemaError(
                f"model {config.model!r} needs the factors frame (date, "
                f"{', '.join(model.factor_columns)} as fractions); pass factors=...",
                frame="factors",
            )
        fac = normalise_factors(factors, model.factor_columns, config.model)
    days = session_days(sessions, ret)
    cat = catalog_positions(normalise_catalog(catalog, ev), days)
    panel = build_panel(
        ret,
        days,
        benchmark=config.benchmark,
        factors=fac,
        factor_columns=model.factor_columns,
        return_kind=config.return_kind,
    )
    del ret
    p0, p1 = config.event_period
    ctx = Context(
        panel=panel,
        config=config,
        model=model,
        est_rel=np.arange(config.estimation_start, config.estimation_end + 1, dtype=np.int64),
        ev_rel=np.arange(p0, p1 + 1, dtype=np.int64),
        coverage=clean_coverage(
            cat,
            panel_tickers=panel.tickers,
            n_sessions=panel.n_sessions,
            event_period=config.event_period,
        )
        if config.clean_estimation
        else None,
        last_data=last_data_index(panel, model.needs),
    )
    rows, pos, _ = locate(panel, ev.get_column("ticker"), ev.get_column("day0"))
    own = own_catalog_position(ev, cat)
    acc = CrossEventAccumulator(config, panel.n_sessions, ctx.est_rel.size, ctx.ev_rel.size)
    parts: dict[str, list[FloatArray]] = {}
    for start in range(0, ev.height, BLOCK):  # blocks of observations, not single ones
        sl = slice(start, start + BLOCK)
        block = measure(ctx, rows[sl], pos[sl], own[sl])
        acc.add(block, start)
        for name, value in Measured.slim(block).items():
            parts.setdefault(name, []).append(value)
    measured = Measured.concat(parts, ev.height, ctx, model)
    tests, rbar = acc.finish(
        measured.car, measured.var_car, measured.dof, measured.bhar, measured.w_code
    )
    del acc
    conf = confounders(
        ev,
        pos,
        cat,
        n_sessions=panel.n_sessions,
        windows=[*config.windows, config.event_period],
        market_wide=config.market_wide_categories,
    )
    frames = result_frames(ev, panel, ctx, measured, conf)
    return EventStudyResult(config=config, tests=tests, rbar=rbar, **frames)
