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
* GRANK's standardised estimation residuals (``L_i`` values per observation),
  chunk by chunk: their ranks against ``SCAR*`` need ``sd(SCAR)`` of the whole
  sample first, so they wait on disk for this second pass, which reads each
  chunk's once for every window.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from backtest._typing import STATUS_CODE, BoolArray, FloatArray, IntArray
from backtest.chunked.chunk import ParquetSink
from backtest.chunked.context import SharedContext
from backtest.chunked.sums import ChunkSums
from backtest.crossevent import CrossEventAccumulator
from backtest.errors import OutputError
from backtest.frames import average_table
from backtest.groups import Groups, RowGroups, Segments
from backtest.ranktests import grank_t
from backtest.significance import Outcomes

OK = STATUS_CODE["ok"]


class _Finishing(CrossEventAccumulator):
    """The accumulator's ``finish`` with GRANK's second pass over the side files done once
    for every window (:meth:`read_grank`), not once per window.

    ``_grank`` is :meth:`CrossEventAccumulator._grank` with the sums over the chunks
    already made: the same ``SCAR*``, comparisons and sums, chunk by chunk.
    """

    def read_grank(
        self, parts: list[Path], car: FloatArray, var_car: FloatArray, w_code: IntArray
    ) -> None:
        G, codes = self.groups.n_groups, self.groups.codes
        W = car.shape[1]
        self._num = self.g_rsum.copy()
        self._u_event = np.full(car.shape, np.nan)
        self._sd: list[FloatArray] = []
        valid = w_code == OK
        for j in range(W):
            with np.errstate(invalid="ignore", divide="ignore"):
                scar = car[valid[:, j], j] / np.sqrt(var_car[valid[:, j], j])
            self._sd.append(Segments(codes[valid[:, j]], G).mean_sd(scar)[1])
        for path in parts:
            with np.load(path) as f:
                all_gi, all_z, all_L = f["g_index"], f["g_z"], f["g_L"]
            for j in range(W):
                sel = valid[all_gi, j]
                if not sel.any():
                    continue
                gi, z, L = all_gi, all_z, all_L
                if not sel.all():
                    z, L, gi = z[sel], L[sel], gi[sel]
                with np.errstate(invalid="ignore", divide="ignore"):
                    x = (car[gi, j] / np.sqrt(var_car[gi, j]) / self._sd[j][codes[gi]])[:, None]
                g = (z > x).view(np.uint8) + (z >= x).view(np.uint8)  # NaN compares False
                rows = RowGroups(codes[gi], G)
                self._num[j, rows.groups] += rows.weighted_sum(0.5 / (L + 2.0), g)
                self._u_event[gi, j] = (1.0 + L - 0.5 * g.sum(axis=1)) / (L + 2.0) - 0.5

    def _grank(
        self, j: int, valid: BoolArray, car: FloatArray, var_car: FloatArray, seg: Segments
    ) -> Outcomes:
        cnt = self.e_cnt[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            ubar = self._num[j] / cnt - 0.5
        spread = (np.isnan(self._sd[j]), "zero cross-sectional spread of SCAR", False)
        return grank_t(self._u_event[valid, j], seg, ubar, cnt, undefined=[spread])


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
    dof, s2, n_est = np.empty(N), np.empty(N), np.empty(N)
    Lp = layout.ev_rel.size
    ar, var_ar = np.empty((N, Lp)), np.empty((N, Lp))
    start = 0
    for path in parts:
        with np.load(path) as z:
            n = z["codes"].shape[0]
            at = slice(start, start + n)
            codes[at], dof[at] = z["codes"], z["dof"]
            s2[at], n_est[at], ar[at], var_ar[at] = z["s2"], z["n_est"], z["ar"], z["var_ar"]
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
    acc = _Finishing(config, layout.n_sessions, layout.est_rel.size, layout.ev_rel.size, groups)
    sums.load_into(acc)
    acc.read_grank(parts, car, var_car, w_code)
    tests, rbar = acc.finish(
        car, var_car, dof, bhar, w_code, s2=s2, n_est=n_est, ar=ar, var_ar=var_ar
    )
    glayout = replace(layout, groups=groups)
    averages: dict[str, pl.DataFrame] = {}
    for name, (n, total, ss) in sums.averages.items():
        a, b = sums.average_names[name]
        averages[name] = average_table(glayout, n, total, ss, (a, b))
    return tests, rbar, averages


__all__ = ["finish"]
