"""The executor seam: who runs the chunk map.

An :class:`Executor` runs :func:`backtest.chunked.chunk.run_chunk` over every
chunk and yields the chunks' sums **in chunk order** (the merge adds floating
point sums in that order, so every executor gives the same numbers, bit for
bit). :class:`LocalExecutor`, the default, runs them one after the other in
this process from the context in memory and needs nothing extra. The
distributed one (Dask) is runtime wiring and lives in
``jobs.runtime.cluster.DaskExecutor``: it saves the context as Parquet
(:meth:`backtest.chunked.context.SharedContext.save`) and has the workers run
:func:`backtest.chunked.chunk.run_chunk_at` from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from backtest.chunked.chunk import ParquetSink, run_chunk
from backtest.chunked.context import ChunkSpec, SharedContext
from backtest.chunked.sums import ChunkSums


class Executor(Protocol):
    """Runs the chunk map; see the module notes."""

    #: Name in messages and in the benchmark's output (``"local"``, ``"dask"``).
    name: str

    def map_chunks(
        self, shared: SharedContext, chunks: Sequence[ChunkSpec], sink: ParquetSink
    ) -> Iterator[ChunkSums]:
        """``run_chunk(shared, chunk, sink)`` for every chunk, yielded in chunk order."""
        ...


class LocalExecutor:
    """Every chunk in this process, one after the other (the default)."""

    name = "local"

    def map_chunks(
        self, shared: SharedContext, chunks: Sequence[ChunkSpec], sink: ParquetSink
    ) -> Iterator[ChunkSums]:
        for spec in chunks:
            yield run_chunk(shared, spec, sink)


__all__ = ["Executor", "LocalExecutor"]
