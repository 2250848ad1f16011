"""The event-study engine: :func:`run_event_study`.

Observations are sorted by ``(event_id, ticker)`` and measured in blocks of
:data:`backtest.blocks.BLOCK` rows: each block is a set of stacked ``(n, L)``
arrays (no Python loop over observations or rows), which keeps the working
memory bounded whatever the number of events. What is measured is a
:class:`~backtest.measures.base.Measure` (returns); ``docs/statistics.md`` is
the specification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from backtest._typing import STATUSES, IntArray
from backtest.blocks import Context, measure_all_many
from backtest.config import EventStudyConfig
from backtest.crossevent import CrossEventAccumulator
from backtest.errors import InputSchemaError
from backtest.groups import Groups
from backtest.inputs import (
    normalise_catalog,
    normalise_events,
    normalise_factors,
    normalise_values,
    series_on_sessions,
    session_days,
)
from backtest.measured import Layout
from backtest.measures import Measure, Returns
from backtest.models import get_model
from backtest.panel import build_panel, last_data_index, locate
from backtest.result import EventStudyResult
from backtest.windows import catalog_positions, clean_coverage, confounders, own_catalog_position

__all__ = [
    "STATUSES",
    "Prepared",
    "StudyOutput",
    "prepare",
    "prepare_many",
    "run_event_study",
    "study",
    "study_many",
]


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
        (date, a session of the calendar), optional ``category`` (str) and
        ``group`` (str or int label, no nulls). ``(event_id, ticker)`` must be
        unique. With ``group``, the cross-event tests (``tests``) and the AAR
        table (``aar``) are computed per group, all groups in one pass, and
        those frames gain a leading ``group`` column; the other frames are as
        without groups (``docs/statistics.md``, "Groups").
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
    measure = Returns(config, get_model(config.model))
    out = study(measure, events, returns, factors=factors, sessions=sessions, catalog=catalog)
    return EventStudyResult(config=config, tests=out.tests, rbar=out.rbar, **out.frames)


@dataclass(frozen=True)
class StudyOutput:
    """What :func:`study` measured: the measure's frames, the tests frame, r̄."""

    frames: dict[str, pl.DataFrame]
    tests: pl.DataFrame
    rbar: float | None


def study(
    measure: Measure,
    events: pl.DataFrame,
    values: pl.DataFrame,
    *,
    factors: pl.DataFrame | None = None,
    sessions: Sequence[date] | pl.Series | None = None,
    catalog: pl.DataFrame | None = None,
) -> StudyOutput:
    """Measure any :class:`~backtest.measures.base.Measure` around the events and test it.

    The engine core behind :func:`run_event_study` (which is ``study`` with the
    returns measure). ``values`` is a long ``ticker, date, <measure.reads>``
    frame, called ``measure.frame`` in messages (``"returns"``); the other
    arguments are those of :func:`run_event_study`. Returns the measure's frames
    (``measure.frame_names``), the cross-event tests (``skew_adj_t`` is null for a
    measure without ``bhar``) and r̄.
    """
    return study_many(
        [measure], events, values, factors=factors, sessions=sessions, catalog=catalog
    )[0]


@dataclass(frozen=True)
class Prepared:
    """A study set up for measurement (:func:`prepare`): the engine's context and the
    observations located on the panel, in the engine's order."""

    ctx: Context
    events: pl.DataFrame  # normalised observations, sorted by (event_id, ticker)
    catalog: pl.DataFrame  # catalog positions (backtest.windows.catalog_positions)
    tickers: tuple[str, ...]  # panel rows
    rows: IntArray  # (N,) panel row per observation (-1: no values)
    pos: IntArray  # (N,) session index of day 0 (-1: not a session)
    own: IntArray  # (N,) session index of the observation's own catalog entry (-1: none)


def study_many(
    measures: Sequence[Measure],
    events: pl.DataFrame,
    values: pl.DataFrame,
    *,
    factors: pl.DataFrame | None = None,
    sessions: Sequence[date] | pl.Series | None = None,
    catalog: pl.DataFrame | None = None,
) -> list[StudyOutput]:
    """:func:`study` of several measures on the same events and configuration, in one pass.

    The inputs are read, placed on the sessions and located once (:func:`prepare_many`), and
    the confounding lists computed once; each measure is then measured and tested on its own,
    exactly as :func:`study` alone would (``values`` holds the columns every measure
    ``reads``, e.g. ``ret`` and ``volume``; a missing value is null or NaN). The measures must
    share one configuration (windows, estimation window, benchmark, clean estimation); their
    models may differ (abnormal volume has its own).
    """
    preps = prepare_many(
        measures, events, values, factors=factors, sessions=sessions, catalog=catalog
    )
    if not preps:
        return []
    first = preps[0]
    config, layout, ev = first.ctx.config, first.ctx.layout, first.events
    conf = confounders(
        ev,
        first.pos,  # day 0's session does not depend on the measure
        first.catalog,
        n_sessions=layout.n_sessions,
        windows=[*config.windows, config.event_period],
        market_wide=config.market_wide_categories,
    )
    accs = [
        CrossEventAccumulator(
            config,
            layout.n_sessions,
            layout.est_rel.size,
            layout.ev_rel.size,
            layout.groups,
            grank=p.ctx.measure.grank,
        )
        for p in preps
    ]
    measured_all = measure_all_many(
        [p.ctx for p in preps],
        [p.rows for p in preps],
        [p.pos for p in preps],
        first.own,
        [a.add for a in accs],
    )
    out = []
    for prep, acc, measured in zip(preps, accs, measured_all, strict=True):
        bhar = measured.extra.get("bhar", np.full(measured.car.shape, np.nan))
        tests, rbar = acc.finish(
            measured.car,
            measured.var_car,
            measured.dof,
            bhar,
            measured.w_code,
            s2=measured.s2,
            n_est=measured.n_est.astype(np.float64),
            ar=measured.ar,
            var_ar=measured.var_ar,
        )
        frames = prep.ctx.measure.frames(ev, layout, measured, conf)
        out.append(StudyOutput(frames=frames, tests=tests, rbar=rbar))
    return out


def prepare(
    measure: Measure,
    events: pl.DataFrame,
    values: pl.DataFrame,
    *,
    factors: pl.DataFrame | None = None,
    sessions: Sequence[date] | pl.Series | None = None,
    catalog: pl.DataFrame | None = None,
) -> Prepared:
    """Validate the inputs, build the panel and locate every observation: the set-up of
    :func:`study` for one measure, shared with the chunked engine :mod:`backtest.chunked`."""
    return prepare_many(
        [measure], events, values, factors=factors, sessions=sessions, catalog=catalog
    )[0]


def prepare_many(
    measures: Sequence[Measure],
    events: pl.DataFrame,
    values: pl.DataFrame,
    *,
    factors: pl.DataFrame | None = None,
    sessions: Sequence[date] | pl.Series | None = None,
    catalog: pl.DataFrame | None = None,
) -> list[Prepared]:
    """:func:`prepare` for several measures on one panel (their configurations must be
    equal): the inputs are validated and placed on the sessions once."""
    if not measures:
        return []
    config = measures[0].config
    if any(m.config != config for m in measures[1:]):
        raise ValueError("study_many: every measure must have the same EventStudyConfig")
    reads = tuple(dict.fromkeys(c for m in measures for c in m.reads))
    name = measures[0].frame if len(measures) == 1 else "values"
    hint = measures[0].frame_hint if len(measures) == 1 else ""
    ev = normalise_events(events)
    vals = normalise_values(values, name, reads, hint=hint)
    factor_columns = tuple(dict.fromkeys(c for m in measures for c in m.model.factor_columns))
    fac = None
    for m in measures:
        if m.model.needs_factors and factors is None:
            raise InputSchemaError(
                f"model {m.model.name!r} needs the factors frame (date, "
                f"{', '.join(m.model.factor_columns)} as fractions); pass factors=...",
                frame="factors",
            )
    if factor_columns and factors is not None:
        model_name = next(m.model.name for m in measures if m.model.needs_factors)
        fac = normalise_factors(factors, factor_columns, model_name)
    days = session_days(sessions, vals)
    cat = catalog_positions(normalise_catalog(catalog, ev), days)
    panel = build_panel(
        vals,
        name,
        days,
        reads,
        benchmark=config.benchmark,
        series=series_on_sessions(fac, days, factor_columns) if fac is not None else None,
    )
    del vals  # the panel holds the values now
    p0, p1 = config.event_period
    groups = Groups.of(ev.get_column("group") if "group" in ev.columns else None, ev.height)
    layout = Layout(
        days=days,
        est_rel=np.arange(config.estimation_start, config.estimation_end + 1, dtype=np.int64),
        ev_rel=np.arange(p0, p1 + 1, dtype=np.int64),
        windows=config.windows,
        groups=groups,
    )
    coverage = (
        clean_coverage(
            cat,
            panel_tickers=panel.tickers,
            n_sessions=panel.n_sessions,
            event_period=config.event_period,
        )
        if config.clean_estimation
        else None
    )
    own = own_catalog_position(ev, cat)
    out = []
    for measure in measures:
        data = measure.prepare(panel)
        has_data = np.asarray(np.isfinite(data.values).any(axis=1), dtype=bool)
        rows, pos = locate(panel.tickers, has_data, days, ev)
        ctx = Context(
            layout=layout,
            data=data,
            config=config,
            measure=measure,
            coverage=coverage,
            last_data=last_data_index(data.values, [data.series[n] for n in measure.model.needs]),
        )
        out.append(
            Prepared(
                ctx=ctx, events=ev, catalog=cat, tickers=panel.tickers, rows=rows, pos=pos, own=own
            )
        )
    return out
