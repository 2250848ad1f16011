"""The per-observation arrays of the event study, per block and stacked.

Plain containers shared by the engine core (:mod:`backtest.blocks`), the
cross-event tests (:mod:`backtest.crossevent`) and the measures' output frames
(:mod:`backtest.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from backtest._typing import BoolArray, FloatArray, IntArray
from backtest.groups import Groups
from backtest.models import ModelFit


@dataclass(frozen=True)
class Layout:
    """Where the arrays sit: the calendar, the relative days, the windows, the groups."""

    days: IntArray  # (T,) sessions as days since 1970-01-01
    est_rel: IntArray  # (Le,) relative days of the estimation window
    ev_rel: IntArray  # (Lp,) relative days of the event period
    windows: tuple[tuple[int, int], ...]  # (W,) event windows, as configured
    groups: Groups  # the group of every observation (one group without groups)

    @property
    def n_sessions(self) -> int:
        return int(self.days.shape[0])


@dataclass(frozen=True)
class Block:
    """Measurements of one block of n observations."""

    rows: IntArray  # (n,) panel row (-1: no values)
    pos: IntArray  # (n,) session index of day 0 (-1: not a session)
    code: IntArray  # (n,) observation status code
    measurable: BoolArray  # (n,) abnormal values computed (ok, or zero variance with a fit)
    fit: ModelFit
    n_est: IntArray  # (n,) L_i (also for observations that are not fitted)
    n_dropped: IntArray
    est_index: IntArray  # (n, Le)
    est_mask: BoolArray  # (n, Le) E_i of observations with status ok
    ev_index: IntArray  # (n, Lp)
    y_ev: FloatArray  # (n, Lp) measured values (returns in the study's kind)
    ar: FloatArray  # (n, Lp) abnormal values
    expected: FloatArray
    var_ar: FloatArray
    t_ar: FloatArray
    p_ar: FloatArray
    path_car: FloatArray  # (n, Lp) cumulative abnormal value from the event period's first day
    path_var: FloatArray
    w_code: IntArray  # (n, W) window status codes
    car: FloatArray  # (n, W)
    var_car: FloatArray
    car_t: FloatArray
    car_p: FloatArray
    extra: dict[str, FloatArray]  # (n, W) the measure's window values (BHAR for returns)


@dataclass(frozen=True)
class Measured:
    """The per-observation results of all blocks, N rows each (no estimation matrices)."""

    rows: IntArray
    pos: IntArray
    code: IntArray
    measurable: BoolArray
    n_dropped: IntArray
    n_est: IntArray
    dof: FloatArray
    s2: FloatArray
    r2: FloatArray
    params: FloatArray  # (N, k)
    ev_index: IntArray  # (N, Lp)
    y_ev: FloatArray
    ar: FloatArray
    expected: FloatArray
    var_ar: FloatArray
    t_ar: FloatArray
    p_ar: FloatArray
    path_car: FloatArray
    path_var: FloatArray
    w_code: IntArray  # (N, W)
    car: FloatArray
    var_car: FloatArray
    car_t: FloatArray
    car_p: FloatArray
    extra: dict[str, FloatArray]  # (N, W) each

    @staticmethod
    def slim(block: Block) -> dict[str, np.ndarray]:
        """The arrays of ``block`` that the output needs (``extra.<name>`` for the measure's)."""
        fit = block.fit
        out: dict[str, np.ndarray] = {
            "dof": fit.dof.astype(np.float64),
            "s2": fit.s2,
            "r2": fit.r2,
            "params": fit.params,
        }
        for f in fields(Measured):
            if f.name not in out and f.name != "extra":
                out[f.name] = getattr(block, f.name)
        out.update({f"extra.{k}": v for k, v in block.extra.items()})
        return out

    @classmethod
    def stack(cls, parts: dict[str, list[np.ndarray]]) -> Measured:
        """Concatenate the :meth:`slim` arrays of the blocks, in order."""
        kw = {name: np.concatenate(v, axis=0) for name, v in parts.items() if "." not in name}
        extra = {
            name.split(".", 1)[1]: np.concatenate(v, axis=0)
            for name, v in parts.items()
            if name.startswith("extra.")
        }
        return cls(**kw, extra=extra)

    def take(self, index: IntArray) -> Measured:
        """The observations at ``index``, in that order."""
        kw = {f.name: getattr(self, f.name)[index] for f in fields(self) if f.name != "extra"}
        return Measured(**kw, extra={k: v[index] for k, v in self.extra.items()})
