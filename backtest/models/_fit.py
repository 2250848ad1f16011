"""Batched ordinary least squares over masked, stacked estimation windows.

:class:`ModelFit` holds the results of N observations and :func:`fit_linear`
computes them; shared by every model. One observation per row; no loop over
observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray

# A regressor whose centred sum of squares is below this fraction of its raw sum of
# squares (or a design whose scaled cross-product matrix has an eigenvalue below
# it) is treated as singular.
SINGULAR_TOL = 1e-10
# s_i below this fraction of the root mean square of the dependent variable is 0.
ZERO_VARIANCE_TOL = 1e-12


@dataclass(frozen=True)
class ModelFit:
    """Batched OLS results for N observations (rows of every array).

    Attributes
    ----------
    params
        ``(N, k)`` estimates in the order of the model's ``param_names``
        (intercept first when the model has one).
    n
        ``L_i``, the number of estimation days used.
    s2
        Residual variance ``s_i²`` (``docs/statistics.md``, "Residual variance").
    dof
        Degrees of freedom ``d_i`` (``L_i − k``; ``L_i − 1`` for ``market_adjusted``).
    r2
        Centred R² (NaN for ``market_adjusted``, 0 for ``constant_mean``).
    resid
        ``(N, L)`` estimation residuals ``e_it``, NaN off the estimation days.
    xbar, cinv
        ``(N, m)`` estimation means of the ``m`` regressors and ``(N, m, m)``
        inverse of their centred cross-product matrix ``C = Σ (x − x̄)(x − x̄)'``.
    intercept
        Whether the design has an intercept column.
    singular
        ``X'X`` is (numerically) singular: parameters are NaN.
    zero_variance
        ``s_i = 0`` (to rounding): the residuals carry no variation.
    """

    params: FloatArray
    n: IntArray
    s2: FloatArray
    dof: IntArray
    r2: FloatArray
    resid: FloatArray
    xbar: FloatArray
    cinv: FloatArray
    intercept: bool
    singular: BoolArray
    zero_variance: BoolArray

    def xtx_inv(self) -> FloatArray:
        """``(N, k, k)`` ``(X'X)⁻¹`` of the design ``[1, x]`` (empty for k = 0).

        From the partitioned inverse:
        ``[[1/L + x̄'C⁻¹x̄, −x̄'C⁻¹], [−C⁻¹x̄, C⁻¹]]``.
        """
        N, m = self.xbar.shape
        if not self.intercept:
            return np.zeros((N, 0, 0))
        out = np.empty((N, m + 1, m + 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            cx = np.einsum("npq,nq->np", self.cinv, self.xbar)
            out[:, 0, 0] = 1.0 / self.n + np.einsum("np,np->n", self.xbar, cx)
        out[:, 0, 1:] = -cx
        out[:, 1:, 0] = -cx
        out[:, 1:, 1:] = self.cinv
        return out

    def prediction_term(self, sums: Sequence[FloatArray], count: float | FloatArray) -> FloatArray:
        """``x_W' (X'X)⁻¹ x_W`` for summed design rows ``x_W = Σ_{t∈W} [1, x_t]``.

        Parameters
        ----------
        sums
            One ``(N, J)`` array per regressor: ``Σ_{t∈W} x_pt`` for J windows (or
            single days, with ``count = 1``).
        count
            Number of days summed, ``L2`` (a scalar or a ``(J,)`` array); it is the
            intercept's entry of ``x_W``.

        Notes
        -----
        Centred form, ``L2²/L + (x_W − L2 x̄)' C⁻¹ (x_W − L2 x̄)``, which for the
        market model is the textbook ``L2²/L + (Σ_{t∈W}(R_mt − R̄_m))² / S_mm``
        (Campbell, Lo and MacKinlay 1997, ch. 4).
        """
        cnt = np.asarray(count, dtype=np.float64)
        N = self.n.shape[0]
        J = sums[0].shape[1] if sums else (cnt.shape[0] if cnt.ndim else 1)
        if not self.intercept:
            return np.zeros((N, J))
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.broadcast_to(cnt**2, (N, J)) / self.n[:, None]
            dev = [s - cnt * self.xbar[:, p, None] for p, s in enumerate(sums)]
            for p, dp in enumerate(dev):
                for r, dr in enumerate(dev):
                    q = q + dp * self.cinv[:, p, r, None] * dr
        return q


def _rowdot(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise dot products ``Σ_t a_it b_it`` without a temporary array."""
    return np.asarray(np.einsum("ij,ij->i", a, b), dtype=np.float64)


def fit_linear(
    dependent: FloatArray,
    regressors: Sequence[FloatArray],
    mask: BoolArray,
    *,
    k: int,
    intercept: bool,
    denominator: str = "L-k",
) -> ModelFit:
    """OLS of ``y`` on ``[1, x_1 .. x_m]`` per row, over the days where ``mask`` is True.

    Parameters
    ----------
    dependent
        ``(N, L)`` dependent variable ``y_it = R_it − o_t`` (any value off the mask).
    regressors
        ``m`` arrays ``(N, L)``; ``m = k − 1`` with an intercept.
    mask
        ``(N, L)`` estimation days ``E_i``.
    k
        Number of estimated parameters (0 for ``market_adjusted``).
    intercept
        False only for ``market_adjusted`` (nothing is estimated, ``y`` is the AR).
    denominator
        ``"L-k"``, ``"L-1"`` or ``"L"`` (ddof 0, the eventstudy conventions).

    Returns
    -------
    ModelFit

    Notes
    -----
    With centred data ``ỹ = y − ȳ``, ``x̃ = x − x̄`` the slopes solve
    ``C b = Σ x̃ ỹ`` with ``C = Σ x̃ x̃'``, and ``α = ȳ − x̄'b``. One regressor is
    solved in closed form (``b = S_xy / S_xx``); more use a batched
    ``numpy.linalg.solve`` on ``(N, m, m)``. ``s² = Σ e² / (L − k)`` or
    ``/ (L − 1)``; ``market_adjusted`` demeans its residuals for ``s²`` and divides
    by ``L − 1`` (``docs/statistics.md``, "Residual variance").
    """
    N = dependent.shape[0]
    m = len(regressors)
    n = mask.sum(axis=1).astype(np.int64)
    nf = n.astype(np.float64)
    # each (N, L) temporary is formed in place where it can be: a fresh one costs about
    # as much in page faults as the arithmetic (the numbers are the same operations)
    off = ~mask
    y = np.where(mask, dependent, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = y.sum(axis=1) / nf
        yc = np.subtract(dependent, ybar[:, None], order="C")  # C order: _rowdot's sums
        np.copyto(yc, 0.0, where=off)
        scale = _rowdot(y, y) / nf
        sst = _rowdot(yc, yc)
        if not intercept:
            # market_adjusted: nothing estimated; AR = y, s² from demeaned residuals
            resid = np.where(mask, dependent, np.nan)
            s2 = sst / (nf if denominator == "L" else nf - 1.0)
            dof = n - 1
            return ModelFit(
                params=np.zeros((N, 0)),
                n=n,
                s2=s2,
                dof=dof,
                r2=np.full(N, np.nan),
                resid=resid,
                xbar=np.zeros((N, 0)),
                cinv=np.zeros((N, 0, 0)),
                intercept=False,
                singular=np.zeros(N, dtype=bool),
                zero_variance=~(s2 > ZERO_VARIANCE_TOL**2 * scale),
            )
        xbar = np.empty((N, m))
        xc: list[FloatArray] = []
        raw_ss = np.empty((N, m))
        # y is not needed again: its buffer holds each regressor on the mask (a float64,
        # C-ordered one: the values and _rowdot's order of addition as np.where's)
        xm = y if y.dtype == np.float64 and y.flags.c_contiguous else np.empty(y.shape)
        for p, x in enumerate(regressors):
            np.copyto(xm, x)
            np.copyto(xm, 0.0, where=off)
            xbar[:, p] = xm.sum(axis=1) / nf
            xp = np.subtract(x, xbar[:, p, None], order="C")
            np.copyto(xp, 0.0, where=off)
            xc.append(xp)
            raw_ss[:, p] = _rowdot(xm, xm)
        C = np.empty((N, m, m))
        sxy = np.empty((N, m))
        for p in range(m):
            sxy[:, p] = _rowdot(xc[p], yc)
            for r in range(p, m):
                C[:, p, r] = C[:, r, p] = _rowdot(xc[p], xc[r])
        diag = np.diagonal(C, axis1=1, axis2=2)
        singular = (nf < k) | np.any(~(diag > SINGULAR_TOL * raw_ss), axis=1) if m else nf < k
        if m == 1:
            cinv = 1.0 / C
            slopes = sxy / C[:, 0, :]
        elif m > 1:
            d = np.sqrt(np.where(diag > 0, diag, 1.0))
            corr = C / (d[:, :, None] * d[:, None, :])
            corr = np.where(np.isfinite(corr), corr, 0.0)
            eig_min = np.linalg.eigvalsh(corr)[:, 0]
            singular = singular | ~(eig_min > SINGULAR_TOL)
            safe = np.where(singular[:, None, None], np.eye(m), corr)
            inv_corr = np.linalg.inv(safe)
            cinv = inv_corr / (d[:, :, None] * d[:, None, :])
            slopes = np.einsum("npq,nq->np", cinv, sxy)
        else:
            cinv = np.zeros((N, 0, 0))
            slopes = np.zeros((N, 0))
        singular = np.asarray(singular, dtype=bool)
        alpha = ybar - np.einsum("np,np->n", xbar, slopes)
        e = yc  # not needed again: the residuals form in its buffer
        for p in range(m):
            e -= np.multiply(slopes[:, p, None], xc[p], out=xm)
        ssr = _rowdot(e, e)
        resid = e  # not needed again: NaN off the mask, in place
        np.copyto(resid, np.nan, where=off)
        denom = nf - k if denominator == "L-k" else nf if denominator == "L" else nf - 1.0
        s2 = ssr / denom
        r2 = 1.0 - ssr / sst
    params = np.column_stack([alpha, slopes])
    params[singular] = np.nan
    cinv = np.where(singular[:, None, None], np.nan, cinv)
    s2 = np.where(singular, np.nan, s2)
    r2 = np.where(singular | ~(sst > 0), np.nan, r2)
    if singular.any():
        resid[singular] = np.nan
    zero = ~singular & ~(s2 > ZERO_VARIANCE_TOL**2 * scale)
    return ModelFit(
        params=params,
        n=n,
        s2=s2,
        dof=n - k,
        r2=r2,
        resid=resid,
        xbar=xbar,
        cinv=cinv,
        intercept=True,
        singular=singular,
        zero_variance=zero,
    )
