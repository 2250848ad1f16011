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
    _market_wide: pl.DataFrame | None = field(default=None, repr=False)

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

    def catalog_for(self, events: pl.DataFrame) -> pl.DataFrame:
        """The catalog rows that can confound ``events``: their tickers' and the market-wide
        ones (:func:`backtest.windows.confounders` finds the same lists in them)."""
        wide = self.ctx.config.market_wide_categories
        tickers = events.get_column("ticker").unique()
        keep = pl.col("ticker").is_in(tickers.implode())
        if wide:
            keep = keep | pl.col("category").is_in(list(wide)).fill_null(False)
        return self.catalog.filter(keep)

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
