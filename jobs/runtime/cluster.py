"""The chunk map of the chunked engine on a Dask cluster (``pip install 'market-reaction[cluster]'``).

:class:`DaskExecutor` is the second implementation of
:class:`backtest.chunked.executor.Executor`. It writes the study's context once
as Parquet (:meth:`backtest.chunked.context.SharedContext.save`, into
``<output>/_shared``), then submits one task per chunk,
``run_chunk_at(<output>/_shared, chunk, sink)``: each worker process reads the
context on its first task and keeps it, reads only its chunk's rows of
``events.parquet``, writes the chunk's per-event frames and side file into the
output directory and returns the chunk's sums (a few kB), which come back in
chunk order. The output directory must therefore be a path every worker can
read and write (on one machine it is; on several, a shared file system).

Dask is imported here only, and only when an executor runs, so ``import jobs``
and the local engine never need it. ``docs/scaling.md`` says why Dask (not Ray).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from backtest.chunked.chunk import ParquetSink, run_chunk_at
from backtest.chunked.context import ChunkSpec, SharedContext
from backtest.chunked.sums import ChunkSums
from jobs.errors import UsageError

EXTRA_HINT = "install the cluster extra: pip install 'market-reaction[cluster]'"


def _distributed() -> Any:
    """The ``distributed`` module, or a usage error that says how to install it."""
    try:
        import distributed
    except ImportError as exc:  # the optional extra is not installed
        raise UsageError(f"the Dask executor needs dask.distributed; {EXTRA_HINT}") from exc
    return distributed


class DaskExecutor:
    """Run the chunks on a Dask cluster.

    Parameters
    ----------
    address
        Scheduler address (``"tcp://host:8786"``) of a running cluster.
    client
        A ``distributed.Client`` already connected (used as is, not closed).
    n_workers
        Without ``address`` or ``client``: start a local cluster of that many
        single-threaded worker processes for the run, and close it after.
    """

    name = "dask"

    def __init__(
        self, address: str | None = None, *, client: Any = None, n_workers: int = 2
    ) -> None:
        if address is not None and client is not None:
            raise UsageError("give the Dask executor an address or a client, not both")
        if n_workers < 1:
            raise UsageError(f"n_workers = {n_workers}: a local cluster needs at least one worker")
        self.address, self.client, self.n_workers = address, client, n_workers

    def map_chunks(
        self, shared: SharedContext, chunks: Sequence[ChunkSpec], sink: ParquetSink
    ) -> Iterator[ChunkSums]:
        """``run_chunk_at`` on the workers for every chunk, results in chunk order."""
        directory = str(shared.save(sink.directory / "_shared"))
        distributed = _distributed()
        if self.client is not None:
            yield from self._run(self.client, directory, chunks, sink)
        elif self.address is not None:
            with distributed.Client(self.address) as client:
                yield from self._run(client, directory, chunks, sink)
        else:
            with (
                distributed.LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                yield from self._run(client, directory, chunks, sink)

    @staticmethod
    def _run(
        client: Any, directory: str, chunks: Sequence[ChunkSpec], sink: ParquetSink
    ) -> Iterator[ChunkSums]:
        n = len(chunks)
        futures = client.map(run_chunk_at, [directory] * n, list(chunks), [sink] * n, pure=False)
        for future in futures:
            sums: ChunkSums = future.result()
            future.release()
            yield sums


__all__ = ["DaskExecutor"]
