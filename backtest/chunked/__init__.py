"""The chunked engine: an event study of any size in bounded memory, locally or on a cluster.

``run_event_study_chunked(events, returns, config, directory=...)`` gives the
numbers of :func:`backtest.run_event_study` with the per-event frames written
to Parquet chunk by chunk; ``executor=`` chooses who runs the chunks
(:class:`LocalExecutor` by default; ``jobs.runtime.cluster.DaskExecutor`` for a
Dask cluster). ``docs/scaling.md`` explains the design.
"""

from backtest.chunked.context import ChunkSpec, SharedContext
from backtest.chunked.executor import Executor, LocalExecutor
from backtest.chunked.result import ChunkedStudyResult
from backtest.chunked.run import CHUNK, run_event_study_chunked, study_chunked

__all__ = [
    "CHUNK",
    "ChunkSpec",
    "ChunkedStudyResult",
    "Executor",
    "LocalExecutor",
    "SharedContext",
    "run_event_study_chunked",
    "study_chunked",
]
