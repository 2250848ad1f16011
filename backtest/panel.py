"""The dense ticker × session panel and the gathers that stack observations.

Every observation is located by its ticker's row and its day 0's session index;
windows are then read by fancy indexing, ``matrix[row, day0 + offsets]``, which
stacks N windows into one ``(N, L)`` array (NaN where there is no data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray, ReturnKind
from backtest.errors import InputSchemaError


@dataclass(frozen=True)
class Panel:
    """Returns on the session calendar.

    Attributes
    ----------
    days
        ``(T,)`` sessions as days since 1970-01-01, sorted.
    tickers
        Tickers of the rows of ``ret``, sorted.
    ret
        ``(n_tickers, T)`` returns in the study's kind (simple, or ``ln(1 + R)``),
        NaN where missing.
    series
        ``(T,)`` daily series by name: ``market`` (the benchmark's return, same
        kind), ``rf`` (same kind), ``market_excess`` and the factor columns (as given).
    benchmark_row
        Row of the benchmark ticker in ``ret`` (-1: absent).
    """

    days: IntArray
    tickers: list[str]
    ret: FloatArray
    series: dict[str, FloatArray]
    benchmark_row: int

    @property
    def n_sessions(self) -> int:
        return int(self.days.shape[0])


def build_panel(
    returns: pl.DataFrame,
    days: IntArray,
    *,
    benchmark: str,
    factors: pl.DataFrame | None,
    factor_columns: Sequence[str],
    return_kind: ReturnKind,
) -> Panel:
    """Pivot the long ``returns`` frame onto the calendar (rows off the calendar are ignored).

    ``return_kind="log"`` stores ``ln(1 + R)`` (NaN when ``R <= −1``) for the
    tickers and ``ln(1 + rf)`` for the risk-free rate; factor returns are used as given.
    """
    T = days.shape[0]
    tickers = sorted(returns.get_column("ticker").unique().to_list())
    enum = pl.Enum(tickers)
    codes = returns.get_column("ticker").cast(enum).to_physical().to_numpy().astype(np.int64)
    rdays = returns.get_column("date").cast(pl.Int32).to_numpy().astype(np.int64)
    vals = returns.get_column("ret").to_numpy(allow_copy=True).astype(np.float64)
    vals = np.where(np.isnan(vals), np.nan, vals)
    pos = np.searchsorted(days, rdays)
    on_cal = (pos < T) & (days[np.minimum(pos, T - 1)] == rdays) if T else np.zeros(0, bool)
    cell = codes[on_cal] * T + pos[on_cal]
    written = np.zeros(len(tickers) * T, dtype=bool)
    written[cell] = True
    if np.count_nonzero(written) < cell.size:  # two rows wrote the same cell
        dup = returns.filter(pl.struct("ticker", "date").is_duplicated())
        raise InputSchemaError(
            f"returns has {dup.height} rows with a duplicate (ticker, date), e.g. "
            f"{dup.row(0, named=True) if dup.height else ''}; keep one row per key",
            frame="returns",
            column="date",
        )
    ret = np.full((len(tickers), T), np.nan)
    ret[codes[on_cal], pos[on_cal]] = vals[on_cal]
    if return_kind == "log":
        with np.errstate(invalid="ignore", divide="ignore"):
            ret = np.where(ret > -1.0, np.log1p(ret), np.nan)
    # a ticker whose returns are all missing has none
    series: dict[str, FloatArray] = {}
    brow = tickers.index(benchmark) if benchmark in tickers else -1
    series["market"] = ret[brow].copy() if brow >= 0 else np.full(T, np.nan)
    if factors is not None:
        fdays = factors.get_column("date").cast(pl.Int32).to_numpy().astype(np.int64)
        fpos = np.searchsorted(days, fdays)
        fok = (fpos < T) & (days[np.minimum(fpos, T - 1)] == fdays) if T else np.zeros(0, bool)
        for col in factor_columns:
            arr = np.full(T, np.nan)
            v = factors.get_column(col).to_numpy(allow_copy=True).astype(np.float64)
            arr[fpos[fok]] = v[fok]
            if col == "rf" and return_kind == "log":
                with np.errstate(invalid="ignore", divide="ignore"):
                    arr = np.where(arr > -1.0, np.log1p(arr), np.nan)
            series[col] = arr
        if "rf" in series:
            series["market_excess"] = series["market"] - series["rf"]
    return Panel(days=days, tickers=tickers, ret=ret, series=series, benchmark_row=brow)


def locate(
    panel: Panel, tickers: pl.Series, day0: pl.Series
) -> tuple[IntArray, IntArray, BoolArray]:
    """Row in the panel (-1: no returns) and session index of day 0 (-1: not a session).

    Returns the rows, the positions and whether day 0 lies within the calendar span
    at all (``in_span``).
    """
    T = panel.n_sessions
    lookup = pl.DataFrame(
        {"ticker": panel.tickers, "row": np.arange(len(panel.tickers), dtype=np.int64)}
    )
    has_data = np.zeros(len(panel.tickers), dtype=bool)
    if T:
        has_data = np.asarray(np.isfinite(panel.ret).any(axis=1), dtype=bool)
    rows = (
        pl.DataFrame({"ticker": tickers})
        .join(lookup, on="ticker", how="left", maintain_order="left")
        .get_column("row")
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )
    rows = np.where(rows >= 0, rows, -1)
    rows = np.where((rows >= 0) & has_data[np.maximum(rows, 0)], rows, -1) if rows.size else rows
    dnull = day0.is_null().to_numpy()
    d = day0.cast(pl.Int32).fill_null(0).to_numpy().astype(np.int64)
    pos = np.searchsorted(panel.days, d)
    if T:
        exact = (pos < T) & (panel.days[np.minimum(pos, T - 1)] == d) & ~dnull
    else:
        exact = np.zeros(d.shape, bool)
    pos = np.where(exact, pos, -1)
    return rows, pos, exact


def gather(matrix: FloatArray, rows: IntArray, index: IntArray, valid: BoolArray) -> FloatArray:
    """``matrix[rows, index]`` with NaN where ``valid`` is False (rows broadcast over columns)."""
    if matrix.shape[1] == 0:
        return np.full(index.shape, np.nan)
    r = np.maximum(rows, 0)
    c = np.clip(index, 0, matrix.shape[1] - 1)
    out = matrix[r[:, None], c]
    out[~valid] = np.nan
    return out


def gather_series(series: FloatArray, index: IntArray, valid: BoolArray) -> FloatArray:
    """``series[index]`` with NaN where ``valid`` is False."""
    if series.shape[0] == 0:
        return np.full(index.shape, np.nan)
    out = series[np.clip(index, 0, series.shape[0] - 1)]
    out[~valid] = np.nan
    return out


def last_data_index(panel: Panel, needs: Sequence[str]) -> IntArray:
    """Per panel row: last session where its return and every needed series exist (-1: none)."""
    T = panel.n_sessions
    ok = np.isfinite(panel.ret)
    for name in needs:
        ok &= np.isfinite(panel.series[name])[None, :]
    if T == 0:
        return np.full(len(panel.tickers), -1, dtype=np.int64)
    rev = ok[:, ::-1]
    last = T - 1 - np.argmax(rev, axis=1)
    return np.where(ok.any(axis=1), last, -1).astype(np.int64)
