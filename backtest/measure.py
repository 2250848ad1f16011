"""Per-observation measurement of a block of observations (stacked, no loop over rows).

For a block of observations: gather estimation and event-period windows from the
panel, build the estimation masks and statuses, fit the model, compute ARs and
their variances, and the CAR, BHAR and CAR path of every window
(``docs/statistics.md``, "Per-observation results").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtest._typing import OBSERVATION_STATUSES, WINDOW_STATUSES, BoolArray, FloatArray, IntArray
from backtest.config import EventStudyConfig
from backtest.models import ModelFit, ReturnModel
from backtest.panel import Panel, gather, gather_series
from backtest.significance import t_pvalue
from backtest.windows import clean_days

STATUSES: tuple[str, ...] = OBSERVATION_STATUSES + WINDOW_STATUSES
CODE = {s: i for i, s in enumerate(STATUSES)}
OK = CODE["ok"]
ZERO = CODE["zero_variance"]


@dataclass(frozen=True)
class Context:
    """What every block needs, built once per study."""

    panel: Panel
    config: EventStudyConfig
    model: ReturnModel
    est_rel: IntArray  # (Le,) relative days of the estimation window
    ev_rel: IntArray  # (Lp,) relative days of the event period
    coverage: IntArray | None  # clean-estimation coverage (None: clean_estimation off)
    last_data: IntArray  # per panel row: last session with a computable AR


@dataclass(frozen=True)
class Block:
    """Measurements of one block of n observations."""

    rows: IntArray  # (n,) panel row (-1: no returns)
    pos: IntArray  # (n,) session index of day 0 (-1: not a session)
    code: IntArray  # (n,) observation status code
    measurable: BoolArray  # (n,) ARs computed (ok, or zero variance with a fit)
    fit: ModelFit
    n_est: IntArray  # (n,) L_i (also for observations that are not fitted)
    n_dropped: IntArray
    est_index: IntArray  # (n, Le)
    est_mask: BoolArray  # (n, Le) E_i of observations with status ok
    ev_index: IntArray  # (n, Lp)
    y_ev: FloatArray  # (n, Lp) returns in the study's kind
    ar: FloatArray  # (n, Lp)
    expected: FloatArray
    var_ar: FloatArray
    t_ar: FloatArray
    p_ar: FloatArray
    path_car: FloatArray  # (n, Lp) CAR from the event period's first day
    path_var: FloatArray
    w_code: IntArray  # (n, W) window status codes
    car: FloatArray  # (n, W)
    var_car: FloatArray
    car_t: FloatArray
    car_p: FloatArray
    bhar: FloatArray
    bhar_model: FloatArray


def measure(ctx: Context, rows: IntArray, pos: IntArray, own_pos: IntArray) -> Block:
    """Measure the observations at panel ``rows`` with day 0 at session ``pos``."""
    panel, config, model = ctx.panel, ctx.config, ctx.model
    T = panel.n_sessions
    located = (rows >= 0) & (pos >= 0)

    def index(rel: IntArray) -> tuple[IntArray, BoolArray]:
        idx = pos[:, None] + rel[None, :]
        return idx, (idx >= 0) & (idx < T) & located[:, None]

    est_index, est_valid = index(ctx.est_rel)
    ev_index, ev_valid = index(ctx.ev_rel)

    # -- estimation window E_i and statuses (docs/statistics.md, "Status codes")
    y_est = gather(panel.ret, rows, est_index, est_valid)
    s_est: dict[str, FloatArray] = {
        n: gather_series(panel.series[n], est_index, est_valid) for n in model.needs
    }
    has_tick = np.isfinite(y_est)
    regs_ok = np.ones_like(has_tick)
    for series in s_est.values():
        regs_ok &= np.isfinite(series)
    if model.needs_benchmark:
        bench_ok = np.isfinite(gather_series(panel.series["market"], est_index, est_valid))
    else:
        bench_ok = np.ones_like(has_tick)
    if ctx.coverage is not None:
        clean = clean_days(ctx.coverage, rows, est_index, est_valid, own_pos, config.event_period)
    else:
        clean = np.zeros_like(has_tick)
    data = has_tick & regs_ok
    mask = data & ~clean
    n_dropped = (data & clean).sum(axis=1)
    L = mask.sum(axis=1)

    code = np.full(rows.shape[0], OK, dtype=np.int64)
    code[rows < 0] = CODE["no_returns"]
    code[(code == OK) & (pos < 0)] = CODE["day0_outside_data"]
    if model.needs_benchmark and panel.benchmark_row < 0:
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
    offset = model.offset(s_est)
    dep = y_est if offset is None else y_est - offset
    fit = model.fit(dep, model.regressors(s_est), fit_mask, config.variance_denominator)
    code[(code == OK) & (fit.singular | fit.zero_variance)] = ZERO
    measurable = (code == OK) | ((code == ZERO) & ~fit.singular & (fit.n > 0))
    ok = code == OK
    est_mask = fit_mask & ok[:, None]

    # -- abnormal returns on the event period
    names = set(model.needs) | {"market"}
    s_ev: dict[str, FloatArray] = {
        n: gather_series(panel.series[n], ev_index, ev_valid) for n in names
    }
    y_ev = gather(panel.ret, rows, ev_index, ev_valid)
    offset_ev = model.offset(s_ev)
    regs = model.regressors(s_ev)
    ar = y_ev.copy() if offset_ev is None else y_ev - offset_ev
    if fit.intercept:
        ar -= fit.params[:, 0, None]
        for p, x in enumerate(regs):
            ar -= fit.params[:, p + 1, None] * x
    ar[~measurable] = np.nan
    expected = y_ev - ar
    dof = fit.dof.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        q1 = fit.prediction_term(regs, 1.0)  # (n, Lp), or (n, 1) without regressors
        var_ar = np.broadcast_to(fit.s2[:, None] * (1.0 + q1), ar.shape).copy()
        var_ar[~ok] = np.nan
        t_ar = ar / np.sqrt(var_ar)
    p_ar = t_pvalue(t_ar, dof[:, None])

    # -- CAR path from the event period's first day (exact variance)
    Lp = ctx.ev_rel.shape[0]
    counts = np.arange(1, Lp + 1, dtype=np.float64)
    path_car = np.cumsum(ar, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        path_var = fit.s2[:, None] * (
            counts + fit.prediction_term([np.cumsum(x, axis=1) for x in regs], counts)
        )
    path_var[~ok[:, None] | ~np.isfinite(path_car)] = np.nan

    # -- windows: CAR, its variance and test, BHAR (docs/statistics.md)
    log = config.return_kind == "log"
    simple = np.expm1(y_ev) if log else y_ev
    msimple = np.expm1(s_ev["market"]) if log else s_ev["market"]
    last = (
        np.where(rows >= 0, ctx.last_data[np.maximum(rows, 0)], -1) if ctx.last_data.size else rows
    )
    p0 = config.event_period[0]
    W = len(config.windows)
    n = rows.shape[0]
    w_code = np.empty((n, W), dtype=np.int64)
    car, var_car, car_t, car_p, bhar, bhar_model = (np.empty((n, W)) for _ in range(6))
    for j, (a, b) in enumerate(config.windows):
        c0, c1 = a - p0, b - p0 + 1
        L2 = b - a + 1
        arw = ar[:, c0:c1]
        complete = np.isfinite(arw).all(axis=1) & measurable
        car[:, j] = np.where(complete, arw.sum(axis=1), np.nan)
        sums = [x[:, c0:c1].sum(axis=1, keepdims=True) for x in regs]
        with np.errstate(invalid="ignore", divide="ignore"):
            v = fit.s2 * (L2 + fit.prediction_term(sums, float(L2))[:, 0])
            var_car[:, j] = np.where(complete & ok, v, np.nan)
            car_t[:, j] = car[:, j] / np.sqrt(var_car[:, j])
        car_p[:, j] = t_pvalue(car_t[:, j], dof)
        gross = np.prod(1.0 + simple[:, c0:c1], axis=1)
        bench = np.prod(1.0 + msimple[:, c0:c1], axis=1)
        if log:
            model_gross = np.exp((y_ev[:, c0:c1] - arw).sum(axis=1))
        else:
            model_gross = np.prod(1.0 + simple[:, c0:c1] - arw, axis=1)
        bhar[:, j] = np.where(complete, gross - bench, np.nan)
        bhar_model[:, j] = np.where(complete, gross - model_gross, np.nan)
        wc = code.copy()
        missing = ok & ~complete
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
        bhar=bhar,
        bhar_model=bhar_model,
    )
