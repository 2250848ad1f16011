"""The dense ticker × session panel, shared by the event study and event-time trading.

A :class:`Panel` holds per-ticker matrices (returns, or open and close prices,
…) and calendar-wide series (factors) on one session calendar;
:func:`build_panel` makes it from long frames through the one mapping onto
sessions in :mod:`backtest.inputs`. Every observation is then located by its
ticker's row and its day 0's session index, and windows are read by fancy
indexing, ``matrix[row, day0 + offsets]``, which stacks N windows into one
``(N, L)`` array (NaN where there is no data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.inputs import place_on_sessions, session_index


@dataclass(frozen=True)
class Panel:
    """Per-ticker values and calendar series on the sessions.

    Attributes
    ----------
    days
        ``(T,)`` sessions as days since 1970-01-01, sorted.
    tickers
        Tickers of the rows, sorted.
    values
        ``(n_tickers, T)`` matrix per column of the input frame (``"ret"`` for the
        event study; ``"open"``, ``"close"`` for trading), NaN where missing.
    series
        ``(T,)`` calendar-wide series by name (the factor columns), NaN where missing.
    present
        ``(n_tickers, T)`` True where the input frame has a row.
    benchmark_row
        Row of the benchmark ticker (-1: not among the tickers).
    """

    days: IntArray
    tickers: tuple[str, ...]
    values: Mapping[str, FloatArray]
    series: Mapping[str, FloatArray]
    present: BoolArray
    benchmark_row: int

    @property
    def n_sessions(self) -> int:
        return int(self.days.shape[0])

    def first_rows(self) -> IntArray:
        """Per row: first session index with a row of the input (``T`` if none)."""
        has = self.present.any(axis=1)
        return np.where(has, np.argmax(self.present, axis=1), self.n_sessions).astype(np.int64)

    def last_rows(self) -> IntArray:
        """Per row: last session index with a row of the input (-1 if none)."""
        has = self.present.any(axis=1)
        last = self.n_sessions - 1 - np.argmax(self.present[:, ::-1], axis=1)
        return np.where(has, last, -1).astype(np.int64)


def build_panel(
    frame: pl.DataFrame,
    name: str,
    days: IntArray,
    columns: Sequence[str],
    *,
    benchmark: str,
    tickers: Sequence[str] | None = None,
    series: Mapping[str, FloatArray] | None = None,
    off_session: Literal["ignore", "error"] = "ignore",
) -> Panel:
    """The panel of the ``columns`` of a long ``ticker, date, ...`` frame on ``days``.

    See :func:`backtest.inputs.place_on_sessions` for ``tickers`` (default: the
    frame's, sorted), ``off_session`` and the errors; ``series`` are calendar
    series already on ``days`` (:func:`backtest.inputs.series_on_sessions`).
    """
    grid = place_on_sessions(frame, name, days, columns, tickers=tickers, off_session=off_session)
    return Panel(
        days=days,
        tickers=grid.tickers,
        values=grid.values,
        series=dict(series or {}),
        present=grid.present,
        benchmark_row=grid.tickers.index(benchmark) if benchmark in grid.tickers else -1,
    )


def locate(
    tickers: Sequence[str], has_data: BoolArray, days: IntArray, obs: pl.DataFrame
) -> tuple[IntArray, IntArray]:
    """Row of each observation's ticker (-1: no data) and session index of its day 0 (-1).

    ``tickers`` are the panel rows and ``has_data`` says which rows hold any
    value; ``obs`` has ``ticker`` and ``day0`` (nullable) columns.
    """
    lookup = pl.DataFrame(
        {
            "ticker": pl.Series(list(tickers), dtype=pl.String),
            "row": np.arange(len(tickers), dtype=np.int64),
        }
    )
    rows = (
        obs.select("ticker")
        .join(lookup, on="ticker", how="left", maintain_order="left")
        .get_column("row")
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )
    if rows.size:
        rows = np.where((rows >= 0) & has_data[np.maximum(rows, 0)], rows, -1)
    day0 = obs.get_column("day0")
    d = day0.cast(pl.Int32).fill_null(0).to_numpy().astype(np.int64)
    pos, exact = session_index(d, days)
    exact &= ~day0.is_null().to_numpy()
    return rows, np.where(exact, pos, -1)


def gather(
    matrix: FloatArray,
    rows: IntArray,
    index: IntArray,
    valid: BoolArray,
    *,
    first: IntArray | None = None,
) -> FloatArray:
    """``matrix[rows, index]`` with NaN where ``valid`` is False (rows broadcast over columns).

    ``first``: the caller's word that every row's ``index`` is the run ``first_i,
    first_i + 1, ...`` (a window of consecutive sessions); the same values are then
    copied row by row from a strided view of ``matrix``, about ten times faster than the
    fancy index (rows whose run leaves the calendar take the fancy index).
    """
    if matrix.shape[1] == 0:
        return np.full(index.shape, np.nan)
    r = np.maximum(rows, 0)
    width = index.shape[1]
    if first is not None and 0 < width <= matrix.shape[1]:
        start = np.clip(first, 0, matrix.shape[1] - width)
        out = np.lib.stride_tricks.sliding_window_view(matrix, width, axis=1)[r, start]
        edge = np.flatnonzero(start != first)
        if edge.size:
            c = np.clip(index[edge], 0, matrix.shape[1] - 1)
            out[edge] = matrix[r[edge, None], c]
    else:
        out = matrix[r[:, None], np.clip(index, 0, matrix.shape[1] - 1)]
    out[~valid] = np.nan
    return out


def gather_series(
    series: FloatArray, index: IntArray, valid: BoolArray, *, first: IntArray | None = None
) -> FloatArray:
    """``series[index]`` with NaN where ``valid`` is False; ``first`` as in :func:`gather`
    (the series as a one-row panel)."""
    rows = np.zeros(index.shape[0], dtype=np.int64)
    return gather(series[None, :], rows, index, valid, first=first)


def last_data_index(values: FloatArray, series: Sequence[FloatArray]) -> IntArray:
    """Per row of ``values``: last session where it and every one of ``series`` exist (-1)."""
    n, T = values.shape
    ok = np.isfinite(values)
    for s in series:
        ok &= np.isfinite(s)[None, :]
    if T == 0:
        return np.full(n, -1, dtype=np.int64)
    last = T - 1 - np.argmax(ok[:, ::-1], axis=1)
    return np.where(ok.any(axis=1), last, -1).astype(np.int64)
