"""The output frames, built from the per-observation arrays of every block.

Float columns never hold NaN: a number that cannot be computed is null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.measure import OK, STATUSES, Block, Context
from backtest.models import ReturnModel
from backtest.panel import Panel

_FIELDS_1D = ("rows", "pos", "code", "measurable", "n_est", "n_dropped")


@dataclass(frozen=True)
class Measured:
    """The per-observation results of all blocks, N rows each (no estimation matrices)."""

    rows: IntArray
    pos: IntArray
    code: IntArray
    measurable: BoolArray
    n_dropped: IntArray
    n_est: IntArray
    dof: FloatArray
    s2: FloatArray
    r2: FloatArray
    params: FloatArray  # (N, k)
    ev_index: IntArray  # (N, Lp)
    y_ev: FloatArray
    ar: FloatArray
    expected: FloatArray
    var_ar: FloatArray
    t_ar: FloatArray
    p_ar: FloatArray
    path_car: FloatArray
    path_var: FloatArray
    w_code: IntArray  # (N, W)
    car: FloatArray
    var_car: FloatArray
    car_t: FloatArray
    car_p: FloatArray
    bhar: FloatArray
    bhar_model: FloatArray

    @staticmethod
    def slim(block: Block) -> dict[str, np.ndarray]:
        """The arrays of ``block`` that the output needs."""
        out = {name: getattr(block, name) for name in _FIELDS_1D}
        fit = block.fit
        out.update(
            dof=fit.dof.astype(np.float64),
            s2=fit.s2,
            r2=fit.r2,
            params=fit.params,
        )
        for name in (
            "ev_index",
            "y_ev",
            "ar",
            "expected",
            "var_ar",
            "t_ar",
            "p_ar",
            "path_car",
            "path_var",
            "w_code",
            "car",
            "var_car",
            "car_t",
            "car_p",
            "bhar",
            "bhar_model",
        ):
            out[name] = getattr(block, name)
        return out

    @classmethod
    def concat(
        cls, parts: dict[str, list[np.ndarray]], n: int, ctx: Context, model: ReturnModel
    ) -> Measured:
        """Stack the blocks' arrays (empty arrays of the right shape when N = 0)."""
        if n == 0:
            Lp, W, k = ctx.ev_rel.size, len(ctx.config.windows), model.k
            shapes = {
                "params": (0, k),
                "ev_index": (0, Lp),
                **dict.fromkeys(("y_ev", "ar", "expected", "var_ar", "t_ar", "p_ar"), (0, Lp)),
                "path_car": (0, Lp),
                "path_var": (0, Lp),
                **dict.fromkeys(("w_code", "car", "var_car", "car_t", "car_p", "bhar"), (0, W)),
                "bhar_model": (0, W),
            }
            ints = {"rows", "pos", "code", "n_dropped", "n_est", "ev_index", "w_code"}
            kw: dict[str, np.ndarray] = {}
            for f in cls.__dataclass_fields__:
                shape = shapes.get(f, (0,))
                dtype = np.int64 if f in ints else bool if f == "measurable" else np.float64
                kw[f] = np.zeros(shape, dtype=dtype)
            return cls(**kw)
        return cls(**{name: np.concatenate(v, axis=0) for name, v in parts.items()})


def _f(values: np.ndarray, name: str) -> pl.Series:
    """A Float64 series with NaN and infinities as null."""
    v = np.asarray(values, dtype=np.float64).ravel()
    return pl.Series(name, np.where(np.isfinite(v), v, np.nan), nan_to_null=True)


def _i(values: np.ndarray, keep: np.ndarray, name: str) -> pl.Series:
    """An Int64 series, null where ``keep`` is False."""
    s = pl.Series(name, np.asarray(values, dtype=np.int64).ravel())
    return pl.select(pl.when(pl.Series(np.asarray(keep).ravel())).then(s)).to_series().alias(name)


def _status(codes: np.ndarray, name: str = "status") -> pl.Series:
    labels = pl.Series("labels", list(STATUSES), dtype=pl.String)
    return labels.gather(np.asarray(codes, dtype=np.int64).ravel()).alias(name)


def _keys(ev: pl.DataFrame, repeat: int) -> dict[str, pl.Series]:
    idx = np.repeat(np.arange(ev.height), repeat)
    return {
        "event_id": ev.get_column("event_id").gather(idx),
        "ticker": ev.get_column("ticker").gather(idx),
    }


def result_frames(
    ev: pl.DataFrame,
    panel: Panel,
    ctx: Context,
    m: Measured,
    confounded: list[pl.Series],
) -> dict[str, pl.DataFrame]:
    """``diagnostics, ar, car, car_path, aar`` frames (see :class:`~backtest.EventStudyResult`)."""
    return {
        "diagnostics": _diagnostics(ev, ctx.model, m, confounded[-1]),
        "ar": _ar(ev, panel, ctx, m),
        "car": _car(ev, ctx, m, confounded[:-1]),
        "car_path": _car_path(ev, ctx, m),
        "aar": _aar(ctx, m),
    }


def _diagnostics(
    ev: pl.DataFrame, model: ReturnModel, m: Measured, confounded: pl.Series
) -> pl.DataFrame:
    n = ev.height
    fitted = m.measurable
    located = (m.rows >= 0) & (m.pos >= 0)
    params = {
        name: _f(np.where(fitted, m.params[:, j], np.nan), name)
        for j, name in enumerate(model.param_names)
    }
    none = pl.Series([None] * n, dtype=pl.Float64)
    alpha = params["alpha"] if model.intercept else none
    beta = params[model.beta_param] if model.beta_param is not None else none
    frame = pl.DataFrame(
        {
            "event_id": ev.get_column("event_id"),
            "ticker": ev.get_column("ticker"),
            "day0": ev.get_column("day0"),
            "status": _status(m.code),
            "model": pl.Series([model.name] * n, dtype=pl.String),
            "alpha": alpha.alias("alpha"),
            "beta": beta.alias("beta"),
            "r2": _f(np.where(fitted, m.r2, np.nan), "r2"),
            "sigma": _f(np.where(fitted, np.sqrt(np.maximum(m.s2, 0.0)), np.nan), "sigma"),
            "n_est": _i(m.n_est, located, "n_est"),
            "n_dropped_clean": _i(m.n_dropped, located, "n_dropped_clean"),
            "dof": _i(np.where(fitted, m.dof, 0), fitted, "dof"),
            "confounded_by": confounded,
        }
    )
    if params:
        struct = pl.struct(*params.values())
        frame = frame.with_columns(pl.when(pl.Series(fitted)).then(struct).alias("params"))
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Struct({})).alias("params"))
    return frame.select(
        "event_id",
        "ticker",
        "day0",
        "status",
        "model",
        "alpha",
        "beta",
        "params",
        "r2",
        "sigma",
        "n_est",
        "n_dropped_clean",
        "dof",
        "confounded_by",
    )


def _ar(ev: pl.DataFrame, panel: Panel, ctx: Context, m: Measured) -> pl.DataFrame:
    N, Lp = m.ar.shape
    T = panel.n_sessions
    in_cal = (m.ev_index >= 0) & (m.ev_index < T) & (m.pos >= 0)[:, None]
    days = panel.days[np.clip(m.ev_index, 0, T - 1)] if T else np.zeros((N, Lp), np.int64)
    date = pl.Series("date", days.ravel().astype(np.int32)).cast(pl.Date)
    frame = pl.DataFrame(
        {
            **_keys(ev, Lp),
            "rel_day": pl.Series(np.tile(ctx.ev_rel, N), dtype=pl.Int64),
            "date": date,
            "_in": pl.Series(in_cal.ravel()),
            "ret": _f(m.y_ev, "ret"),
            "expected": _f(m.expected, "expected"),
            "ar": _f(m.ar, "ar"),
            "var_ar": _f(m.var_ar, "var_ar"),
            "t": _f(m.t_ar, "t"),
            "p": _f(m.p_ar, "p"),
        }
    )
    return frame.with_columns(
        pl.when(pl.col("_in")).then(pl.col("date")).alias("date"), pl.col("t").alias("sar")
    ).drop("_in")


def _car(ev: pl.DataFrame, ctx: Context, m: Measured, confounded: list[pl.Series]) -> pl.DataFrame:
    windows = ctx.config.windows
    N, W = ev.height, len(windows)
    # rows ordered by observation, then (start, end)
    order = sorted(range(W), key=lambda j: windows[j])
    cols = np.asarray(order, dtype=np.int64)
    stacked = pl.concat([confounded[j] for j in order])  # window-major
    long = (np.arange(W)[None, :] * N + np.arange(N)[:, None]).ravel()

    def take(a: np.ndarray) -> np.ndarray:
        return a[:, cols].ravel()

    return pl.DataFrame(
        {
            **_keys(ev, W),
            "start": pl.Series(np.tile([windows[j][0] for j in order], N), dtype=pl.Int64),
            "end": pl.Series(np.tile([windows[j][1] for j in order], N), dtype=pl.Int64),
            "status": _status(take(m.w_code)),
            "car": _f(take(m.car), "car"),
            "var_car": _f(take(m.var_car), "var_car"),
            "car_t": _f(take(m.car_t), "car_t"),
            "car_p": _f(take(m.car_p), "car_p"),
            "bhar": _f(take(m.bhar), "bhar"),
            "bhar_model": _f(take(m.bhar_model), "bhar_model"),
            "confounded_by": stacked.gather(long).alias("confounded_by"),
        }
    )


def _car_path(ev: pl.DataFrame, ctx: Context, m: Measured) -> pl.DataFrame:
    N, Lp = m.path_car.shape
    return pl.DataFrame(
        {
            **_keys(ev, Lp),
            "rel_day": pl.Series(np.tile(ctx.ev_rel, N), dtype=pl.Int64),
            "car": _f(m.path_car, "car"),
            "var_car": _f(m.path_var, "var_car"),
        }
    )


def _aar(ctx: Context, m: Measured) -> pl.DataFrame:
    from backtest.significance import t_pvalue

    ar = m.ar[m.code == OK]
    has = np.isfinite(ar)
    n = has.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        aar = np.where(has, ar, 0.0).sum(axis=0) / n
        dev = np.where(has, ar - aar[None, :], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=0) / (n - 1))
        t = np.where(n >= 2, aar / (sd / np.sqrt(n)), np.nan)
    p = t_pvalue(t, (n - 1).astype(np.float64))
    return pl.DataFrame(
        {
            "rel_day": pl.Series(ctx.ev_rel, dtype=pl.Int64),
            "n": pl.Series(n, dtype=pl.Int64),
            "aar": _f(aar, "aar"),
            "caar": _f(np.cumsum(aar), "caar"),
            "t": _f(t, "t"),
            "p": _f(p, "p"),
        }
    )
