"""Measure one chunk: per-event frames to Parquet, cross-event sums back to the caller.

:func:`run_chunk` is the map of the chunked engine. It measures the chunk's
observations exactly as :func:`backtest.engine.study` measures all of them
(the same blocks, :func:`backtest.blocks.measure_all`), writes the measure's
per-event frames (those keyed by ``event_id``) and a side file of the
per-observation numbers the finishing step reads back (:mod:`backtest.chunked.finish`),
and returns the chunk's :class:`~backtest.chunked.sums.ChunkSums`.

:func:`run_chunk_at` is the same map for a worker that has only the directory
of a saved :class:`~backtest.chunked.context.SharedContext` (read once per
worker process and kept).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from backtest.blocks import measure_all
from backtest.chunked.context import ChunkSpec, SharedContext, load_shared
from backtest.chunked.sums import ChunkSums, KeptCalendarSums
from backtest.crossevent import CrossEventAccumulator
from backtest.errors import OutputError
from backtest.frames import average_moments
from backtest.groups import Groups
from backtest.windows import confounders

#: Names of the side files of a chunk (``_work/part-NNNNNN/<name>.npy``).
WORK_KEYS = (
    "codes",
    "car",
    "var_car",
    "dof",
    "bhar",
    "w_code",
    "s2",
    "n_est",
    "ar",
    "var_ar",
    "g_index",
    "g_z",
    "g_L",
    "g_sizes",
)


#: How a struct column without fields (``params`` of a model without parameters) is stored.
EMPTY_STRUCT = pl.Struct({"_empty": pl.Boolean()})


class ParquetSink:
    """Where a chunked study writes: ``<directory>/<frame>/part-NNNNNN.parquet`` per chunk,
    and the side files ``<directory>/_work/part-NNNNNN/<name>.npy`` (plain ``.npy``:
    written without a copy, read back memory-mapped).

    ``directory`` must be new or empty (a previous run is never overwritten); on a
    cluster it must be a path every worker can write (a shared file system).
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def claim(self) -> None:
        """Create the directory, refusing a file or a directory that holds anything."""
        self.check()
        (self.directory / "_work").mkdir(parents=True, exist_ok=True)

    def check(self) -> None:
        """Refuse a file or a directory that holds anything (creates nothing)."""
        d = self.directory
        if d.exists() and not d.is_dir():
            raise OutputError(
                f"output directory {str(d)!r} is a file; give a new or empty directory",
                path=str(d),
            )
        if d.is_dir() and any(d.iterdir()):
            raise OutputError(
                f"output directory {str(d)!r} is not empty (a previous run?); give a new or "
                "empty directory, or remove it first",
                path=str(d),
            )

    def part(self, name: str, index: int, suffix: str = "parquet") -> Path:
        folder = self.directory / name
        folder.mkdir(exist_ok=True)
        return folder / f"part-{index:06d}.{suffix}"

    def write(self, index: int, frames: dict[str, pl.DataFrame]) -> None:
        for name, frame in frames.items():
            empty = [c for c, t in frame.schema.items() if t == pl.Struct({})]
            if empty:  # Parquet has no struct without fields: a placeholder field, all null
                frame = frame.with_columns(pl.lit(None, dtype=EMPTY_STRUCT).alias(c) for c in empty)
            # lz4: uncompressed parts write with 12% less CPU (the floats barely compress) but
            # left ~300 MB held by the allocators at 5M events (docs/scaling.md)
            frame.write_parquet(self.part(name, index), compression="lz4")

    def write_work(self, index: int, arrays: dict[str, np.ndarray | list[np.ndarray]]) -> None:
        """One ``.npy`` per array; a list is written as its concatenation (without forming it)."""
        folder = self.directory / "_work" / f"part-{index:06d}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, value in arrays.items():
            pieces = value if isinstance(value, list) else [value]
            pieces = [np.ascontiguousarray(a) for a in pieces]
            first = pieces[0]
            rows = sum(a.shape[0] for a in pieces)
            with (folder / f"{name}.npy").open("wb") as f:
                header = np.lib.format.header_data_from_array_1_0(first)
                header["shape"] = (rows, *first.shape[1:])
                np.lib.format.write_array_header_1_0(f, header)
                for a in pieces:
                    f.write(a.data)

    def work_parts(self) -> list[Path]:
        return sorted(p for p in (self.directory / "_work").glob("part-*") if p.is_dir())


def run_chunk(shared: SharedContext, spec: ChunkSpec, sink: ParquetSink) -> ChunkSums:
    """Measure the observations of ``spec``, write their frames, return their sums.

    The measure's frames with an ``event_id`` column are per-event and go to the sink;
    the others are average frames (:func:`backtest.frames.average_frame`, ``aar`` for
    returns), of which the chunk returns the sufficient statistics.
    """
    part = shared.chunk(spec)
    base = shared.ctx
    config, measure = base.config, base.measure
    groups = Groups(shared.labels, part.codes)
    layout = replace(base.layout, groups=groups)
    ctx = replace(base, layout=layout)
    acc = CrossEventAccumulator(
        config, layout.n_sessions, layout.est_rel.size, layout.ev_rel.size, groups
    )
    acc.r_total = [KeptCalendarSums(groups.n_groups, acc.T) for _ in config.windows]
    measured = measure_all(ctx, part.rows, part.pos, part.own, acc.add)
    conf = confounders(
        part.events,
        part.pos,
        shared.catalog_for(part.events, part.pos),
        n_sessions=layout.n_sessions,
        windows=[*config.windows, config.event_period],
        market_wide=config.market_wide_categories,
    )
    frames = measure.frames(part.events, layout, measured, conf)
    per_event = {k: f for k, f in frames.items() if "event_id" in f.columns}
    names = {
        k: tuple(c for c in f.columns if c not in ("group", "rel_day", "n", "t", "p"))
        for k, f in frames.items()
        if k not in per_event
    }
    averages = {k: average_moments(layout, measured) for k in names}
    del frames
    sink.write(spec.index, per_event)
    del per_event
    bhar = measured.extra.get("bhar", np.full(measured.car.shape, np.nan))
    local = [np.zeros(0, np.int64), *acc.g_index]
    sink.write_work(
        spec.index,
        {
            "codes": part.codes,
            "car": measured.car,
            "var_car": measured.var_car,
            "dof": measured.dof,
            "bhar": bhar,
            "w_code": measured.w_code.astype(np.int8),
            "s2": measured.s2,
            "n_est": measured.n_est.astype(np.float64),
            "ar": measured.ar,
            "var_ar": measured.var_ar,
            "g_index": spec.start + np.concatenate(local),
            "g_z": [np.zeros((0, layout.est_rel.size)), *acc.g_z],
            "g_L": np.concatenate([np.zeros(0), *acc.g_L]),
            "g_sizes": np.asarray([a.size for a in acc.g_index], dtype=np.int64),
        },
    )
    return ChunkSums.of(spec.index, spec.stop - spec.start, acc, averages, names)


_LOADED: dict[str, SharedContext] = {}


def run_chunk_at(directory: str, spec: ChunkSpec, sink: ParquetSink) -> ChunkSums:
    """:func:`run_chunk` from a saved context (read on first use in this process, then kept)."""
    shared = _LOADED.get(directory)
    if shared is None:
        _LOADED.clear()  # one study at a time per worker
        shared = _LOADED[directory] = load_shared(Path(directory))
    return run_chunk(shared, spec, sink)


__all__ = ["EMPTY_STRUCT", "WORK_KEYS", "ParquetSink", "run_chunk", "run_chunk_at"]
