"""The result of a chunked study: cross-event frames in memory, per-event frames on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from backtest.chunked.chunk import EMPTY_STRUCT
from backtest.config import EventStudyConfig
from backtest.errors import OutputError
from backtest.result import EventStudyResult


@dataclass(frozen=True)
class ChunkedStudyResult:
    """What :func:`backtest.chunked.run_event_study_chunked` measured.

    Attributes
    ----------
    config
        The configuration used.
    directory
        Where the per-event frames are: ``<directory>/<name>/part-NNNNNN.parquet``,
        one file per chunk, in the engine's order (by ``event_id, ticker``); also
        ``tests.parquet`` and one ``<name>.parquet`` per average frame.
    per_event
        Names of the per-event frames (for returns: ``diagnostics, ar, car, car_path``),
        with the columns of :class:`~backtest.EventStudyResult`'s frames.
    tests, averages, rbar
        As :class:`~backtest.EventStudyResult`'s ``tests``, ``aar`` (by name) and ``rbar``.
    n_obs, n_chunks, executor
        Observations, chunks, and the executor that ran them.
    """

    config: EventStudyConfig
    directory: Path
    per_event: tuple[str, ...]
    tests: pl.DataFrame
    averages: dict[str, pl.DataFrame]
    rbar: float | None
    n_obs: int
    n_chunks: int
    executor: str

    def scan(self, name: str) -> pl.LazyFrame:
        """A per-event frame as a lazy scan of its Parquet parts (filter before collecting)."""
        if name not in self.per_event:
            raise OutputError(
                f"no per-event frame {name!r}; the study wrote {', '.join(self.per_event)}",
                path=str(self.directory / name),
            )
        scan = pl.scan_parquet(self.directory / name / "part-*.parquet")
        empty = [c for c, t in scan.collect_schema().items() if t == EMPTY_STRUCT]
        return scan.with_columns(pl.lit(None, dtype=pl.Struct({})).alias(c) for c in empty)

    def to_result(self) -> EventStudyResult:
        """Every frame in memory, as the in-memory engine's result (for studies that fit)."""
        frames = {name: self.scan(name).collect() for name in self.per_event}
        return EventStudyResult(
            config=self.config,
            tests=self.tests,
            rbar=self.rbar,
            aar=self.averages["aar"],
            **frames,
        )


__all__ = ["ChunkedStudyResult"]
