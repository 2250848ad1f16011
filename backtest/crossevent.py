"""Cross-event tests per window and group, accumulated block by block.

Every statistic of ``docs/statistics.md`` ("Cross-event tests") is a function of
sums over observations: the average residual correlation r̄ (calendar-aligned
sums of normalised residuals), BW1985's AAR on estimation days, Corrado's mean
standardised ranks, the generalized sign's pooled fraction, GRANK's mean ranks.
:class:`CrossEventAccumulator` adds each block's contribution to those sums,
per window and per group (:mod:`backtest.groups`), so memory stays bounded by
the block size; :meth:`CrossEventAccumulator.finish` turns them into one row
per group, window and test, every group at once (:mod:`backtest.significance`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from backtest._typing import STATUS_CODE, BoolArray, FloatArray, IntArray, TestName
from backtest.anchortests import bw1980_t, caar_indep_t, cz_sign_z, jackknife_t, lamb_z
from backtest.config import EventStudyConfig
from backtest.groups import Groups, RowGroups, Segments, weighted_count
from backtest.measured import Block
from backtest.ranks import rank_rows_prefix_median
from backtest.ranktests import corrado_rank_z, grank_t, wilcoxon_w
from backtest.resampling import resampled, wilcoxon_ci
from backtest.significance import (
    Outcomes,
    bmp_t,
    bw1985_t,
    csect_t,
    generalized_sign_z,
    kp_bmp_t,
    kp_patell_z,
    patell_z,
    sign_z,
    skew_adj_t,
    unit_residuals,
)

OK = STATUS_CODE["ok"]

TESTS_SCHEMA: dict[str, pl.DataType] = {
    "start": pl.Int64(),
    "end": pl.Int64(),
    "test": pl.String(),
    "n": pl.Int64(),
    "caar": pl.Float64(),
    "mean_bhar": pl.Float64(),
    "stat": pl.Float64(),
    "p": pl.Float64(),
    "distribution": pl.String(),
    "df": pl.Int64(),
    "rbar": pl.Float64(),
    "note": pl.String(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
}


def kp_rbar(norm2: FloatArray, n: FloatArray) -> FloatArray:
    """``r̄ = (‖Σ_i u_i‖² − N) / (N (N − 1))`` per group (NaN for N < 2)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (norm2 - n) / (n * (n - 1))
    return np.where(n >= 2, r, np.nan)


class CalendarSums:
    """Per group, the squared norm ``‖Σ_i u_i‖²`` of calendar-aligned ``u_i``.

    One group: the ``(T,)`` vector ``Σ_i u_i``, added block by block
    (:meth:`add_total`). Several groups: blocks come in group order
    (:func:`backtest.blocks.measure_all`), so a group is complete once a block
    holds a later one. Each block's values are summed per (group, session) cell
    (a dense ``(groups of the block, T)`` array when small, else a sort of the
    cells), the norms of its complete groups are added up, and only the cells of
    the group still open are carried to the next block (:meth:`add`). Memory
    stays bounded by the block size whatever the number of groups.
    """

    #: Largest dense (groups of a block × sessions) array, in cells.
    DENSE_CELLS = 1 << 22

    def __init__(self, n_groups: int, n_sessions: int) -> None:
        self.G, self.T = n_groups, n_sessions
        self.total = np.zeros(n_sessions if n_groups == 1 else 0)
        self.done = np.zeros(n_groups)
        self.carry_keys = np.zeros(0, dtype=np.int64)  # group · T + session
        self.carry_sums = np.zeros(0)

    def add_total(self, total: FloatArray) -> None:
        """Add a block's ``Σ_i u_i`` (one group)."""
        self.total += total

    def add(self, group: IntArray, session: IntArray, u: FloatArray, complete_below: int) -> None:
        """Add ``u`` at the cells ``(group, session)``; groups with a code below
        ``complete_below`` have no observation in later blocks."""
        T = self.T
        key = np.concatenate([self.carry_keys, group * T + session])
        u = np.concatenate([self.carry_sums, u])
        if key.size == 0:
            return
        lo, hi = int(key.min() // T), int(key.max() // T)
        if (hi - lo + 1) * T <= self.DENSE_CELLS:
            cells = weighted_count(key - lo * T, u, (hi - lo + 1) * T).reshape(hi - lo + 1, T)
            k = max(0, min(complete_below, hi + 1) - lo)  # groups lo .. lo + k - 1 are complete
            self.done[lo : lo + k] += np.einsum("gt,gt->g", cells[:k], cells[:k])
            rows, cols = np.nonzero(cells[k:])
            self.carry_keys = ((lo + k + rows) * T + cols).astype(np.int64)
            self.carry_sums = cells[k:][rows, cols]
            return
        keys, inv = np.unique(key, return_inverse=True)
        sums = weighted_count(inv, u, keys.size)
        g = keys // T
        fin = g < complete_below
        self.done += weighted_count(g[fin], sums[fin] ** 2, self.G)
        self.carry_keys, self.carry_sums = keys[~fin], sums[~fin]

    def norm2(self) -> FloatArray:
        """``(G,)`` the squared norms."""
        if self.G == 1:
            return np.asarray([self.total @ self.total])
        open_groups = self.carry_keys // self.T
        return self.done + weighted_count(open_groups, self.carry_sums**2, self.G)


class CrossEventAccumulator:
    """Sums over observations that the cross-event tests need, per window and group.

    Parameters
    ----------
    config
        The study configuration (windows, event period).
    n_sessions
        Length of the calendar (for the calendar-aligned r̄ sums).
    n_est, n_event
        Lengths ``Le`` of the estimation window and ``Lp`` of the event period.
    groups
        The group of every observation (one group when the study has none).
    grank
        Whether to compute GRANK (its ranks keep the standardised estimation values of
        every observation until :meth:`finish`); without it ``grank_t`` is null with a
        note (:attr:`backtest.measures.base.Measure.grank`).

    Notes
    -----
    :meth:`add` sees the blocks of :func:`backtest.blocks.measure_all`; with
    several groups they come in group order, which lets the calendar sums of r̄
    be finished group by group (:class:`CalendarSums`).
    """

    def __init__(
        self,
        config: EventStudyConfig,
        n_sessions: int,
        n_est: int,
        n_event: int,
        groups: Groups,
        grank: bool = True,
    ) -> None:
        W, G = len(config.windows), groups.n_groups
        self.grank = grank
        self.config = config
        self.groups = groups
        self.T = max(n_sessions, 1)
        self.Le = n_est
        self.e_sum = np.zeros((W, G, n_est))
        self.e_cnt = np.zeros((W, G, n_est))
        self.u_sum = np.zeros((W, G, n_est + n_event))
        self.u_cnt = np.zeros((W, G, n_est + n_event))
        self.g_rsum = np.zeros((W, G, n_est))
        self.cz_sum = np.zeros((W, G, n_est + n_event))  # Σ_i G_it (Corrado–Zivney signs)
        self.r_total = [CalendarSums(G, self.T) for _ in range(W)]
        self.r_n = np.zeros((W, G))
        self.all_total = np.zeros(self.T)
        self.all_n = 0
        self.g_pos = np.zeros((W, G))
        self.g_est = np.zeros((W, G))
        # GRANK needs sd(SCAR) over the whole sample first: keep what it ranks
        self.g_index: list[IntArray] = []
        self.g_z: list[FloatArray] = []
        self.g_L: list[FloatArray] = []

    def add(self, block: Block, index: IntArray) -> None:
        """Add the observations of ``block``; ``index`` are their rows in the study.

        With several groups the blocks must come in group order (the codes of
        ``index`` never decrease from one block to the next).
        """
        idx = np.flatnonzero(block.code == OK)
        if idx.size == 0:
            return
        G = self.groups.n_groups
        # every row ok (the usual block): the block's arrays themselves, not copies
        take: IntArray | slice = slice(None) if idx.size == block.code.size else idx
        g = self.groups.codes[index[take]]
        fit = block.fit
        mask = block.est_mask[take]
        resid = np.where(mask, fit.resid[take], np.nan)
        ar = block.ar[take]
        # Corrado–Zivney: standardised ranks of residuals and event-period ARs together
        both = np.concatenate([resid, ar], axis=1)
        has_u = np.isfinite(both)
        missing = ~has_u
        M = has_u.sum(axis=1)
        # and Corrado–Zivney signs: G_it = sign(value − the observation's median of them)
        ranks, est_ranks, med = rank_rows_prefix_median(both, resid.shape[1])
        U0 = np.divide(ranks, (M + 1.0)[:, None], out=ranks)  # in place: the same numbers
        U0 -= 0.5
        U0[missing] = 0.0
        # sign(x − med) as (x > med) − (x < med): the same numbers, a third of np.sign's time
        above, below = (both > med[:, None]).view(np.int8), (both < med[:, None]).view(np.int8)
        S0 = np.subtract(above, below, out=both)
        S0[missing] = 0.0
        del above, below, both, ranks
        E0 = np.where(mask, resid, 0.0)
        L = mask.sum(axis=1).astype(np.float64)
        n_pos = (resid > 0).sum(axis=1).astype(np.float64)
        # Kolari–Pynnönen u_i: demeaned, unit-norm residuals on the calendar
        u, _ = unit_residuals(E0, mask, L)
        # GRANK: ranks among the estimation values (those of e/s: s > 0), scaled
        rs = np.where(mask, est_ranks / (L + 2.0)[:, None], 0.0) if self.grank else E0[:, :0]
        del est_ranks
        where = block.est_index[take]
        u_on = u[mask]
        calendar = weighted_count(where[mask], u_on, self.T)
        self.all_total += calendar
        self.all_n += idx.size
        complete_below = int(self.groups.codes[index].max())
        # every window's sums = the block's sums minus those of its few invalid rows
        rows = RowGroups(g, G)
        arrays = (E0, mask, U0, has_u, rs, S0)
        sums = tuple(rows.sum(x) for x in arrays)
        for j in range(len(self.config.windows)):
            sel = block.w_code[take, j] == OK
            out = np.flatnonzero(~sel)
            e_sum, e_cnt, u_sum, u_cnt, r_sum, s_sum = sums
            if out.size:
                sub = RowGroups(g[out], G)
                at = np.searchsorted(rows.groups, sub.groups)
                e_sum, e_cnt, u_sum, u_cnt, r_sum, s_sum = (
                    _minus(s, at, sub.sum(x[out])) for s, x in zip(sums, arrays, strict=True)
                )
            self.e_sum[j, rows.groups] += e_sum
            self.e_cnt[j, rows.groups] += e_cnt
            self.u_sum[j, rows.groups] += u_sum
            self.u_cnt[j, rows.groups] += u_cnt
            if self.grank:
                self.g_rsum[j, rows.groups] += r_sum
            self.cz_sum[j, rows.groups] += s_sum
            if G == 1:
                r_tot = calendar
                if out.size:
                    m_out = mask[out]
                    r_tot = calendar - weighted_count(where[out][m_out], u[out][m_out], self.T)
                self.r_total[j].add_total(r_tot)
            else:
                m_sel = mask[sel]
                cell_group = np.broadcast_to(g[sel, None], m_sel.shape)[m_sel]
                self.r_total[j].add(cell_group, where[sel][m_sel], u[sel][m_sel], complete_below)
            self.r_n[j] += np.bincount(g[sel], minlength=G)
            self.g_pos[j] += weighted_count(g[sel], weights=n_pos[sel], minlength=G)
            self.g_est[j] += weighted_count(g[sel], weights=L[sel], minlength=G)
        # GRANK needs sd(SCAR) of the whole window sample: keep the standardised residuals
        if not self.grank:
            return
        self.g_index.append(index[take])
        self.g_z.append(resid / np.sqrt(fit.s2[take])[:, None])
        self.g_L.append(L)

    def finish(
        self,
        car: FloatArray,
        var_car: FloatArray,
        dof: FloatArray,
        bhar: FloatArray,
        w_code: IntArray,
        *,
        s2: FloatArray,
        n_est: FloatArray,
        ar: FloatArray,
        var_ar: FloatArray,
    ) -> tuple[pl.DataFrame, float | None]:
        """The tests frame and r̄ over all observations with status ``ok``.

        ``car``, ``var_car``, ``bhar``, ``w_code`` are ``(N, W)`` over every
        observation; ``dof``, ``s2`` (``s_i²``), ``n_est`` (``L_i``) are ``(N,)``;
        ``ar``, ``var_ar`` are ``(N, Lp)`` on the event period. The frame has one
        row per group (when the study has groups: a leading ``group`` column),
        window and test.
        """
        p0 = self.config.event_period[0]
        G = self.groups.n_groups
        cols: dict[str, list[np.ndarray]] = {c: [] for c in TESTS_SCHEMA}
        cols["_g"], cols["_w"], cols["_t"] = [], [], []
        config = self.config
        bw_kind = "normal" if config.conventions == "estudy2" else "t"
        windows: list[
            tuple[int, int, int, IntArray, FloatArray, FloatArray, FloatArray, int, list[Outcomes]]
        ] = []
        for j, (a, b) in enumerate(self.config.windows):
            valid = w_code[:, j] == OK
            seg = Segments(self.groups.codes[valid], G)
            n = seg.count()
            L2 = b - a + 1
            c = car[valid, j]
            with np.errstate(invalid="ignore", divide="ignore"):
                scar = c / np.sqrt(var_car[valid, j])
            d = dof[valid]
            bh = bhar[valid, j]
            finite = np.isfinite(bh)
            bseg = seg.subset(finite)
            bh = bh[finite]
            nf = n.astype(np.float64)
            rbar = kp_rbar(self.r_total[j].norm2(), nf)
            caar = seg.mean(c)
            with np.errstate(invalid="ignore", divide="ignore"):
                aar_e = self.e_sum[j] / self.e_cnt[j]
                dbar = self.u_sum[j] / self.u_cnt[j]
            c0 = self.Le + a - p0
            outcomes: list[Outcomes] = [
                csect_t(c, seg),
                patell_z(scar, d, seg),
                bmp_t(scar, seg),
                kp_patell_z(scar, d, rbar, seg),
                kp_bmp_t(scar, rbar, seg),
                bw1985_t(aar_e, self.e_cnt[j] > 0, caar, L2, bw_kind),
                corrado_rank_z(dbar, self.u_cnt[j] > 0, c0, L2, n),
                generalized_sign_z(c, self.g_pos[j], self.g_est[j], seg),
                sign_z(c, seg),
                wilcoxon_w(c, seg),
                self._grank(j, valid, car[:, j], var_car[:, j], seg)
                if self.grank
                else _not_computed("grank_t", G, "GRANK is not computed for this measure"),
                skew_adj_t(bh, bseg),
            ]
            days = range(a - p0, b - p0 + 1)  # one column at a time: no (N, L2) copies
            s2_v, L_v, vc = s2[valid], n_est[valid], var_car[valid, j]
            aar_w = np.stack([seg.mean(ar[valid, t]) for t in days], axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                h_bar = np.stack([seg.mean(var_ar[valid, t] / s2_v) for t in days], axis=1)
            outcomes += [
                bw1980_t(caar, s2_v, L_v, L2, seg),
                lamb_z(aar_w, h_bar, aar_e, self.e_cnt[j] > 0, nf),
                cz_sign_z(self.cz_sum[j], self.u_cnt[j], c0, L2, nf),
                caar_indep_t(c, vc, L_v, seg),
                jackknife_t(c, vc, seg),
            ]
            later = len(outcomes)  # permutation_p and bootstrap_ci go here, after the loop
            outcomes.append(self._wilcoxon_ci(j, c, seg))
            windows.append((j, a, b, n, caar, bseg.mean(bh), rbar, later, outcomes))
        # last (the chunked engine's resampled tests run on other threads until here)
        perm, boot = self._resampled(car, w_code)
        entries: list[tuple[int, int, int, int, str]] = []  # window, test, start, end, name
        nan = np.full(G, np.nan)
        for j, a, b, n, caar, mean_bhar, rbar, later, outcomes in windows:
            outcomes[later:later] = [perm[j], boot[j]]
            for t, o in enumerate(outcomes):
                kp = o.test in ("kp_patell_z", "kp_bmp_t")
                entries.append((j, t, a, b, o.test))
                cols["n"].append(n)
                cols["caar"].append(caar)
                cols["mean_bhar"].append(mean_bhar)
                cols["stat"].append(o.stat)
                cols["p"].append(o.p)
                cols["distribution"].append(np.asarray(o.distribution, dtype=object))
                cols["df"].append(o.df)
                cols["rbar"].append(rbar if kp else nan)
                cols["note"].append(np.asarray(o.note, dtype=object))
                cols["ci_low"].append(nan if o.ci_low is None else o.ci_low)
                cols["ci_high"].append(nan if o.ci_high is None else o.ci_high)
        # the columns constant over a (window, test) entry: each entry's value G times
        for i, key in enumerate(("_w", "_t", "start", "end", "test")):
            values = np.asarray([e[i] for e in entries], dtype=object if key == "test" else None)
            cols[key] = [np.repeat(values, G)]
        cols["_g"] = [np.tile(np.arange(G), len(entries))]
        flat = {k: np.concatenate(v) for k, v in cols.items()}
        order = np.lexsort((flat["_t"], flat["_w"], flat["_g"]))  # group, window, test
        frame = pl.DataFrame(
            {
                "start": flat["start"][order],
                "end": flat["end"][order],
                "test": flat["test"][order].tolist(),
                "n": flat["n"][order],
                "caar": _null_nan(flat["caar"][order]),
                "mean_bhar": _null_nan(flat["mean_bhar"][order]),
                "stat": _null_nan(flat["stat"][order]),
                "p": _null_nan(flat["p"][order]),
                "distribution": flat["distribution"][order].tolist(),
                "df": pl.Series(flat["df"][order]).replace(-1, None),
                "rbar": _null_nan(flat["rbar"][order]),
                "note": flat["note"][order].tolist(),
                "ci_low": _null_nan(flat["ci_low"][order]),
                "ci_high": _null_nan(flat["ci_high"][order]),
            },
            schema=TESTS_SCHEMA,
        )
        if self.groups.labels is not None:
            frame = frame.insert_column(0, self.groups.labels.gather(flat["_g"][order]))
        rbar_all = kp_rbar(np.asarray([self.all_total @ self.all_total]), np.asarray([self.all_n]))
        return frame, None if np.isnan(rbar_all[0]) else float(rbar_all[0])

    def _resampled(
        self, car: FloatArray, w_code: IntArray
    ) -> tuple[list[Outcomes], list[Outcomes]]:
        """``permutation_p`` and ``bootstrap_ci`` of every window
        (:func:`backtest.resampling.resampled`; the chunked engine starts them early)."""
        G, config = self.groups.n_groups, self.config
        return resampled(
            car,
            w_code == OK,
            self.groups.codes,
            G,
            config.replications,
            config.seed,
            config.bootstrap_interval,
        )

    def _wilcoxon_ci(self, j: int, car: FloatArray, seg: Segments) -> Outcomes:
        """``wilcoxon_ci`` of window ``j`` (the chunked engine computes them early)."""
        return wilcoxon_ci(car, seg.codes, seg.n_groups)

    def _grank(
        self, j: int, valid: BoolArray, car: FloatArray, var_car: FloatArray, seg: Segments
    ) -> Outcomes:
        """GRANK (``docs/statistics.md``): SCAR* ranked among the standardised residuals.

        With ``g_i = #{z > x_i} + #{z >= x_i}`` over the estimation values ``z`` of
        observation i and ``x_i = SCAR*_i``, the rank of ``x_i`` among the ``L_i + 1``
        values is ``1 + L_i − g_i/2`` and an estimation value's rank grows by
        ``([z > x] + [z >= x]) / 2`` over its rank among the estimation values
        (average ranks for ties). ``SCAR*_i = SCAR_i / sd(SCAR)`` with the
        standard deviation of the observation's group.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            scar = car / np.sqrt(var_car)
        _, sd = seg.mean_sd(scar[valid])
        codes = self.groups.codes
        with np.errstate(invalid="ignore", divide="ignore"):
            star = scar / sd[codes]
        num = self.g_rsum[j].copy()
        u_event = np.full(valid.shape[0], np.nan)  # U_i0 by observation
        counts = GrankCounts()
        for gi, z, L in zip(self.g_index, self.g_z, self.g_L, strict=True):
            sel = valid[gi]
            if not sel.any():
                continue
            if not sel.all():
                z, L, gi = z[sel], L[sel], gi[sel]
            g = counts(z, star[gi])
            rows = RowGroups(codes[gi], self.groups.n_groups)
            num[rows.groups] += rows.weighted_sum(0.5 / (L + 2.0), g)
            u_event[gi] = (1.0 + L - 0.5 * g.sum(axis=1, dtype=np.int32)) / (L + 2.0) - 0.5
        cnt = self.e_cnt[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            ubar = num / cnt - 0.5
        u = u_event[valid]
        spread = (np.isnan(sd), "zero cross-sectional spread of SCAR", False)
        return grank_t(u, seg, ubar, cnt, undefined=[spread])


class GrankCounts:
    """GRANK's ``g_it = [z_it > x_i] + [z_it >= x_i]`` (uint8, NaN compares False), into
    buffers kept from call to call: a fresh ``(n, L)`` result and its two comparisons
    per block and window cost about as much again in page faults as the comparisons."""

    def __init__(self) -> None:
        self._size = 0
        self._gt = self._ge = np.empty(0, np.uint8)

    def __call__(self, z: FloatArray, x: FloatArray) -> np.ndarray:
        """``(n, L)`` counts of the estimation values ``z`` against ``x`` (``(n,)``); a view
        of the buffers, valid until the next call."""
        cells = z.size
        if cells > self._size:
            self._size = cells
            self._gt, self._ge = np.empty(cells, np.uint8), np.empty(cells, np.uint8)
        gt = self._gt[:cells].reshape(z.shape)
        ge = self._ge[:cells].reshape(z.shape)
        np.greater(z, x[:, None], out=gt.view(bool))
        np.greater_equal(z, x[:, None], out=ge.view(bool))
        return np.add(gt, ge, out=gt)


def _not_computed(test: TestName, G: int, note: str) -> Outcomes:
    return Outcomes(
        test=test,
        stat=np.full(G, np.nan),
        p=np.full(G, np.nan),
        distribution=["t"] * G,
        df=np.full(G, -1, dtype=np.int64),
        note=[note] * G,
    )


def _minus(total: FloatArray, at: IntArray, part: FloatArray) -> FloatArray:
    """``total`` with ``part`` subtracted from its rows ``at``."""
    out = np.array(total, dtype=np.float64 if total.dtype == np.bool_ else total.dtype)
    out[at] -= part
    return out


def _null_nan(x: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(x, dtype=np.float64), nan_to_null=True)


__all__ = ["TESTS_SCHEMA", "CalendarSums", "CrossEventAccumulator", "kp_rbar"]
