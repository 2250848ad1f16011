"""What every chunk needs, built once per study, and its Parquet copy for workers.

:class:`SharedContext` holds the prepared panel (the measure's values and
calendar series, :class:`backtest.measures.base.MeasureData`), the study's
configuration and measure, the catalog positions (for confounding) and the
located observations. A chunk (:class:`ChunkSpec`) is a contiguous range of
observations in the engine's order (sorted by ``(event_id, ticker)``).

A worker on another machine does not get these arrays through the scheduler:
:meth:`SharedContext.save` writes them once to a directory (``panel.parquet``:
one row per ticker with its values as a fixed-size array; ``series.parquet``:
the calendar and its series; ``catalog.parquet``; ``events.parquet``: the
observations with their panel row, session and group code; ``context.pkl``:
the small objects, configuration and measure) and :func:`load_shared` reads
them back, keeping the events on disk: a worker reads only its chunk's rows.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from backtest._typing import IntArray
from backtest.blocks import Context
from backtest.engine import Prepared
from backtest.groups import Groups
from backtest.measures.base import MeasureData
from backtest.panel import last_data_index
from backtest.windows import clean_coverage

#: Columns added to the events frame in its Parquet copy.
_LOCATED = ("_row", "_pos", "_own", "_code")


@dataclass(frozen=True)
class ChunkSpec:
    """Observations ``start .. stop - 1`` of the study (engine order), chunk number ``index``."""

    index: int
    start: int
    stop: int


@dataclass(frozen=True)
class ChunkInput:
    """One chunk's observations: the events rows and where they sit on the panel."""

    events: pl.DataFrame
    rows: IntArray
    pos: IntArray
    own: IntArray
    codes: IntArray  # group code per observation


@dataclass
class SharedContext:
    """The study's context, shared by every chunk (see the module notes)."""

    ctx: Context  # layout.groups.codes is empty: each chunk brings its own
    labels: pl.Series | None  # group labels (None: one group)
    tickers: tuple[str, ...]
    catalog: pl.DataFrame
    n_obs: int
    events: pl.DataFrame | None = None  # in memory (local); None when read from events_path
    located: tuple[IntArray, IntArray, IntArray, IntArray] | None = None
    events_path: Path | None = None
    _catalog_index: _CatalogIndex = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._catalog_index = _CatalogIndex.of(self.catalog, self.ctx)

    @classmethod
    def of(cls, prep: Prepared) -> SharedContext:
        """From the engine's set-up (:func:`backtest.engine.prepare`)."""
        groups = prep.ctx.layout.groups
        layout = replace(prep.ctx.layout, groups=Groups(groups.labels, np.zeros(0, np.int64)))
        return cls(
            ctx=replace(prep.ctx, layout=layout),
            labels=groups.labels,
            tickers=prep.tickers,
            catalog=prep.catalog,
            n_obs=prep.events.height,
            events=prep.events,
            located=(prep.rows, prep.pos, prep.own, groups.codes),
        )

    def chunks(self, size: int) -> list[ChunkSpec]:
        """Consecutive chunks of at most ``size`` observations (one empty chunk for none)."""
        n = self.n_obs
        starts = range(0, max(n, 1), size)
        return [ChunkSpec(i, s, min(s + size, n)) for i, s in enumerate(starts)]

    def chunk(self, spec: ChunkSpec) -> ChunkInput:
        """The observations of ``spec``."""
        n = spec.stop - spec.start
        if self.events is not None and self.located is not None:
            part = slice(spec.start, spec.stop)
            rows, pos, own, codes = (a[part] for a in self.located)
            return ChunkInput(self.events.slice(spec.start, n), rows, pos, own, codes)
        if self.events_path is None:
            raise ValueError("a shared context needs its events, in memory or on disk")
        frame = pl.scan_parquet(self.events_path).slice(spec.start, n).collect()
        arrays = [frame.get_column(c).to_numpy().astype(np.int64) for c in _LOCATED]
        return ChunkInput(frame.drop(_LOCATED), *arrays)

    def catalog_for(self, events: pl.DataFrame, pos: IntArray) -> pl.DataFrame:
        """The catalog rows that can confound ``events`` (day 0 at sessions ``pos``): their
        tickers' rows with day 0 within the widest window of one of them, and the
        market-wide ones (:func:`backtest.windows.confounders` finds the same lists in them).

        The catalog is keyed once per study (``_CatalogIndex``), so a chunk costs
        ``O(chunk × log catalog)``, not a pass over the whole catalog.
        """
        return self.catalog[self._catalog_index.rows_for(events, pos)]

    def save(self, directory: Path) -> Path:
        """Write the Parquet copy into ``directory`` (created); returns it."""
        directory.mkdir(parents=True, exist_ok=True)
        data, layout = self.ctx.data, self.ctx.layout
        pl.DataFrame(
            {"ticker": list(self.tickers), "values": pl.Series(data.values)}
        ).write_parquet(directory / "panel.parquet")
        pl.DataFrame({"day": layout.days, **dict(data.series)}).write_parquet(
            directory / "series.parquet"
        )
        self.catalog.write_parquet(directory / "catalog.parquet")
        if self.events is not None and self.located is not None:
            cols = dict(zip(_LOCATED, self.located, strict=True))
            self.events.with_columns(
                *(pl.Series(c, v, dtype=pl.Int64) for c, v in cols.items())
            ).write_parquet(directory / "events.parquet")
        small: dict[str, Any] = {
            "config": self.ctx.config,
            "measure": self.ctx.measure,
            "layout": layout,
            "labels": self.labels,
            "n_obs": self.n_obs,
            "benchmark_row": data.benchmark_row,
            "series": list(data.series),
        }
        with (directory / "context.pkl").open("wb") as f:
            pickle.dump(small, f, protocol=pickle.HIGHEST_PROTOCOL)
        return directory


@dataclass(frozen=True)
class _CatalogIndex:
    """The catalog keyed by ``(ticker, session)`` (sorted), and its market-wide rows."""

    tickers: pl.DataType  # an Enum of the catalog's tickers
    stride: int
    keys: IntArray  # ticker code · stride + session, sorted
    order: IntArray  # the catalog row of each key
    wide: IntArray  # the rows of a market-wide category
    lo: int  # the widest window's first and last relative day
    hi: int
    n_rows: int

    @classmethod
    def of(cls, catalog: pl.DataFrame, ctx: Context) -> _CatalogIndex:
        config = ctx.config
        windows = [*config.windows, config.event_period]
        lo, hi = min(a for a, _ in windows), max(b for _, b in windows)
        tickers = pl.Enum(catalog.get_column("ticker").unique().sort().drop_nulls().to_list())
        stride = ctx.layout.n_sessions + abs(lo) + abs(hi) + 2
        code = catalog.get_column("ticker").cast(tickers).to_physical().to_numpy()
        keys = code.astype(np.int64) * stride + catalog.get_column("pos").to_numpy()
        order = np.argsort(keys, kind="stable")
        wide = config.market_wide_categories
        is_wide = (
            catalog.get_column("category").is_in(list(wide)).fill_null(False).to_numpy()
            if wide
            else np.zeros(catalog.height, bool)
        )
        return cls(
            tickers, stride, keys[order], order, np.flatnonzero(is_wide), lo, hi, catalog.height
        )

    def rows_for(self, events: pl.DataFrame, pos: IntArray) -> IntArray:
        """Sorted catalog rows: the tickers' within ``[pos + lo, pos + hi]``, and the wide."""
        code = events.get_column("ticker").cast(self.tickers, strict=False).to_physical()
        here = code.is_not_null().to_numpy() & (pos >= 0)
        key = code.fill_null(0).to_numpy().astype(np.int64)[here] * self.stride + pos[here]
        left = np.searchsorted(self.keys, key + self.lo, side="left")
        right = np.searchsorted(self.keys, key + self.hi, side="right")
        size = self.keys.size + 1
        cover = np.bincount(left, minlength=size) - np.bincount(right, minlength=size)
        near = self.order[np.cumsum(cover[:-1]) > 0]
        keep = np.zeros(self.n_rows, bool)
        keep[near] = True
        keep[self.wide] = True
        return np.flatnonzero(keep)


def load_shared(directory: Path) -> SharedContext:
    """Read a context written by :meth:`SharedContext.save` (events stay on disk)."""
    with (directory / "context.pkl").open("rb") as f:
        small = pickle.load(f)  # written by SharedContext.save of this package
    panel = pl.read_parquet(directory / "panel.parquet")
    series_frame = pl.read_parquet(directory / "series.parquet")
    tickers = tuple(panel.get_column("ticker").to_list())
    values = np.ascontiguousarray(panel.get_column("values").to_numpy(), dtype=np.float64)
    T = series_frame.height
    values = values.reshape(len(tickers), T)
    series = {n: series_frame.get_column(n).to_numpy().astype(np.float64) for n in small["series"]}
    data = MeasureData(values=values, series=series, benchmark_row=small["benchmark_row"])
    config, measure, layout = small["config"], small["measure"], small["layout"]
    catalog = pl.read_parquet(directory / "catalog.parquet")
    model = measure.model
    ctx = Context(
        layout=layout,
        data=data,
        config=config,
        measure=measure,
        coverage=clean_coverage(
            catalog, panel_tickers=tickers, n_sessions=T, event_period=config.event_period
        )
        if config.clean_estimation
        else None,
        last_data=last_data_index(data.values, [data.series[n] for n in model.needs]),
    )
    return SharedContext(
        ctx=ctx,
        labels=small["labels"],
        tickers=tickers,
        catalog=catalog,
        n_obs=small["n_obs"],
        events_path=directory / "events.parquet",
    )


__all__ = ["ChunkInput", "ChunkSpec", "SharedContext", "load_shared"]
