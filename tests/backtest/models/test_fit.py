"""backtest.models._fit.fit_linear: its numbers do not depend on how the inputs are laid out,
and they equal a least-squares solve (``numpy.linalg.lstsq``, SVD) row by row."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.models._fit import ModelFit, fit_linear


def _inputs(m: int) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(7 + m)
    regs = [rng.normal(0, 0.01, (40, 120)) for _ in range(m)]
    dep = 0.0002 + sum(0.8 * r for r in regs) + rng.normal(0, 0.02, (40, 120))
    mask = rng.random((40, 120)) > 0.05
    return np.where(mask, dep, np.nan), regs, mask


def _fields(f: ModelFit) -> list[np.ndarray]:
    return [f.params, f.s2, f.r2, f.resid, f.xbar, f.cinv]


@pytest.mark.parametrize("m", [1, 2, 3])
def test_the_layout_of_the_inputs_changes_no_bit(m: int) -> None:
    """Fortran-ordered or reversed-stride inputs: the same fit, bit for
    bit, as C-ordered float64 ones (the temporaries are formed in place)."""
    dep, regs, mask = _inputs(m)
    want = fit_linear(dep, regs, mask, k=m + 1, intercept=True)
    variants = [
        (np.asfortranarray(dep), [np.asfortranarray(r) for r in regs]),
        (dep[::-1][::-1], [r[:, ::-1][:, ::-1] for r in regs]),
        (np.asfortranarray(dep), regs),
    ]
    for d, rs in variants:
        got = fit_linear(d, rs, mask, k=m + 1, intercept=True)
        for a, b in zip(_fields(want), _fields(got), strict=True):
            assert np.array_equal(a, b, equal_nan=True)
    before = [r.copy() for r in regs]
    fit_linear(dep, regs, mask, k=m + 1, intercept=True)
    assert all(np.array_equal(a, b) for a, b in zip(before, regs, strict=True))  # inputs kept


@pytest.mark.parametrize("m", [1, 2])
def test_rows_equal_a_least_squares_solve(m: int) -> None:
    """Each row's α, slopes, residuals and s² (divisor L − k) are those of an SVD
    least-squares solve on the masked days (the golden files check statsmodels' OLS)."""
    dep, regs, mask = _inputs(m)
    fit = fit_linear(dep, regs, mask, k=m + 1, intercept=True)
    for i in range(0, 40, 7):
        on = mask[i]
        X = np.column_stack([np.ones(on.sum()), *(r[i, on] for r in regs)])
        beta, *_ = np.linalg.lstsq(X, dep[i, on], rcond=None)
        resid = dep[i, on] - X @ beta
        assert np.allclose(fit.params[i], beta, rtol=1e-10, atol=1e-14)
        assert np.isclose(fit.s2[i], resid @ resid / (on.sum() - m - 1), rtol=1e-10)
        assert np.allclose(fit.resid[i, on], resid, rtol=1e-9, atol=1e-15)
        assert np.isnan(fit.resid[i, ~on]).all()
