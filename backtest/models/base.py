"""The contract every return model meets.

A model turns the gathered daily series of N observations (each an ``(N, L)``
array aligned on the observations' estimation or event days) into

* an *offset* ``o_t`` (``rf_t`` for excess-return models, ``R_mt`` for
  ``market_adjusted``, nothing otherwise), and
* regressor columns ``x_t`` (without the intercept),

so that for every model ``AR_it = R_it − o_t − x_t'θ̂_i`` and
``E[R_it] = o_t + x_t'θ̂_i`` (``docs/statistics.md``, "Return models"). The fit is
ordinary least squares of ``R_it − o_t`` on ``[1, x_t]`` over each observation's
estimation days, batched over observations (:func:`backtest.models._fit.fit_linear`).

The class attributes are authoritative: the registry
(:data:`backtest.models.MODELS`), the names, ``k`` and which inputs a model
needs are all read from them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar

from backtest._typing import (
    FACTOR_COLUMNS,
    BoolArray,
    FactorColumn,
    FloatArray,
    ModelName,
    SeriesName,
)
from backtest.models._fit import ModelFit, fit_linear


class ReturnModel(ABC):
    """One return model: what it needs, how it splits a return, how it is fitted.

    Subclasses set the class attributes ``name``, ``k``, ``needs`` and
    ``param_names`` (and ``intercept``, ``beta_param`` where they differ) and
    implement :meth:`offset` and :meth:`regressors`; the batched OLS fit is
    shared. ``needs_benchmark``, ``needs_factors`` and ``factor_columns`` are
    derived from ``needs`` when the subclass is created.
    """

    #: Name used in the config and the output.
    name: ClassVar[ModelName]
    #: Number of estimated parameters (``docs/statistics.md``).
    k: ClassVar[int]
    #: Daily series the model reads (see ``backtest._typing.SeriesName``).
    needs: ClassVar[tuple[SeriesName, ...]]
    #: Names of the parameters, intercept first.
    param_names: ClassVar[tuple[str, ...]]
    #: Whether the regression has an intercept (all but ``market_adjusted``).
    intercept: ClassVar[bool] = True
    #: Parameter reported as ``beta`` in the diagnostics (None: the model has none).
    beta_param: ClassVar[str | None] = None

    #: Whether the model reads the benchmark ticker's return (derived from ``needs``).
    needs_benchmark: ClassVar[bool] = False
    #: Whether the model reads the factors frame, ``rf`` or factor returns (derived).
    needs_factors: ClassVar[bool] = False
    #: Columns of the factors frame the model reads, in file order (derived).
    factor_columns: ClassVar[tuple[FactorColumn, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        needs: tuple[SeriesName, ...] | None = getattr(cls, "needs", None)
        if needs is None:  # an intermediate base such as FactorModel
            return
        cls.needs_benchmark = "market" in needs or "market_excess" in needs
        cls.needs_factors = any(s != "market" for s in needs)
        cols = {"rf" if s == "market_excess" else s for s in needs if s != "market"}
        cls.factor_columns = tuple(c for c in FACTOR_COLUMNS if c in cols)

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

        See :func:`backtest.models._fit.fit_linear`.
        """
        return fit_linear(
            dependent,
            regressors,
            mask,
            k=self.k,
            intercept=self.intercept,
            denominator=denominator,
        )
