"""The contract every return model meets, and the batched fit it returns.

A model turns the gathered daily series of N observations (each an ``(N, L)``
array aligned on the observations' estimation or event days) into

* an *offset* ``o_t`` (``rf_t`` for excess-return models, ``R_mt`` for
  ``market_adjusted``, nothing otherwise), and
* regressor columns ``x_t`` (without the intercept),

so that for every model ``AR_it = R_it − o_t − x_t'θ̂_i`` and
``E[R_it] = o_t + x_t'θ̂_i`` (``docs/statistics.md``, "Return models"). The fit is
ordinary least squares of ``R_it − o_t`` on ``[1, x_t]`` over each observation's
estimation days, batched over observations (:func:`backtest.models._linear.fit_linear`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray, ModelName, SeriesName


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


class ReturnModel(ABC):
    """One return model: what it needs, how it splits a return, how it is fitted.

    Subclasses set the class attributes and implement :meth:`offset` and
    :meth:`regressors`; the batched OLS fit is shared.
    """

    #: Name used in the config and the output.
    name: ModelName
    #: Number of estimated parameters (``docs/statistics.md``).
    k: int
    #: Daily series the model reads (see ``backtest._typing.SeriesName``).
    needs: tuple[SeriesName, ...]
    #: Names of the parameters, intercept first.
    param_names: tuple[str, ...]
    #: Whether the regression has an intercept (all but ``market_adjusted``).
    intercept: bool = True
    #: Parameter reported as ``beta`` in the diagnostics (None: the model has none).
    beta_param: str | None = None

    @property
    def uses_benchmark(self) -> bool:
        """Whether the model reads the benchmark ticker's return."""
        return "market" in self.needs or "market_excess" in self.needs

    @property
    def uses_factors(self) -> bool:
        """Whether the model reads the factors frame (``rf`` or factor returns)."""
        return any(s not in ("market",) for s in self.needs)

    @property
    def factor_columns(self) -> tuple[str, ...]:
        """Columns of the factors frame the model reads."""
        cols = {"rf" if s == "market_excess" else s for s in self.needs if s != "market"}
        return tuple(c for c in ("mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf") if c in cols)

    @abstractmethod
    def offset(self, series: Mapping[str, FloatArray]) -> FloatArray | None:
        """``o_t``: the part of the expected return that is not estimated (None: 0)."""

    @abstractmethod
    def regressors(self, series: Mapping[str, FloatArray]) -> list[FloatArray]:
        """The regressor columns ``x_t`` (without the intercept), each ``(N, L)``."""

    def fit(
        self,
        dependent: FloatArray,
        regressors: Sequence[FloatArray],
        mask: BoolArray,
        denominator: str = "L-k",
    ) -> ModelFit:
        """Batched OLS of ``dependent = R − o`` on ``[1, regressors]`` over ``mask``.

        See :func:`backtest.models._linear.fit_linear`.
        """
        from backtest.models._linear import fit_linear

        return fit_linear(
            dependent,
            regressors,
            mask,
            k=self.k,
            intercept=self.intercept,
            denominator=denominator,
        )
