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

The resampled tests (``permutation_p``, ``bootstrap_ci``) take the longest and need
only the CARs: they start first, on their own threads, while this thread makes
GRANK's pass, every window's ``wilcoxon_ci`` and, for studies whose event-day values
take at most :data:`OVERLAP_BYTES`, the other tests; the accumulator's ``finish`` takes
the resampled tests last.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np
import polars as pl

from backtest._typing import STATUS_CODE, BoolArray, FloatArray, IntArray
from backtest.chunked.chunk import ParquetSink
from backtest.chunked.context import SharedContext
from backtest.chunked.sums import ChunkSums
from backtest.crossevent import CrossEventAccumulator, GrankCounts
from backtest.errors import OutputError
from backtest.frames import average_table
from backtest.groups import Groups, RowGroups, Segments
from backtest.ranktests import grank_t
from backtest.resampling import wilcoxon_ci
from backtest.significance import Outcomes

OK = STATUS_CODE["ok"]
#: The event-day values (``ar``, ``var_ar``: ``2 × N × Lp × 8`` bytes) are read back and
#: their tests computed while the resampled tests still run when they take at most this
#: (1,000,000 observations of the default 16-day period: 256 MB); beyond, after them, so
#: that the two working memories do not add up.
OVERLAP_BYTES = 512 << 20
#: The side files read back whole (GRANK's residuals are read block by block).
_READ = ("codes", "dof", "s2", "n_est", "car", "var_car", "bhar", "w_code")


def _read_all(parts: list[Path], name: str, shape: tuple[int, int]) -> FloatArray:
    """The side file ``name`` of every chunk, stacked (``shape``)."""
    out = np.empty(shape)
    start = 0
    for path in parts:
        part = np.load(path / f"{name}.npy", mmap_mode="r")
        out[start : start + part.shape[0]] = part
        start += part.shape[0]
        del part
    return out


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
            for j, groups, part in self._grank_part(path, car, var_car, valid):
                self._num[j, groups] += part

    def _grank_part(
        self, path: Path, car: FloatArray, var_car: FloatArray, valid: BoolArray
    ) -> list[tuple[int, IntArray, FloatArray]]:
        """One chunk's GRANK sums, block by block as the accumulator saw them (so the sums
        are added in the in-memory engine's order); fills ``_u_event`` of its rows."""
        G, codes = self.groups.n_groups, self.groups.codes
        all_gi, all_L = np.load(path / "g_index.npy"), np.load(path / "g_L.npy")
        all_z = np.load(path / "g_z.npy", mmap_mode="r") if all_gi.size else None
        out: list[tuple[int, IntArray, FloatArray]] = []
        counts = GrankCounts()
        start = 0
        for size in np.load(path / "g_sizes.npy").tolist():
            blk = slice(start, start + size)
            start += size
            if all_z is None or size == 0:
                continue
            gi0, z0, L0 = all_gi[blk], np.asarray(all_z[blk]), all_L[blk]
            c0 = codes[gi0]
            for j in range(car.shape[1]):
                sel = valid[gi0, j]
                if not sel.any():
                    continue
                with np.errstate(invalid="ignore", divide="ignore"):  # SCAR*_i
                    x = car[gi0, j] / np.sqrt(var_car[gi0, j]) / self._sd[j][c0]
                gi, z, L = gi0, z0, L0
                if not sel.all():
                    if G == 1:  # no copy: x = NaN compares False, its row adds exact zeros
                        x = np.where(sel, x, np.nan)
                    else:
                        z, L, gi, x = z[sel], L[sel], gi[sel], x[sel]
                g = counts(z, x)
                rows = RowGroups(codes[gi], G)
                out.append((j, rows.groups, rows.weighted_sum(0.5 / (L + 2.0), g)))
                u = (1.0 + L - 0.5 * g.sum(axis=1, dtype=np.int32)) / (L + 2.0) - 0.5
                if gi.size == sel.size and not sel.all():
                    self._u_event[gi[sel], j] = u[sel]
                else:
                    self._u_event[gi, j] = u
        return out

    def early(self, car: FloatArray, w_code: IntArray, pool: ThreadPoolExecutor) -> None:
        """Start the resampled tests in ``pool`` (they take the longest and need only the
        CARs), to run while this thread reads GRANK's side files and forms every window's
        ``wilcoxon_ci`` (:meth:`wilcoxon_early`)."""
        self._resampling = pool.submit(CrossEventAccumulator._resampled, self, car, w_code)

    def wilcoxon_early(self, car: FloatArray, w_code: IntArray) -> None:
        G, codes = self.groups.n_groups, self.groups.codes
        self._wilcoxon: list[Outcomes] = []
        for j in range(car.shape[1]):
            valid = w_code[:, j] == OK
            self._wilcoxon.append(wilcoxon_ci(car[valid, j], codes[valid], G))

    def resampled_early(self) -> None:
        """Wait for the resampled tests (started by :meth:`early`)."""
        self._resampled_tests = self._resampling.result()
        del self._resampling

    def _resampled(
        self, car: FloatArray, w_code: IntArray
    ) -> tuple[list[Outcomes], list[Outcomes]]:
        if not hasattr(self, "_resampled_tests"):  # still running: wait here
            self.resampled_early()
        return self._resampled_tests

    def _wilcoxon_ci(self, j: int, car: FloatArray, seg: Segments) -> Outcomes:
        return self._wilcoxon[j]

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
    # int8 as in the side files (status codes fit; the accumulator only compares them)
    w_code = cast(IntArray, np.empty((N, W), np.int8))
    dof, s2, n_est = np.empty(N), np.empty(N), np.empty(N)
    start = 0
    for path in parts:
        z = {k: np.load(path / f"{k}.npy") for k in _READ}
        n = z["codes"].shape[0]
        at = slice(start, start + n)
        codes[at], dof[at], s2[at], n_est[at] = z["codes"], z["dof"], z["s2"], z["n_est"]
        car[at], var_car[at], bhar[at] = z["car"], z["var_car"], z["bhar"]
        w_code[at] = z["w_code"]
        start += n
    del z
    if start != N:
        raise OutputError(
            f"the side files in {str(sink.directory / '_work')!r} hold {start} observations, "
            f"the study {N}; a chunk is missing: run the study again into an empty directory",
            path=str(sink.directory / "_work"),
        )
    groups = Groups(shared.labels, codes)
    acc = _Finishing(config, layout.n_sessions, layout.est_rel.size, layout.ev_rel.size, groups)
    sums.load_into(acc)
    Lp = layout.ev_rel.size
    with ThreadPoolExecutor(1, thread_name_prefix="resampling") as pool:
        acc.early(car, w_code, pool)
        acc.read_grank(parts, car, var_car, w_code)
        acc.wilcoxon_early(car, w_code)
        if 2 * N * Lp * 8 > OVERLAP_BYTES:  # free its working memory before they come
            acc.resampled_early()
        ar, var_ar = (_read_all(parts, name, (N, Lp)) for name in ("ar", "var_ar"))
        tests, rbar = acc.finish(  # waits for the resampled tests at its end
            car, var_car, dof, bhar, w_code, s2=s2, n_est=n_est, ar=ar, var_ar=var_ar
        )
    glayout = replace(layout, groups=groups)
    averages: dict[str, pl.DataFrame] = {}
    for name, (n, total, ss) in sums.averages.items():
        a, b = sums.average_names[name]
        averages[name] = average_table(glayout, n, total, ss, (a, b))
    return tests, rbar, averages


__all__ = ["finish"]
