"""Builders of the output frames from the per-observation arrays of every block.

A measure (:meth:`backtest.measures.base.Measure.frames`) names its columns and
composes these builders. Float columns never hold NaN: a number that cannot be
computed is null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from backtest._typing import STATUS_CODE, STATUSES, FloatArray, IntArray
from backtest.groups import RowGroups
from backtest.measured import Layout, Measured
from backtest.models import ReturnModel
from backtest.significance import t_pvalue

_OK = STATUS_CODE["ok"]


def f64(values: np.ndarray, name: str) -> pl.Series:
    """A Float64 series with NaN and infinities as null."""
    v = np.asarray(values, dtype=np.float64).ravel()
    return pl.Series(name, np.where(np.isfinite(v), v, np.nan), nan_to_null=True)


def i64(values: np.ndarray, keep: np.ndarray, name: str) -> pl.Series:
    """An Int64 series, null where ``keep`` is False."""
    s = pl.Series(name, np.asarray(values, dtype=np.int64).ravel())
    return pl.select(pl.when(pl.Series(np.asarray(keep).ravel())).then(s)).to_series().alias(name)


def nested(rows: IntArray, values: pl.Series, n: int) -> pl.Series:
    """A list column of ``n`` rows, named as ``values``: row ``r`` holds the ``values``
    whose ``rows`` entry is ``r``, in their order, and an empty list where there is none.

    One group-by over the values and a join onto the rows: a Series made of Python lists
    costs about 4 µs a row (mostly for the empty ones), and polars builds a list column
    from offsets only through pyarrow.
    """
    name = values.name
    grouped = (
        pl.DataFrame([pl.Series("_row", rows, dtype=pl.Int64), values])
        .group_by("_row", maintain_order=True)
        .agg(name)
    )
    return (
        pl.DataFrame({"_row": np.arange(n, dtype=np.int64)})
        .join(grouped, on="_row", how="left", maintain_order="left")
        .get_column(name)
        .fill_null(pl.lit([], pl.List(values.dtype)))
    )


def status(codes: np.ndarray, name: str = "status") -> pl.Series:
    """Status labels of ``codes`` (indices into ``backtest._typing.STATUSES``)."""
    labels = pl.Series("labels", list(STATUSES), dtype=pl.String)
    return labels.gather(np.asarray(codes, dtype=np.int64).ravel()).alias(name)


def keys(obs: pl.DataFrame, repeat: int) -> dict[str, pl.Series]:
    """``event_id`` and ``ticker`` of every observation, each repeated ``repeat`` times."""
    idx = np.repeat(np.arange(obs.height), repeat)
    return {
        "event_id": obs.get_column("event_id").gather(idx),
        "ticker": obs.get_column("ticker").gather(idx),
    }


def diagnostics_frame(
    obs: pl.DataFrame, model: ReturnModel, m: Measured, confounded: pl.Series
) -> pl.DataFrame:
    """One row per observation: status, the model's fit and the confounding events."""
    n = obs.height
    fitted = m.measurable
    located = (m.rows >= 0) & (m.pos >= 0)
    params = {
        name: f64(np.where(fitted, m.params[:, j], np.nan), name)
        for j, name in enumerate(model.param_names)
    }
    none = pl.Series([None] * n, dtype=pl.Float64)
    alpha = params["alpha"] if model.intercept else none
    beta = params[model.beta_param] if model.beta_param is not None else none
    frame = pl.DataFrame(
        {
            "event_id": obs.get_column("event_id"),
            "ticker": obs.get_column("ticker"),
            "day0": obs.get_column("day0"),
            "status": status(m.code),
            "model": pl.Series([model.name] * n, dtype=pl.String),
            "alpha": alpha.alias("alpha"),
            "beta": beta.alias("beta"),
            "r2": f64(np.where(fitted, m.r2, np.nan), "r2"),
            "sigma": f64(np.where(fitted, np.sqrt(np.maximum(m.s2, 0.0)), np.nan), "sigma"),
            "n_est": i64(m.n_est, located, "n_est"),
            "n_dropped_clean": i64(m.n_dropped, located, "n_dropped_clean"),
            "dof": i64(np.where(fitted, m.dof, 0), fitted, "dof"),
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


def daily_frame(
    obs: pl.DataFrame, layout: Layout, m: Measured, columns: Mapping[str, np.ndarray]
) -> pl.DataFrame:
    """One row per observation and event-period day: ``event_id, ticker, rel_day, date``
    and ``columns`` (``(N, Lp)`` arrays); ``date`` is null beyond the calendar."""
    N, Lp = m.ev_index.shape
    T = layout.n_sessions
    in_cal = (m.ev_index >= 0) & (m.ev_index < T) & (m.pos >= 0)[:, None]
    days = layout.days[np.clip(m.ev_index, 0, T - 1)] if T else np.zeros((N, Lp), np.int64)
    date = pl.Series("date", days.ravel().astype(np.int32)).cast(pl.Date)
    frame = pl.DataFrame(
        {
            **keys(obs, Lp),
            "rel_day": pl.Series(np.tile(layout.ev_rel, N), dtype=pl.Int64),
            "date": date,
            "_in": pl.Series(in_cal.ravel()),
            **{name: f64(v, name) for name, v in columns.items()},
        }
    )
    return frame.with_columns(pl.when(pl.col("_in")).then(pl.col("date")).alias("date")).drop("_in")


def window_frame(
    obs: pl.DataFrame,
    layout: Layout,
    m: Measured,
    columns: Mapping[str, np.ndarray],
    confounded: Sequence[pl.Series],
) -> pl.DataFrame:
    """One row per observation and window (ordered by ``(start, end)``): ``event_id,
    ticker, start, end, status``, ``columns`` (``(N, W)`` arrays) and ``confounded_by``."""
    windows = layout.windows
    N, W = obs.height, len(windows)
    order = sorted(range(W), key=lambda j: windows[j])
    cols = np.asarray(order, dtype=np.int64)
    stacked = pl.concat([confounded[j] for j in order])  # window-major
    long = (np.arange(W)[None, :] * N + np.arange(N)[:, None]).ravel()

    def take(a: np.ndarray) -> np.ndarray:
        return a[:, cols].ravel()

    return pl.DataFrame(
        {
            **keys(obs, W),
            "start": pl.Series(np.tile([windows[j][0] for j in order], N), dtype=pl.Int64),
            "end": pl.Series(np.tile([windows[j][1] for j in order], N), dtype=pl.Int64),
            "status": status(take(m.w_code)),
            **{name: f64(take(v), name) for name, v in columns.items()},
            "confounded_by": stacked.gather(long).alias("confounded_by"),
        }
    )


def path_frame(
    obs: pl.DataFrame, layout: Layout, m: Measured, names: tuple[str, str]
) -> pl.DataFrame:
    """``event_id, ticker, rel_day`` and the cumulative value and its variance (``names``)."""
    N, Lp = m.path_car.shape
    return pl.DataFrame(
        {
            **keys(obs, Lp),
            "rel_day": pl.Series(np.tile(layout.ev_rel, N), dtype=pl.Int64),
            names[0]: f64(m.path_car, names[0]),
            names[1]: f64(m.path_var, names[1]),
        }
    )


def average_moments(layout: Layout, m: Measured) -> tuple[np.ndarray, FloatArray, FloatArray]:
    """``(G, Lp)`` per group and event-period day, over the observations with status ``ok``
    and a value that day: the count ``n``, the sum and the sum of squared deviations from
    the mean (the sufficient statistics of :func:`average_frame`; chunks merge them,
    :mod:`backtest.chunked`)."""
    ok = m.code == _OK
    ar = m.ar[ok]
    codes = layout.groups.codes[ok]
    G, Lp = layout.groups.n_groups, ar.shape[1]
    rows = RowGroups(codes, G)
    has = np.isfinite(ar)
    n = np.zeros((G, Lp), dtype=np.int64)
    total, ss = np.zeros((G, Lp)), np.zeros((G, Lp))
    if codes.size:
        n[rows.groups] = rows.sum(has)
        total[rows.groups] = rows.sum(np.where(has, ar, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        aar = total / n
        dev = np.where(has, ar - aar[codes], 0.0)
    if codes.size:
        ss[rows.groups] = rows.sum(dev * dev)
    return n, total, ss


def average_frame(layout: Layout, m: Measured, names: tuple[str, str]) -> pl.DataFrame:
    """``rel_day, n``, the mean abnormal value and its cumulative sum (``names``), ``t, p``.

    Per group (a leading ``group`` column when the study has groups) and
    event-period day, over the observations with status ``ok`` and a value on
    that day: mean ``Ā_t``, cumulative ``Σ_{s <= t} Ā_s`` from the event
    period's first day, and the cross-sectional ``t = Ā_t / (sd/√n)`` against
    t(n − 1).
    """
    return average_table(layout, *average_moments(layout, m), names)


def average_table(
    layout: Layout, n: np.ndarray, total: FloatArray, ss: FloatArray, names: tuple[str, str]
) -> pl.DataFrame:
    """:func:`average_frame` from its sufficient statistics (:func:`average_moments`)."""
    G, Lp = n.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        aar = total / n
        sd = np.sqrt(ss / (n - 1))
        t = np.where(n >= 2, aar / (sd / np.sqrt(n)), np.nan)
    p = t_pvalue(t, (n - 1).astype(np.float64))
    frame = pl.DataFrame(
        {
            "rel_day": pl.Series(np.tile(layout.ev_rel, G), dtype=pl.Int64),
            "n": pl.Series(n.ravel(), dtype=pl.Int64),
            names[0]: f64(aar, names[0]),
            names[1]: f64(np.cumsum(aar, axis=1), names[1]),
            "t": f64(t, "t"),
            "p": f64(p, "p"),
        }
    )
    labels = layout.groups.labels
    if labels is not None:
        frame = frame.insert_column(0, labels.gather(np.repeat(np.arange(G), Lp)))
    return frame
