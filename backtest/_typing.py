"""Array aliases and the option sets of the engine, in one place."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

ModelName: TypeAlias = Literal[
    "market_adjusted", "constant_mean", "market_model", "capm", "ff3", "carhart4", "ff5"
]
MODEL_NAMES: tuple[ModelName, ...] = (
    "market_adjusted",
    "constant_mean",
    "market_model",
    "capm",
    "ff3",
    "carhart4",
    "ff5",
)

#: Named daily series a return model can use (see ``backtest.panel``):
#: ``market`` is the benchmark ticker's return, ``rf`` the risk-free rate,
#: ``market_excess`` = market - rf, the rest are the factor file's columns.
SeriesName: TypeAlias = Literal[
    "market", "rf", "market_excess", "mkt_rf", "smb", "hml", "rmw", "cma", "mom"
]
FACTOR_COLUMNS: tuple[str, ...] = ("mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf")

VarianceDenominator: TypeAlias = Literal["L-k", "L-1"]
ReturnKind: TypeAlias = Literal["simple", "log"]

#: Per-observation status codes, in order of precedence.
OBSERVATION_STATUSES: tuple[str, ...] = (
    "ok",
    "no_returns",
    "day0_outside_data",
    "no_benchmark",
    "no_factors",
    "insufficient_estimation",
    "zero_variance",
)
#: Extra per-window status codes.
WINDOW_STATUSES: tuple[str, ...] = ("missing_event_returns", "incomplete_window")

TestName: TypeAlias = Literal[
    "csect_t",
    "patell_z",
    "bmp_t",
    "kp_patell_z",
    "kp_bmp_t",
    "bw1985_t",
    "corrado_rank_z",
    "generalized_sign_z",
    "sign_z",
    "wilcoxon_w",
    "grank_t",
    "skew_adj_t",
]
TEST_NAMES: tuple[TestName, ...] = (
    "csect_t",
    "patell_z",
    "bmp_t",
    "kp_patell_z",
    "kp_bmp_t",
    "bw1985_t",
    "corrado_rank_z",
    "generalized_sign_z",
    "sign_z",
    "wilcoxon_w",
    "grank_t",
    "skew_adj_t",
)
