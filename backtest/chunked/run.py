"""The chunked engine: :func:`run_event_study_chunked` and :func:`study_chunked`.

Same inputs and numbers as :func:`backtest.run_event_study`, for any number of
events: the observations are measured in chunks of :data:`CHUNK` (by an
:class:`~backtest.chunked.executor.Executor`: this process by default, a Dask
cluster with ``jobs.runtime.cluster.DaskExecutor``); each chunk's per-event
frames go to Parquet as it finishes, and the cross-event tests come from the
chunks' merged sums (:mod:`backtest.chunked.sums`) and the side files
(:mod:`backtest.chunked.finish`). The working memory is the panel, the located
observations and one chunk, plus about ``(3 W + 2) × 8`` bytes per observation
for the finishing step. ``docs/scaling.md`` has the design and the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl

from backtest.chunked.chunk import ParquetSink
from backtest.chunked.context import SharedContext
from backtest.chunked.executor import Executor, LocalExecutor
from backtest.chunked.finish import finish
from backtest.chunked.result import ChunkedStudyResult
from backtest.chunked.sums import ChunkSums
from backtest.config import EventStudyConfig
from backtest.engine import prepare
from backtest.errors import ConfigError
from backtest.measures import Measure, Returns
from backtest.models import get_model

#: Observations per chunk (16 engine blocks): a few hundred MB of working memory.
CHUNK = 65_536


def run_event_study_chunked(
    events: pl.DataFrame,
    returns: pl.DataFrame,
    config: EventStudyConfig | None = None,
    *,
    directory: Path | str,
    executor: Executor | None = None,
    chunk_size: int = CHUNK,
    factors: pl.DataFrame | None = None,
    sessions: Sequence[date] | pl.Series | None = None,
    catalog: pl.DataFrame | None = None,
) -> ChunkedStudyResult:
    """:func:`backtest.run_event_study` in chunks, per-event frames written to ``directory``.

    Parameters
    ----------
    events, returns, config, factors, sessions, catalog
        As for :func:`backtest.run_event_study`.
    directory
        A new or empty directory (on a cluster: one every worker can write).
    executor
        Runs the chunks (default :class:`~backtest.chunked.executor.LocalExecutor`).
    chunk_size
        Observations per chunk (at least 1).

    Returns
    -------
    ChunkedStudyResult
        ``tests``, ``aar`` and ``rbar`` in memory, equal to the in-memory engine's
        to rounding (sums are added chunk by chunk); the per-event frames as Parquet
        (:meth:`~backtest.chunked.result.ChunkedStudyResult.scan`), equal to its frames.

    Raises
    ------
    InputSchemaError
        As :func:`backtest.run_event_study`.
    OutputError
        ``directory`` is a file or not empty.
    ConfigError
        ``chunk_size`` is below 1.
    """
    config = config if config is not None else EventStudyConfig()
    measure = Returns(config, get_model(config.model))
    return study_chunked(
        measure,
        events,
        returns,
        directory=directory,
        executor=executor,
        chunk_size=chunk_size,
        factors=factors,
        sessions=sessions,
        catalog=catalog,
    )


def study_chunked(
    measure: Measure,
    events: pl.DataFrame,
    values: pl.DataFrame,
    *,
    directory: Path | str,
    executor: Executor | None = None,
    chunk_size: int = CHUNK,
    factors: pl.DataFrame | None = None,
    sessions: Sequence[date] | pl.Series | None = None,
    catalog: pl.DataFrame | None = None,
) -> ChunkedStudyResult:
    """:func:`backtest.engine.study` in chunks (any measure); see :func:`run_event_study_chunked`."""
    if chunk_size < 1:
        raise ConfigError(
            f"chunk_size = {chunk_size}: a chunk needs at least one observation; use e.g. "
            f"chunk_size={CHUNK}",
            parameter="chunk_size",
        )
    sink = ParquetSink(directory)
    sink.check()  # before the set-up's work; created after it, so bad inputs leave nothing
    prep = prepare(measure, events, values, factors=factors, sessions=sessions, catalog=catalog)
    sink.claim()
    shared = SharedContext.of(prep)
    del prep
    chunks = shared.chunks(chunk_size)
    runner = executor if executor is not None else LocalExecutor()
    merged: ChunkSums | None = None
    for sums in runner.map_chunks(shared, chunks, sink):
        merged = sums if merged is None else merged.merge(sums)
    if merged is None or merged.n_obs != shared.n_obs:
        raise RuntimeError(f"executor {runner.name!r} did not return every chunk")
    tests, rbar, averages = finish(shared, merged, sink)
    tests.write_parquet(sink.directory / "tests.parquet")
    for name, frame in averages.items():
        frame.write_parquet(sink.directory / f"{name}.parquet")
    per_event = tuple(
        n for n in measure.frame_names if n not in averages and (sink.directory / n).is_dir()
    )
    return ChunkedStudyResult(
        config=measure.config,
        directory=sink.directory,
        per_event=per_event,
        tests=tests,
        averages=averages,
        rbar=rbar,
        n_obs=shared.n_obs,
        n_chunks=len(chunks),
        executor=runner.name,
    )


__all__ = ["CHUNK", "run_event_study_chunked", "study_chunked"]
