"""Per-observation measurement, one block of observations at a time (no loop over rows).

For a block of observations: gather the estimation window and the event period
of the measure's values, build the estimation masks and statuses, let the
measure fit its expected value and compute the abnormal values and their
variances, then the cumulative values, their tests and the window statuses of
every window (``docs/statistics.md``, "Per-observation results" and "Status
codes"). Nothing here depends on what is measured: that is the
:class:`~backtest.measures.base.Measure`'s part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backtest._typing import STATUS_CODE, BoolArray, FloatArray, IntArray
from backtest.config import EventStudyConfig
from backtest.measured import Block, Layout, Measured
from backtest.measures.base import Measure, MeasureData
from backtest.panel import gather, gather_series
from backtest.significance import t_pvalue
from backtest.windows import clean_days

CODE = STATUS_CODE
OK = CODE["ok"]
ZERO = CODE["zero_variance"]

#: Observations measured together (bounds the working memory: a few
#: ``BLOCK × 271`` float arrays for the default windows).
BLOCK = 4096


@dataclass(frozen=True)
class Context:
    """What every block needs, built once per study."""

    layout: Layout
    data: MeasureData
    config: EventStudyConfig
    measure: Measure
    coverage: IntArray | None  # clean-estimation coverage (None: clean_estimation off)
    last_data: IntArray  # per panel row: last session with a computable abnormal value


def measure_block(
    ctx: Context,
    rows: IntArray,
    pos: IntArray,
    own_pos: IntArray,
    share: dict[str, Any] | None = None,
) -> Block:
    """Measure the observations at panel ``rows`` with day 0 at session ``pos``.

    ``share``: what the measures of one :func:`measure_all_many` block may reuse from each
    other (the clean-estimation days of the same rows; a measure's fit,
    :meth:`backtest.measures.base.Measure.fit_block`).
    """
    data, config, measure = ctx.data, ctx.config, ctx.measure
    model = measure.model
    T = ctx.layout.n_sessions
    located = (rows >= 0) & (pos >= 0)

    def index(rel: IntArray) -> tuple[IntArray, BoolArray, IntArray | None]:
        idx = pos[:, None] + rel[None, :]
        # a window of consecutive sessions: the gathers copy runs (see panel.gather)
        run = rel.size > 0 and bool(np.all(np.diff(rel) == 1))
        return idx, (idx >= 0) & (idx < T) & located[:, None], pos + rel[0] if run else None

    est_index, est_valid, est_first = index(ctx.layout.est_rel)
    ev_index, ev_valid, ev_first = index(ctx.layout.ev_rel)

    # -- estimation window E_i and statuses (docs/statistics.md, "Status codes")
    y_est = gather(data.values, rows, est_index, est_valid, first=est_first)
    s_est: dict[str, FloatArray] = {
        n: gather_series(data.series[n], est_index, est_valid, first=est_first) for n in model.needs
    }
    has_tick = np.isfinite(y_est)
    regs_ok = np.ones_like(has_tick)
    for series in s_est.values():
        regs_ok &= np.isfinite(series)
    if model.needs_benchmark:
        market = s_est.get("market")
        if market is None:
            market = gather_series(data.series["market"], est_index, est_valid, first=est_first)
        bench_ok = np.isfinite(market)
    else:
        bench_ok = np.ones_like(has_tick)
    if ctx.coverage is not None:
        cached = share.get("clean") if share is not None else None
        if cached is not None and np.array_equal(cached[0], rows):
            clean = cached[1]
        else:
            clean = clean_days(
                ctx.coverage, rows, est_index, est_valid, own_pos, config.event_period
            )
            if share is not None:
                share["clean"] = (rows, clean)
    else:
        clean = np.zeros_like(has_tick)
    have = has_tick & regs_ok
    mask = have & ~clean
    n_dropped = (have & clean).sum(axis=1)
    L = mask.sum(axis=1)

    code = np.full(rows.shape[0], OK, dtype=np.int64)
    code[rows < 0] = CODE["no_returns"]
    code[(code == OK) & (pos < 0)] = CODE["day0_outside_data"]
    if model.needs_benchmark and data.benchmark_row < 0:
        code[code == OK] = CODE["no_benchmark"]
    short = (code == OK) & (config.min_obs > L)
    if short.any():
        n_tick = (has_tick & ~clean).sum(axis=1)
        n_bench = (has_tick & bench_ok & ~clean).sum(axis=1)
        code[short & (n_tick < config.min_obs)] = CODE["insufficient_estimation"]
        if model.needs_benchmark:
            code[short & (code == OK) & (n_bench < config.min_obs)] = CODE["no_benchmark"]
        code[short & (code == OK)] = CODE["no_factors"]

    fit_mask = mask & (code == OK)[:, None]
    fit = measure.fit_block(y_est, s_est, fit_mask, rows, share)
    code[(code == OK) & (fit.singular | fit.zero_variance)] = ZERO
    measurable = (code == OK) | ((code == ZERO) & ~fit.singular & (fit.n > 0))
    ok = code == OK
    est_mask = fit_mask & ok[:, None]

    # -- abnormal values on the event period
    s_ev: dict[str, FloatArray] = {
        n: gather_series(data.series[n], ev_index, ev_valid, first=ev_first)
        for n in measure.event_series
    }
    y_ev = gather(data.values, rows, ev_index, ev_valid, first=ev_first)
    abn = measure.abnormal(fit, y_ev, s_ev)
    ar = abn.abnormal
    ar[~measurable] = np.nan
    expected = y_ev - ar
    dof = fit.dof.astype(np.float64)
    var_ar = abn.var
    var_ar[~ok] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        t_ar = ar / np.sqrt(var_ar)
    p_ar = t_pvalue(t_ar, dof[:, None]) if measure.daily_p else np.full_like(t_ar, np.nan)

    # -- cumulative path from the event period's first day (exact variance)
    path_car = np.cumsum(ar, axis=1)
    path_var = abn.path_variance()
    path_var[~ok[:, None] | ~np.isfinite(path_car)] = np.nan

    # -- windows: cumulative value, its variance and test, status (docs/statistics.md)
    last = (
        np.where(rows >= 0, ctx.last_data[np.maximum(rows, 0)], -1) if ctx.last_data.size else rows
    )
    p0 = config.event_period[0]
    W = len(config.windows)
    n = rows.shape[0]
    w_code = np.empty((n, W), dtype=np.int64)
    complete = np.empty((n, W), dtype=bool)
    car, var_car, car_t, car_p = (np.empty((n, W)) for _ in range(4))
    for j, (a, b) in enumerate(config.windows):
        c0, c1 = a - p0, b - p0 + 1
        arw = ar[:, c0:c1]
        complete[:, j] = np.isfinite(arw).all(axis=1) & measurable
        car[:, j] = np.where(complete[:, j], arw.sum(axis=1), np.nan)
        v = abn.sum_variance(c0, c1)
        var_car[:, j] = np.where(complete[:, j] & ok, v, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            car_t[:, j] = car[:, j] / np.sqrt(var_car[:, j])
        car_p[:, j] = t_pvalue(car_t[:, j], dof)
        wc = code.copy()
        missing = ok & ~complete[:, j]
        beyond = pos + b > last
        wc[missing & beyond] = CODE["incomplete_window"]
        wc[missing & ~beyond] = CODE["missing_event_returns"]
        w_code[:, j] = wc
    return Block(
        rows=rows,
        pos=pos,
        code=code,
        measurable=measurable,
        fit=fit,
        n_est=L.astype(np.int64),
        n_dropped=n_dropped,
        est_index=est_index,
        est_mask=est_mask,
        ev_index=ev_index,
        y_ev=y_ev,
        ar=ar,
        expected=expected,
        var_ar=var_ar,
        t_ar=t_ar,
        p_ar=p_ar,
        path_car=path_car,
        path_var=path_var,
        w_code=w_code,
        car=car,
        var_car=var_car,
        car_t=car_t,
        car_p=car_p,
        extra=measure.window_values(y_ev, ar, s_ev, complete),
    )


def measure_all(
    ctx: Context,
    rows: IntArray,
    pos: IntArray,
    own_pos: IntArray,
    add: Callable[[Block, IntArray], None],
) -> Measured:
    """Measure every observation in blocks of :data:`BLOCK`.

    ``add(block, index)`` sees each block with the rows of its observations.
    With groups the blocks are cut from the observations in group order (so a
    group's observations are in consecutive blocks, see
    :class:`backtest.crossevent.CalendarSums`); the result is in the study's order.
    """
    return measure_all_many([ctx], [rows], [pos], own_pos, [add])[0]


def measure_all_many(
    ctxs: Sequence[Context],
    rows: Sequence[IntArray],
    pos: Sequence[IntArray],
    own_pos: IntArray,
    adds: Sequence[Callable[[Block, IntArray], None]],
) -> list[Measured]:
    """:func:`measure_all` for several measures of the same observations, block by block.

    Each block is measured by every measure in turn, so that they can share work
    (``share`` of :func:`measure_block`); each measure's result is what
    :func:`measure_all` alone gives.
    """
    parts: list[dict[str, list[np.ndarray]]] = [{} for _ in ctxs]
    n = own_pos.shape[0]
    layout = ctxs[0].layout
    grouped = layout.groups.labels is not None
    order = np.argsort(layout.groups.codes, kind="stable") if grouped else np.arange(n)
    for start in range(0, max(n, 1), BLOCK):  # blocks of observations, not single ones
        index = order[start : start + BLOCK]
        share: dict[str, Any] = {}
        for k, ctx in enumerate(ctxs):
            block = measure_block(ctx, rows[k][index], pos[k][index], own_pos[index], share)
            if n:
                adds[k](block, index)
            for name, value in Measured.slim(block).items():
                parts[k].setdefault(name, []).append(value)
    out = []
    for part in parts:
        measured = Measured.stack(part)
        out.append(measured.take(np.argsort(order)) if grouped else measured)
    return out
