"""The ReturnModel contract, checked on every model against numpy.linalg.lstsq per row."""

from __future__ import annotations

import numpy as np
import pytest

from backtest import MODEL_NAMES
from backtest.models import ReturnModel, get_model, model_k, needs_factors

N, L = 12, 60


def _series(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    names = ["market", "rf", "mkt_rf", "smb", "hml", "rmw", "cma", "mom"]
    out = {n: rng.normal(0.0, 0.01, (N, L)) for n in names}
    out["rf"] = np.abs(out["rf"]) * 0.01
    out["market_excess"] = out["market"] - out["rf"]
    return out


def _design(
    model: ReturnModel, series: dict[str, np.ndarray], i: int, days: np.ndarray
) -> np.ndarray:
    cols = [x[i, days] for x in model.regressors(series)]
    if model.intercept:
        cols = [np.ones(days.size), *cols]
    return np.column_stack(cols) if cols else np.zeros((days.size, 0))


@pytest.fixture(params=MODEL_NAMES, ids=list(MODEL_NAMES))
def model(request: pytest.FixtureRequest) -> ReturnModel:
    return get_model(request.param)


# k per model, from docs/statistics.md ("Return models"): the specification, not the code
SPEC_K = {
    "market_adjusted": 0,
    "constant_mean": 1,
    "market_model": 2,
    "capm": 2,
    "ff3": 4,
    "carhart4": 5,
    "ff5": 6,
}


def test_declared_shape(model: ReturnModel) -> None:
    assert model.k == SPEC_K[model.name] == len(model.param_names) == model_k(model.name)
    if model.intercept:
        assert model.param_names[0] == "alpha"
        assert len(model.regressors(_series(0))) == model.k - 1
    else:
        assert model.name == "market_adjusted"
    assert model.needs_benchmark == (model.name in {"market_adjusted", "market_model", "capm"})
    assert model.needs_factors == (model.name in {"capm", "ff3", "carhart4", "ff5"})
    assert needs_factors(model.name) == model.needs_factors


@pytest.mark.parametrize("denominator", ["L-k", "L-1"])
def test_batched_fit_matches_lstsq_row_by_row(model: ReturnModel, denominator: str) -> None:
    rng = np.random.default_rng(3)
    s = _series(1)
    y = rng.normal(0.0005, 0.02, (N, L))
    mask = rng.random((N, L)) > 0.15
    mask[0] = True
    offset = model.offset(s)
    dep = y if offset is None else y - offset
    fit = model.fit(dep, model.regressors(s), mask, denominator)
    A = fit.xtx_inv()
    for i in range(N):
        days = np.flatnonzero(mask[i])
        n = days.size
        X = _design(model, s, i, days)
        d = dep[i, days]
        assert fit.n[i] == n
        if model.k:
            beta, *_ = np.linalg.lstsq(X, d, rcond=None)
            e = d - X @ beta
            np.testing.assert_allclose(fit.params[i], beta, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(A[i], np.linalg.inv(X.T @ X), rtol=1e-8)
            denom = n - model.k if denominator == "L-k" else n - 1
            assert fit.s2[i] == pytest.approx(e @ e / denom, rel=1e-10)
            assert fit.dof[i] == n - model.k
            sst = ((d - d.mean()) ** 2).sum()
            if model.name == "constant_mean":
                assert fit.r2[i] == pytest.approx(0.0, abs=1e-12)
            else:
                assert fit.r2[i] == pytest.approx(1 - e @ e / sst, rel=1e-10)
        else:
            e = d
            # market_adjusted: demeaned, L - 1, under both conventions
            assert fit.s2[i] == pytest.approx(((d - d.mean()) ** 2).sum() / (n - 1), rel=1e-12)
            assert fit.dof[i] == n - 1
            assert np.isnan(fit.r2[i])
        np.testing.assert_allclose(fit.resid[i, days], e, atol=1e-14)
        assert np.isnan(fit.resid[i, ~mask[i]]).all()
    assert not fit.singular.any()
    assert not fit.zero_variance.any()


def test_prediction_term_is_the_quadratic_form(model: ReturnModel) -> None:
    rng = np.random.default_rng(5)
    s = _series(2)
    y = rng.normal(0.0, 0.02, (N, L))
    mask = np.ones((N, L), dtype=bool)
    mask[:, -5:] = False  # the last 5 days play the event window
    offset = model.offset(s)
    fit = model.fit(y if offset is None else y - offset, model.regressors(s), mask)
    A = fit.xtx_inv()
    regs = [x[:, -5:] for x in model.regressors(s)]
    daily = fit.prediction_term(regs, 1.0)
    summed = fit.prediction_term([x.sum(axis=1, keepdims=True) for x in regs], 5.0)
    for i in range(N):
        window = _design(model, s, i, np.arange(L - 5, L))
        for t in range(5):
            x = window[t]
            expected = x @ A[i] @ x if model.k else 0.0
            assert daily[i, t if daily.shape[1] > 1 else 0] == pytest.approx(expected, rel=1e-9)
        xw = window.sum(axis=0)
        expected = xw @ A[i] @ xw if model.k else 0.0
        assert summed[i, 0] == pytest.approx(expected, rel=1e-9)


def test_market_model_textbook_variance_terms() -> None:
    """1/L + (R_m − R̄_m)²/S_mm and L2²/L + (Σ(R_m − R̄_m))²/S_mm (MacKinlay 1997)."""
    model = get_model("market_model")
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 0.01, (1, 40))
    y = 0.001 + 1.2 * x + rng.normal(0.0, 0.02, (1, 40))
    mask = np.zeros((1, 40), dtype=bool)
    mask[0, :30] = True
    fit = model.fit(y, [x], mask)
    xe = x[0, :30]
    xbar = xe.mean()
    smm = ((xe - xbar) ** 2).sum()
    day = fit.prediction_term([x[:, 30:31]], 1.0)[0, 0]
    assert day == pytest.approx(1 / 30 + (x[0, 30] - xbar) ** 2 / smm, rel=1e-12)
    w = x[0, 30:33]
    car = fit.prediction_term([w.sum(keepdims=True)[None, :]], 3.0)[0, 0]
    assert car == pytest.approx(9 / 30 + ((w - xbar).sum()) ** 2 / smm, rel=1e-12)


def test_singular_design_and_zero_variance_are_flagged() -> None:
    model = get_model("market_model")
    x = np.tile(np.linspace(-0.01, 0.01, 20), (3, 1))
    x[1] = 0.004  # constant regressor: singular X'X
    y = 0.0002 + 0.9 * x
    y[0] += np.random.default_rng(0).normal(0, 0.01, 20)
    mask = np.ones_like(x, dtype=bool)
    fit = model.fit(y, [x], mask)
    assert fit.singular.tolist() == [False, True, False]
    assert np.isnan(fit.params[1]).all()
    assert fit.zero_variance.tolist() == [False, False, True]  # row 2 is exactly on the line
    assert fit.params[2] == pytest.approx([0.0002, 0.9])


def test_ff5_collinear_factors_are_singular() -> None:
    model = get_model("ff5")
    s = _series(4)
    s["cma"] = s["hml"] * 2.0  # perfectly collinear
    y = np.random.default_rng(1).normal(0, 0.01, (N, L))
    fit = model.fit(y - s["rf"], model.regressors(s), np.ones((N, L), dtype=bool))
    assert fit.singular.all()
    assert np.isnan(fit.s2).all()
