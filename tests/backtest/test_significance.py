"""The test statistics on small hand-made samples: literal formulas, scipy references, edge cases."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from backtest import ranktests as rt
from backtest import significance as sig
from backtest.crossevent import CalendarSums, kp_rbar
from backtest.groups import Segments
from backtest.ranks import rank_rows, rank_rows_and_prefix


@dataclass(frozen=True)
class One:
    """One group's outcome, with None for null (as in the tests frame)."""

    stat: float | None
    p: float | None
    distribution: str
    df: int | None
    note: str | None


def _value(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def one(o: sig.Outcomes) -> One:
    assert o.stat.shape == (1,)
    return One(
        _value(o.stat[0]),
        _value(o.p[0]),
        o.distribution[0],
        None if o.df[0] < 0 else int(o.df[0]),
        o.note[0],
    )


def whole(x: np.ndarray) -> Segments:
    return Segments.whole(x.size)


class Single:
    """The statistics on one sample (one group), with the arguments of the formulas."""

    @staticmethod
    def csect_t(car: np.ndarray) -> One:
        return one(sig.csect_t(car, whole(car)))

    @staticmethod
    def bmp_t(scar: np.ndarray) -> One:
        return one(sig.bmp_t(scar, whole(scar)))

    @staticmethod
    def patell_z(scar: np.ndarray, dof: np.ndarray) -> One:
        return one(sig.patell_z(scar, dof, whole(scar)))

    @staticmethod
    def kp_patell_z(scar: np.ndarray, dof: np.ndarray, rbar: float | None) -> One:
        r = np.array([np.nan if rbar is None else rbar])
        return one(sig.kp_patell_z(scar, dof, r, whole(scar)))

    @staticmethod
    def kp_bmp_t(scar: np.ndarray, rbar: float | None) -> One:
        r = np.array([np.nan if rbar is None else rbar])
        return one(sig.kp_bmp_t(scar, r, whole(scar)))

    @staticmethod
    def bw1985_t(aar: np.ndarray, caar: float, L2: int) -> One:
        return one(sig.bw1985_t(aar[None, :], np.ones((1, aar.size), bool), np.array([caar]), L2))

    @staticmethod
    def corrado_rank_z(window: np.ndarray, every: np.ndarray) -> One:
        # the window is the last days of the event-days
        dbar = every[None, :]
        start = every.size - window.size
        assert np.array_equal(every[start:], window)
        present = np.ones(dbar.shape, bool)
        return one(rt.corrado_rank_z(dbar, present, start, window.size, np.array([1])))

    @staticmethod
    def generalized_sign_z(car: np.ndarray, n_pos: float, n_est: float) -> One:
        return one(sig.generalized_sign_z(car, np.array([n_pos]), np.array([n_est]), whole(car)))

    @staticmethod
    def sign_z(car: np.ndarray) -> One:
        return one(sig.sign_z(car, whole(car)))

    @staticmethod
    def wilcoxon_w(car: np.ndarray) -> One:
        return one(rt.wilcoxon_w(car, whole(car)))

    @staticmethod
    def grank_t(u0: np.ndarray, ubar: np.ndarray, nt: np.ndarray) -> One:
        return one(rt.grank_t(u0, whole(u0), ubar[None, :], nt[None, :]))

    @staticmethod
    def skew_adj_t(bhar: np.ndarray) -> One:
        return one(sig.skew_adj_t(bhar, whole(bhar)))


CAR = np.array([0.031, -0.012, 0.044, 0.007, 0.019])
SCAR = np.array([1.9, -0.6, 2.4, 0.3, 1.1])
DOF = np.array([248.0, 248.0, 120.0, 200.0, 248.0])


def test_rank_rows_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, (200, 25)).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:40] = rng.standard_normal((40, 25))
    x[40] = np.nan
    r = rank_rows(x)
    for i in range(x.shape[0]):
        m = ~np.isnan(x[i])
        np.testing.assert_allclose(r[i, m], stats.rankdata(x[i, m]))
        assert np.isnan(r[i, ~m]).all()
    assert rank_rows(np.zeros((0, 3))).shape == (0, 3)
    both, prefix = rank_rows_and_prefix(x, 15)
    np.testing.assert_array_equal(both, r)
    for i in range(x.shape[0]):
        m = ~np.isnan(x[i, :15])
        np.testing.assert_allclose(prefix[i, m], stats.rankdata(x[i, :15][m]))
        assert np.isnan(prefix[i, ~m]).all()


@pytest.mark.parametrize("width", [271, 40_000], ids=["int32-packed", "int64-packed"])
def test_rank_rows_and_prefix_on_wide_rows_matches_scipy(width: int) -> None:
    """Rows of the default windows (250 + 21 values) and rows too wide for int32 packing."""
    rng = np.random.default_rng(width)
    x = rng.standard_normal((3, width))
    x[rng.random(x.shape) < 0.05] = np.nan
    k = width - 21
    both, prefix = rank_rows_and_prefix(x, k)
    for i in range(3):
        m, mk = ~np.isnan(x[i]), ~np.isnan(x[i, :k])
        np.testing.assert_array_equal(both[i, m], stats.rankdata(x[i, m]))
        np.testing.assert_array_equal(prefix[i, mk], stats.rankdata(x[i, :k][mk]))
        assert np.isnan(both[i, ~m]).all() and np.isnan(prefix[i, ~mk]).all()


def test_csect_bmp_patell_literal() -> None:
    n = CAR.size
    t = Single.csect_t(CAR)
    assert t.stat == pytest.approx(CAR.mean() / (CAR.std(ddof=1) / math.sqrt(n)))
    assert (t.distribution, t.df) == ("t", 4)
    assert t.p == pytest.approx(2 * stats.t.sf(abs(t.stat), 4))
    b = Single.bmp_t(SCAR)
    assert b.stat == pytest.approx(SCAR.mean() / (SCAR.std(ddof=1) / math.sqrt(n)))
    z = Single.patell_z(SCAR, DOF)
    assert z.stat == pytest.approx(SCAR.sum() / math.sqrt(sum(d / (d - 2) for d in DOF)))
    assert z.p == pytest.approx(2 * stats.norm.sf(abs(z.stat)))
    assert z.df is None and z.distribution == "normal"


def test_kolari_pynnonen_adjustments() -> None:
    rbar = 0.05
    n = SCAR.size
    kp = Single.kp_patell_z(SCAR, DOF, rbar)
    assert kp.stat == pytest.approx(
        Single.patell_z(SCAR, DOF).stat * math.sqrt(1 / (1 + (n - 1) * rbar))
    )
    kb = Single.kp_bmp_t(SCAR, rbar)
    assert kb.stat == pytest.approx(
        Single.bmp_t(SCAR).stat * math.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
    )
    assert kb.df == n - 1
    bad = Single.kp_bmp_t(SCAR, -0.3)  # 1 + 4 * (-0.3) < 0
    assert bad.stat is None and "<= 0" in (bad.note or "")
    assert Single.kp_patell_z(SCAR, DOF, None).stat is None


def average_correlation(
    positions: np.ndarray, resid: np.ndarray, mask: np.ndarray, n_sessions: int
) -> float | None:
    """The engine's r̄: unit residuals summed on the calendar (backtest.crossevent)."""
    u, norm = sig.unit_residuals(np.where(mask, resid, 0.0), mask, mask.sum(axis=1) * 1.0)
    assert np.all(norm > 0)
    sums = CalendarSums(1, n_sessions)
    sums.add_total(np.bincount(positions[mask], weights=u[mask], minlength=n_sessions))
    r = kp_rbar(sums.norm2(), np.array([float(resid.shape[0])]))[0]
    return None if math.isnan(r) else float(r)


def test_average_correlation_is_pairwise_pearson_on_common_dates() -> None:
    rng = np.random.default_rng(4)
    T = 30
    common = rng.standard_normal(T)
    e = np.stack([common + rng.standard_normal(T) for _ in range(4)])
    positions = np.tile(np.arange(T), (4, 1))
    mask = np.ones((4, T), dtype=bool)
    r = average_correlation(positions, e, mask, T)
    c = np.corrcoef(e)
    assert r == pytest.approx(c[~np.eye(4, dtype=bool)].mean(), rel=1e-12)
    # disjoint estimation windows contribute 0
    positions[2:] += T
    r2 = average_correlation(positions, e, mask, 2 * T)
    assert r2 == pytest.approx((c[0, 1] + c[2, 3]) * 2 / 12, rel=1e-12)
    assert average_correlation(positions[:1], e[:1], mask[:1], 2 * T) is None


def test_bw1985_and_corrado() -> None:
    aar = np.array([0.001, -0.002, 0.0005, 0.003, -0.001, 0.0])
    out = Single.bw1985_t(aar, 0.01, 3)
    assert out.stat == pytest.approx(0.01 / (math.sqrt(3) * aar.std(ddof=1)))
    assert out.df == 5
    dbar_all = np.array([0.1, -0.05, 0.02, 0.2, 0.15])
    out = Single.corrado_rank_z(dbar_all[-2:], dbar_all)
    assert out.stat == pytest.approx(0.35 / (math.sqrt(2) * math.sqrt((dbar_all**2).mean())))
    assert Single.bw1985_t(aar[:1], 0.01, 3).stat is None


def test_sign_tests() -> None:
    g = Single.generalized_sign_z(CAR, 520.0, 1000.0)
    p = 0.52
    assert g.stat == pytest.approx((4 - 5 * p) / math.sqrt(5 * p * (1 - p)))
    s = Single.sign_z(CAR)
    assert s.stat == pytest.approx((4 - 2.5) / math.sqrt(5 / 4))
    assert Single.generalized_sign_z(CAR, 0.0, 1000.0).stat is None


@pytest.mark.parametrize("n", [1, 3, 6, 12, 30, 50])
def test_wilcoxon_exact_matches_scipy(n: int) -> None:
    x = np.random.default_rng(n).standard_normal(n) + 0.4
    out = Single.wilcoxon_w(x)
    ref = stats.wilcoxon(x, method="exact")
    ranks = stats.rankdata(np.abs(x))
    assert out.stat == pytest.approx(ranks[x > 0].sum())
    assert out.p == pytest.approx(ref.pvalue, rel=1e-10)
    assert out.distribution == "exact"


def test_wilcoxon_normal_with_ties_and_zeros() -> None:
    x = np.array([0.01, -0.01, 0.02, 0.02, 0.0, -0.03, 0.05, 0.01, 0.04, -0.02])
    out = Single.wilcoxon_w(x)
    r = stats.rankdata(np.abs(x))
    nz = x != 0
    w = r[x > 0].sum()
    z = (w - r[nz].sum() / 2) / math.sqrt((r[nz] ** 2).sum() / 4)
    assert out.stat == pytest.approx(w)
    assert out.p == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert out.distribution == "normal"
    # without zeros, scipy's tie-corrected normal approximation agrees
    y = x[nz]
    ref = stats.wilcoxon(y, method="approx", correction=False)
    assert Single.wilcoxon_w(y).p == pytest.approx(ref.pvalue, rel=1e-10)
    big = np.random.default_rng(1).standard_normal(60)
    ref = stats.wilcoxon(big, method="approx", correction=False)
    assert Single.wilcoxon_w(big).p == pytest.approx(ref.pvalue, rel=1e-10)


def test_grank_literal() -> None:
    u0 = np.array([0.3, 0.1, 0.4, -0.1])
    ubar = np.array([0.2, -0.15, 0.1, -0.2, 0.12])
    nt = np.array([4.0, 4.0, 3.0, 4.0, 2.0])
    out = Single.grank_t(u0, ubar, nt)
    T = 6
    s = math.sqrt(((nt / 4 * ubar**2).sum() + u0.mean() ** 2) / T)
    Z = u0.mean() / s
    assert out.stat == pytest.approx(Z * math.sqrt((T - 2) / (T - 1 - Z**2)))
    assert out.df == T - 2
    # a tiny spread of the estimation-day means makes T - 1 - Z² negative: undefined
    flat = Single.grank_t(u0, ubar / 100, nt)
    assert flat.stat is None and "T − 1 − Z²" in (flat.note or "")


def test_skewness_adjusted_t() -> None:
    b = np.array([0.12, -0.03, 0.02, 0.5, -0.08, 0.01])
    n = b.size
    S = b.mean() / b.std(ddof=1)
    g = ((b - b.mean()) ** 3).sum() / (n * b.std(ddof=1) ** 3)
    out = Single.skew_adj_t(b)
    assert out.stat == pytest.approx(math.sqrt(n) * (S + g * S**2 / 3 + g / (6 * n)))
    assert out.df == n - 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: Single.csect_t(np.array([0.1])),
        lambda: Single.csect_t(np.array([0.1, 0.1])),
        lambda: Single.bmp_t(np.array([])),
        lambda: Single.patell_z(SCAR, np.array([2.0, 5, 5, 5, 5])),
        lambda: Single.grank_t(np.array([0.1]), np.array([]), np.array([])),
        lambda: Single.skew_adj_t(np.array([0.2, 0.2, 0.2])),
        lambda: Single.wilcoxon_w(np.zeros(60)),
        lambda: Single.sign_z(np.array([])),
        lambda: Single.corrado_rank_z(np.array([]), np.array([])),
    ],
    ids=[
        "n1",
        "zero-sd",
        "empty",
        "dof2",
        "grank-n1",
        "skew-flat",
        "wilcoxon-zeros",
        "sign-empty",
        "corrado-empty",
    ],
)
def test_undefined_statistics_are_null_with_a_note(call: object) -> None:
    out = call()  # type: ignore[operator]
    assert out.stat is None and out.p is None
    assert out.note


def _ranks_medians_by_scipy(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row by row: scipy's average ranks of the row and of its first k values, nanmedian."""
    ranks, prefix = np.full(x.shape, np.nan), np.full((x.shape[0], k), np.nan)
    med = np.full(x.shape[0], np.nan)
    for i, row in enumerate(x):
        m, mk = ~np.isnan(row), ~np.isnan(row[:k])
        ranks[i, m] = stats.rankdata(row[m])
        prefix[i, mk] = stats.rankdata(row[:k][mk])
        if m.any():
            med[i] = np.median(row[m])
    return ranks, prefix, med


@pytest.mark.parametrize(
    ("width", "k"),
    [(266, 0), (266, 1), (266, 250), (266, 266), (512, 512), (1023, 1000), (1024, 1024)],
    ids=["k0", "k1", "default", "k=M", "power-of-2-k=M", "widest-packed", "too-wide"],
)
def test_rank_rows_prefix_median_matches_scipy(width: int, k: int) -> None:
    """Packed-key ranks equal scipy's, with the rows the packing cannot order (equal values,
    values a few ulps apart, -0.0 beside 0.0, ±inf) and rows of no or one value."""
    from backtest.ranks import rank_rows_prefix_median

    rng = np.random.default_rng(width + k)
    x = rng.normal(0.0, 0.02, (40, width))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[1, 3] = x[1, 7]  # a tie
    x[2] = np.round(x[2], 2)  # many ties
    x[3, 4], x[3, 9] = -0.0, 0.0  # equal values, different bits
    x[4, 4], x[4, 9] = 1.0, np.nextafter(1.0, 2.0)  # share all but the lowest bits
    x[5, 4], x[5, 9] = 0.0, np.nextafter(0.0, 1.0)
    x[6] = np.nan
    x[7, 1:] = np.nan
    x[8, 2], x[8, 3], x[8, 5] = np.inf, np.inf, -np.inf
    x[9, 5] = -0.0
    x[10, :] = np.abs(x[10, :])  # every value positive
    x[11, :] = -np.abs(x[11, :])  # every value negative
    ranks, prefix, med = rank_rows_prefix_median(x, k)
    want_ranks, want_prefix, want_med = _ranks_medians_by_scipy(x, k)
    finite = np.arange(x.shape[0]) != 8  # ±inf: as rank_rows_and_prefix (checked below)
    np.testing.assert_array_equal(ranks[finite], want_ranks[finite])
    np.testing.assert_array_equal(prefix[finite], want_prefix[finite])
    np.testing.assert_array_equal(med[finite], want_med[finite])
    assert np.signbit(med[9]) == np.signbit(np.median(x[9][~np.isnan(x[9])]))
    old_ranks, old_prefix = rank_rows_and_prefix(x, k)  # the argsort path: the same numbers
    np.testing.assert_array_equal(ranks, old_ranks)
    np.testing.assert_array_equal(prefix, old_prefix)
    assert np.isnan(med[6]) and med[7] == x[7, 0]


def test_rank_rows_prefix_median_of_no_rows() -> None:
    from backtest.ranks import rank_rows_prefix_median

    ranks, prefix, med = rank_rows_prefix_median(np.zeros((0, 5)), 3)
    assert ranks.shape == (0, 5) and prefix.shape == (0, 3) and med.shape == (0,)
