"""Cross-event tests per window, accumulated block by block.

Every statistic of ``docs/statistics.md`` ("Cross-event tests") is a function of
sums over observations: the average residual correlation r̄ (calendar-aligned
sums of normalised residuals), BW1985's AAR on estimation days, Corrado's mean
standardised ranks, the generalized sign's pooled fraction, GRANK's mean ranks.
:class:`CrossEventAccumulator` adds each block's contribution to those sums, so
memory stays bounded by the block size; :meth:`CrossEventAccumulator.finish`
turns them into one row per window and test.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from backtest._typing import STATUS_CODE, BoolArray, FloatArray, IntArray
from backtest.config import EventStudyConfig
from backtest.measured import Block
from backtest.ranks import rank_rows_and_prefix
from backtest.significance import (
    TestOutcome,
    bmp_t,
    bw1985_t,
    corrado_rank_z,
    csect_t,
    generalized_sign_z,
    grank_t,
    kp_bmp_t,
    kp_patell_z,
    nonzero_sd,
    patell_z,
    sign_z,
    skew_adj_t,
    wilcoxon_w,
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
}


def _rbar(total: FloatArray, n: int) -> float | None:
    """``r̄ = (‖Σ_i u_i‖² − N) / (N (N − 1))``."""
    if n < 2:
        return None
    return float((total @ total - n) / (n * (n - 1)))


class CrossEventAccumulator:
    """Sums over observations that the cross-event tests need, per window.

    Parameters
    ----------
    config
        The study configuration (windows, event period).
    n_sessions
        Length of the calendar (for the calendar-aligned r̄ sums).
    n_est, n_event
        Lengths ``Le`` of the estimation window and ``Lp`` of the event period.
    """

    def __init__(self, config: EventStudyConfig, n_sessions: int, n_est: int, n_event: int) -> None:
        W = len(config.windows)
        self.config = config
        self.T = max(n_sessions, 1)
        self.Le = n_est
        self.Lp = n_event
        self.e_sum = np.zeros((W, n_est))
        self.e_cnt = np.zeros((W, n_est))
        self.u_sum = np.zeros((W, n_est + n_event))
        self.u_cnt = np.zeros((W, n_est + n_event))
        self.r_total = np.zeros((W, self.T))
        self.r_n = np.zeros(W, dtype=np.int64)
        self.all_total = np.zeros(self.T)
        self.all_n = 0
        self.g_pos = np.zeros(W)
        self.g_est = np.zeros(W)
        # GRANK needs sd(SCAR) over the whole sample first: keep what it ranks
        self.g_index: list[IntArray] = []
        self.g_z: list[FloatArray] = []
        self.g_L: list[FloatArray] = []
        self.g_rsum = np.zeros((W, n_est))

    def add(self, block: Block, offset: int) -> None:
        """Add the observations of ``block`` (global rows ``offset + i``)."""
        idx = np.flatnonzero(block.code == OK)
        if idx.size == 0:
            return
        fit = block.fit
        mask = block.est_mask[idx]
        resid = np.where(mask, fit.resid[idx], np.nan)
        ar = block.ar[idx]
        # Corrado–Zivney: standardised ranks of residuals and event-period ARs together
        both = np.concatenate([resid, ar], axis=1)
        has_u = np.isfinite(both)
        M = has_u.sum(axis=1)
        ranks, est_ranks = rank_rows_and_prefix(both, resid.shape[1])
        U = ranks / (M + 1.0)[:, None] - 0.5
        U0 = np.where(has_u, U, 0.0)
        del both, U, ranks
        E0 = np.where(mask, resid, 0.0)
        L = mask.sum(axis=1).astype(np.float64)
        n_pos = (resid > 0).sum(axis=1).astype(np.float64)
        # Kolari–Pynnönen u_i: demeaned, unit-norm residuals on the calendar
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = np.where(mask, resid - (E0.sum(axis=1) / L)[:, None], 0.0)
            u = dev / np.sqrt((dev * dev).sum(axis=1))[:, None]
        # GRANK: ranks among the estimation values (those of e/s: s > 0), scaled
        rs = np.where(mask, est_ranks / (L + 2.0)[:, None], 0.0)
        del est_ranks
        where = block.est_index[idx]
        total = np.bincount(where[mask], weights=u[mask], minlength=self.T)
        self.all_total += total
        self.all_n += idx.size
        # every window's sums = the block's sums minus those of its few invalid rows
        sums = (E0.sum(axis=0), mask.sum(axis=0), U0.sum(axis=0), has_u.sum(axis=0), rs.sum(axis=0))
        for j in range(len(self.config.windows)):
            sel = block.w_code[idx, j] == OK
            out = np.flatnonzero(~sel)
            e_sum, e_cnt, u_sum, u_cnt, r_sum = sums
            r_tot = total
            if out.size:
                e_sum = e_sum - E0[out].sum(axis=0)
                e_cnt = e_cnt - mask[out].sum(axis=0)
                u_sum = u_sum - U0[out].sum(axis=0)
                u_cnt = u_cnt - has_u[out].sum(axis=0)
                r_sum = r_sum - rs[out].sum(axis=0)
                m_out = mask[out]
                r_tot = total - np.bincount(
                    where[out][m_out], weights=u[out][m_out], minlength=self.T
                )
            self.e_sum[j] += e_sum
            self.e_cnt[j] += e_cnt
            self.u_sum[j] += u_sum
            self.u_cnt[j] += u_cnt
            self.g_rsum[j] += r_sum
            self.r_total[j] += r_tot
            self.r_n[j] += int(sel.sum())
            self.g_pos[j] += float(n_pos[sel].sum())
            self.g_est[j] += float(L[sel].sum())
        # GRANK needs sd(SCAR) of the whole window sample: keep the standardised residuals
        self.g_index.append(idx + offset)
        self.g_z.append(resid / np.sqrt(fit.s2[idx])[:, None])
        self.g_L.append(L)

    def finish(
        self,
        car: FloatArray,
        var_car: FloatArray,
        dof: FloatArray,
        bhar: FloatArray,
        w_code: IntArray,
    ) -> tuple[pl.DataFrame, float | None]:
        """The tests frame and r̄ over all observations with status ``ok``.

        ``car``, ``var_car``, ``bhar``, ``w_code`` are ``(N, W)`` over every
        observation; ``dof`` is ``(N,)``.
        """
        p0 = self.config.event_period[0]
        rows: list[dict[str, object]] = []
        for j, (a, b) in enumerate(self.config.windows):
            valid = w_code[:, j] == OK
            n = int(valid.sum())
            L2 = b - a + 1
            c = car[valid, j]
            with np.errstate(invalid="ignore", divide="ignore"):
                scar = c / np.sqrt(var_car[valid, j])
            d = dof[valid]
            bh = bhar[valid, j]
            bh = bh[np.isfinite(bh)]
            rbar = _rbar(self.r_total[j], n)
            caar = float(np.mean(c)) if n else None
            with np.errstate(invalid="ignore", divide="ignore"):
                aar_e = self.e_sum[j] / self.e_cnt[j]
                dbar = self.u_sum[j] / self.u_cnt[j]
            aar_e = aar_e[self.e_cnt[j] > 0]
            c0 = self.Le + a - p0
            empty = n == 0
            outcomes: list[TestOutcome] = [
                csect_t(c),
                patell_z(scar, d),
                bmp_t(scar),
                kp_patell_z(scar, d, rbar),
                kp_bmp_t(scar, rbar),
                _none("bw1985_t", "t") if empty else bw1985_t(aar_e, float(caar or 0.0), L2),
                _none("corrado_rank_z", "normal")
                if empty
                else corrado_rank_z(dbar[c0 : c0 + L2], dbar[self.u_cnt[j] > 0]),
                generalized_sign_z(c, self.g_pos[j], self.g_est[j]),
                sign_z(c),
                wilcoxon_w(c),
                self._grank(j, valid, car[:, j], var_car[:, j]),
                skew_adj_t(bh),
            ]
            mean_bhar = float(np.mean(bh)) if bh.size else None
            for o in outcomes:
                rows.append(
                    {
                        "start": a,
                        "end": b,
                        "test": o.test,
                        "n": n,
                        "caar": caar,
                        "mean_bhar": mean_bhar,
                        "stat": o.stat,
                        "p": o.p,
                        "distribution": o.distribution,
                        "df": o.df,
                        "rbar": rbar if o.test in ("kp_patell_z", "kp_bmp_t") else None,
                        "note": o.note,
                    }
                )
        frame = pl.DataFrame(rows, schema=TESTS_SCHEMA, orient="row")
        return frame, _rbar(self.all_total, self.all_n)

    def _grank(self, j: int, valid: BoolArray, car: FloatArray, var_car: FloatArray) -> TestOutcome:
        """GRANK (``docs/statistics.md``): SCAR* ranked among the standardised residuals.

        With ``g_i = #{z > x_i} + #{z >= x_i}`` over the estimation values ``z`` of
        observation i and ``x_i = SCAR*_i``, the rank of ``x_i`` among the ``L_i + 1``
        values is ``1 + L_i − g_i/2`` and an estimation value's rank grows by
        ``([z > x] + [z >= x]) / 2`` over its rank among the estimation values
        (average ranks for ties).
        """
        n = int(valid.sum())
        if n < 2:
            return grank_t(np.zeros(n), np.zeros(0), np.zeros(0))
        with np.errstate(invalid="ignore", divide="ignore"):
            scar = car / np.sqrt(var_car)
        sd = nonzero_sd(scar[valid])
        if sd is None:
            return _none("grank_t", "t", "zero cross-sectional spread of SCAR")
        star = scar / sd
        num = self.g_rsum[j].copy()
        u_event: list[FloatArray] = []
        for gi, z, L in zip(self.g_index, self.g_z, self.g_L, strict=True):
            sel = valid[gi]
            if not sel.any():
                continue
            if not sel.all():
                z, L, gi = z[sel], L[sel], gi[sel]
            x = star[gi][:, None]
            g = (z > x).view(np.uint8) + (z >= x).view(np.uint8)  # NaN compares False
            num += np.einsum("i,ij->j", 0.5 / (L + 2.0), g)
            u_event.append((1.0 + L - 0.5 * g.sum(axis=1)) / (L + 2.0) - 0.5)
        cnt = self.e_cnt[j]
        keep = cnt > 0
        ubar = num[keep] / cnt[keep] - 0.5
        return grank_t(np.concatenate(u_event), ubar, cnt[keep])


def _none(test: str, distribution: str, note: str = "N = 0") -> TestOutcome:
    return TestOutcome(test, None, None, distribution, None, note)  # type: ignore[arg-type]
