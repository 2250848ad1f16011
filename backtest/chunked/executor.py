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

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from backtest.chunked.chunk import ParquetSink, run_chunk
from backtest.chunked.context import ChunkSpec, SharedContext
from backtest.chunked.sums import ChunkSums
from backtest.errors import ConfigError


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
    """Every chunk in this process (the default): one after the other, or ``threads`` at a
    time (numpy and polars release the GIL in their loops; each chunk in flight adds its
    working memory, a few hundred MB at the default chunk size)."""

    name = "local"

    def __init__(self, threads: int = 1) -> None:
        if threads < 1:
            raise ConfigError(f"threads = {threads}: use at least 1", parameter="threads")
        self.threads = threads

    def map_chunks(
        self, shared: SharedContext, chunks: Sequence[ChunkSpec], sink: ParquetSink
    ) -> Iterator[ChunkSums]:
        if self.threads == 1:
            for spec in chunks:
                yield run_chunk(shared, spec, sink)
            return
        with ThreadPoolExecutor(self.threads, thread_name_prefix="chunk") as pool:
            pending: deque[Future[ChunkSums]] = deque()
            for spec in chunks:
                pending.append(pool.submit(run_chunk, shared, spec, sink))
                if len(pending) >= self.threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()


__all__ = ["Executor", "LocalExecutor"]
