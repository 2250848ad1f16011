"""The cross-event tests of a chunked study, from the merged sums and the side files.

The merged :class:`~backtest.chunked.sums.ChunkSums` go into a fresh
:class:`backtest.crossevent.CrossEventAccumulator`, whose ``finish`` makes the
tests frame exactly as the in-memory engine does. What is not a sum is read
back from the chunks' side files:

* the per-observation window numbers (``car, var_car, bhar``, the window
  status and ``dof``: about ``(3 W + 2) × 8`` bytes per observation, the one part
  of the finishing step that grows with N): the cross-sectional moments and the
  rank tests (Wilcoxon's ranks of ``|CAR|`` over all observations, GRANK's
  ``sd(SCAR)``) need them;
* GRANK's standardised estimation residuals, chunk by chunk (a lazy sequence,
  :class:`Spilled`): their ranks against ``SCAR*`` need ``sd(SCAR)`` of the whole
  sample first, so they wait on disk for the second pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from backtest.chunked.chunk import ParquetSink
from backtest.chunked.context import SharedContext
from backtest.chunked.sums import ChunkSums
from backtest.crossevent import CrossEventAccumulator
from backtest.errors import OutputError
from backtest.frames import average_table
from backtest.groups import Groups


class Spilled(list[np.ndarray]):
    """A list of one side-file array per chunk, read from disk as it is iterated.

    Stands for the accumulator's per-block GRANK lists (``g_index``, ``g_z``,
    ``g_L``), which :meth:`CrossEventAccumulator.finish` only iterates.
    """

    def __init__(self, parts: list[Path], key: str) -> None:
        super().__init__()
        self.parts, self.key = parts, key

    def __iter__(self) -> Iterator[np.ndarray]:
        for path in self.parts:
            with np.load(path) as z:
                yield z[self.key]

    def __len__(self) -> int:
        return len(self.parts)


def finish(
    shared: SharedContext, sums: ChunkSums, sink: ParquetSink
) -> tuple[pl.DataFrame, float | None, dict[str, pl.DataFrame]]:
    """The tests frame, r̄ and the average frames (``aar``) of the whole study."""
    ctx = shared.ctx
    config, layout = ctx.config, ctx.layout
    parts = sink.work_parts()
    N, W = shared.n_obs, len(config.windows)
    codes = np.zeros(N, np.int64)
    car, var_car, bhar = (np.empty((N, W)) for _ in range(3))
    w_code = np.empty((N, W), np.int64)
    dof = np.empty(N)
    start = 0
    for path in parts:
        with np.load(path) as z:
            n = z["codes"].shape[0]
            at = slice(start, start + n)
            codes[at], dof[at] = z["codes"], z["dof"]
            car[at], var_car[at], bhar[at], w_code[at] = (
                z["car"],
                z["var_car"],
                z["bhar"],
                z["w_code"],
            )
            start += n
    if start != N:
        raise OutputError(
            f"the side files in {str(sink.directory / '_work')!r} hold {start} observations, "
            f"the study {N}; a chunk is missing: run the study again into an empty directory",
            path=str(sink.directory / "_work"),
        )
    groups = Groups(shared.labels, codes)
    acc = CrossEventAccumulator(
        config, layout.n_sessions, layout.est_rel.size, layout.ev_rel.size, groups
    )
    sums.load_into(acc)
    acc.g_index = Spilled(parts, "g_index")
    acc.g_z = Spilled(parts, "g_z")
    acc.g_L = Spilled(parts, "g_L")
    tests, rbar = acc.finish(car, var_car, dof, bhar, w_code)
    glayout = replace(layout, groups=groups)
    averages: dict[str, pl.DataFrame] = {}
    for name, (n, total, ss) in sums.averages.items():
        a, b = sums.average_names[name]
        averages[name] = average_table(glayout, n, total, ss, (a, b))
    return tests, rbar, averages


__all__ = ["Spilled", "finish"]
