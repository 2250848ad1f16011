"""The contract of a measure: what the engine measures around each event.

The engine core (:mod:`backtest.blocks`, :mod:`backtest.crossevent`) knows
windows, statuses, cumulation and the cross-event tests; a :class:`Measure`
says *what* is measured:

* its ``name``, its input frame (``frame``) and the panel columns it ``reads``
  (``("ret",)`` of ``returns`` for returns);
* :meth:`Measure.prepare`: the per-ticker values ``y_it`` and the calendar
  series its expected-value model uses, in the measure's units (e.g.
  ``ln(1 + R)`` for log returns, ``ln(volume)`` for abnormal volume);
* :meth:`Measure.estimate` and :meth:`Measure.abnormal`: the expected value
  fitted on the estimation window and, on the event period, the abnormal values
  ``A_it = y_it − Ê[y_it]`` with the variances of single days and of sums of
  days (default: a linear model of :mod:`backtest.models` with its
  prediction-error variances, ``docs/statistics.md``);
* :meth:`Measure.window_values`: extra per-window values (BHAR for returns);
* :meth:`Measure.frames`: the result frames it contributes (``frame_names``).

Returns (:class:`backtest.measures.returns.Returns`) are the first measure.
Abnormal volume (:mod:`backtest.measures.volume`, Campbell and Wasley 1996:
``ln(1 + volume)`` against its estimation-window mean, standardised by its
estimation-window standard deviation) and abnormal volatility
(:mod:`backtest.measures.volatility`: squared standardized abnormal returns
against their estimation level) are one module each: a subclass that reads
``("volume",)`` (or squares the abnormal returns), picks its model and names
its frames, run by :func:`backtest.engine.study` (or several at once by
:func:`backtest.engine.study_many`) with no change to the engine core
(``tests/backtest/test_measures.py`` does it for a toy log volume too).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.config import EventStudyConfig
from backtest.measured import Layout, Measured
from backtest.models import ModelFit, ReturnModel
from backtest.panel import Panel


@dataclass(frozen=True)
class MeasureData:
    """What a measure reads, on the session calendar and in its own units.

    Attributes
    ----------
    values
        ``(n_tickers, T)`` the measured quantity ``y_it`` (rows as in the panel),
        NaN where missing.
    series
        ``(T,)`` calendar series by name that the expected-value model may use
        (``backtest._typing.SeriesName``), NaN where missing.
    benchmark_row
        Row of the benchmark ticker in ``values`` (-1: absent).
    """

    values: FloatArray
    series: Mapping[str, FloatArray]
    benchmark_row: int


@dataclass(frozen=True)
class Abnormal:
    """Abnormal values of n observations on the event period, from a linear model.

    ``abnormal`` and ``var`` are ``(n, Lp)``: ``A_it`` and ``Var(A_it)``.
    :meth:`sum_variance` and :meth:`path_variance` give the variance of sums
    of consecutive days, which is not the sum of the daily variances: the
    estimated parameters are common to all days (``docs/statistics.md``,
    "Prediction-error variances").
    """

    abnormal: FloatArray
    var: FloatArray
    fit: ModelFit
    regressors: Sequence[FloatArray]
    #: ``False`` under the ``eventstudy`` conventions: ``Var(Σ A) = L2 s²`` (no estimation error)
    prediction_error: bool = True

    def sum_variance(self, start: int, stop: int) -> FloatArray:
        """``(n,)`` ``Var(Σ_{t ∈ [start, stop)} A_it) = s² (L2 + x_W' (X'X)⁻¹ x_W)``."""
        L2 = stop - start
        if not self.prediction_error:
            return np.asarray(self.fit.s2 * float(L2), dtype=np.float64)
        sums = [x[:, start:stop].sum(axis=1, keepdims=True) for x in self.regressors]
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = self.fit.s2 * (L2 + self.fit.prediction_term(sums, float(L2))[:, 0])
        return out

    def path_variance(self) -> FloatArray:
        """``(n, Lp)`` variance of the sum from the first day of the event period to each day."""
        Lp = self.abnormal.shape[1]
        counts = np.arange(1, Lp + 1, dtype=np.float64)
        if not self.prediction_error:
            return np.asarray(self.fit.s2[:, None] * counts, dtype=np.float64)
        cums = [np.cumsum(x, axis=1) for x in self.regressors]
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = self.fit.s2[:, None] * (
                counts + self.fit.prediction_term(cums, counts)
            )
        return out


class Measure(ABC):
    """One quantity measured around events, with an expected-value model.

    Parameters
    ----------
    config
        The study configuration (windows, model, variance convention, ...).
    model
        The expected-value model (for returns: ``config.model``'s).
    """

    #: Name of the measure.
    name: ClassVar[str]
    #: Columns of the panel the measure reads (numeric columns of its input frame).
    reads: ClassVar[tuple[str, ...]]
    #: Name of its input frame (``ticker, date, <reads>``) in messages, and what it holds.
    frame: ClassVar[str]
    frame_hint: ClassVar[str] = ""
    #: Result frames the measure contributes (:meth:`frames`).
    frame_names: ClassVar[tuple[str, ...]]
    #: Whether the single days' p-values are computed (a measure that reports only the days'
    #: z skips the cost of Student-t tails on every event day; windows always have theirs).
    daily_p: ClassVar[bool] = True
    #: Whether the cross-event tests include GRANK (it keeps every observation's
    #: standardised estimation values to the end; a measure that does not report it skips it).
    grank: ClassVar[bool] = True

    def __init__(self, config: EventStudyConfig, model: ReturnModel) -> None:
        self.config = config
        self.model = model

    @abstractmethod
    def prepare(self, panel: Panel) -> MeasureData:
        """The measured values and model series on the calendar."""

    @property
    def event_series(self) -> tuple[str, ...]:
        """Series gathered on the event period: the model's (others may add theirs)."""
        return self.model.needs

    def estimate(
        self, y: FloatArray, series: Mapping[str, FloatArray], mask: BoolArray
    ) -> ModelFit:
        """Fit the expected value on the estimation days ``mask`` (``(n, Le)`` arrays).

        Ordinary least squares of ``y − o`` on ``[1, x]`` (the model's offset and
        regressors), batched over observations.
        """
        offset = self.model.offset(series)
        dep = y if offset is None else y - offset
        return self.model.fit(dep, self.model.regressors(series), mask, self.config.denominator)

    def fit_block(
        self,
        y: FloatArray,
        series: Mapping[str, FloatArray],
        mask: BoolArray,
        rows: IntArray,
        share: dict[str, Any] | None,
    ) -> ModelFit:
        """:meth:`estimate` for one block of observations (panel ``rows``).

        ``share`` is what the measures of the same block (:func:`backtest.blocks.measure_all_many`)
        pass each other: this one records its fit there (key ``fit:<model>:<measure>``), for
        a measure that needs the same fit (volatility reuses the returns' fit).
        """
        fit = self.estimate(y, series, mask)
        if share is not None:
            share[f"fit:{self.model.name}:{self.name}"] = (rows, mask, fit)
        return fit

    def abnormal(self, fit: ModelFit, y: FloatArray, series: Mapping[str, FloatArray]) -> Abnormal:
        """Abnormal values ``A = y − o − x'θ̂`` on the event period (``(n, Lp)`` arrays).

        ``Var(A_t) = s² (1 + x_t' (X'X)⁻¹ x_t)`` (the prediction-error variance).
        """
        offset = self.model.offset(series)
        regs = self.model.regressors(series)
        ab = y.copy() if offset is None else y - offset
        if fit.intercept:
            ab -= fit.params[:, 0, None]
            for p, x in enumerate(regs):
                ab -= fit.params[:, p + 1, None] * x
        with np.errstate(invalid="ignore", divide="ignore"):
            q1 = fit.prediction_term(regs, 1.0)  # (n, Lp), or (n, 1) without regressors
            if not self.config.prediction_error:
                q1 = np.zeros_like(q1)
            var = np.broadcast_to(fit.s2[:, None] * (1.0 + q1), ab.shape).copy()
        return Abnormal(
            abnormal=ab,
            var=var,
            fit=fit,
            regressors=regs,
            prediction_error=self.config.prediction_error,
        )

    def window_values(
        self,
        y: FloatArray,
        abnormal: FloatArray,
        series: Mapping[str, FloatArray],
        complete: BoolArray,
    ) -> dict[str, FloatArray]:
        """Extra ``(n, W)`` values per window (none by default).

        ``y``, ``abnormal`` and ``series`` are on the event period; ``complete``
        is ``(n, W)``: the window has every abnormal value.
        """
        return {}

    @abstractmethod
    def frames(
        self,
        obs: pl.DataFrame,
        layout: Layout,
        measured: Measured,
        confounded: list[pl.Series],
    ) -> dict[str, pl.DataFrame]:
        """The result frames named in :attr:`frame_names`."""
