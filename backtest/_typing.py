"""Array aliases and the option sets of ``backtest``, in one place.

Each ``Literal`` is the one spelling of its option set; the tuples are derived
from it with ``typing.get_args``. The model names are the exception that
proves the rule: the model *classes* are authoritative
(:data:`backtest.models.MODELS`) and ``ModelName`` repeats their names only
because pydantic and mypy need a ``Literal``; a test checks that the two agree.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
Int8Array: TypeAlias = npt.NDArray[np.int8]
Float32Array: TypeAlias = npt.NDArray[np.float32]

from backtest.names import (  # noqa: E402 - the option sets live in backtest.names
    ALLOCATIONS,
    CONVENTIONS,
    FACTOR_COLUMNS,
    INTERVAL_TESTS,
    OBSERVATION_STATUSES,
    STATUS_CODE,
    STATUSES,
    TEST_NAMES,
    TRADE_STATUSES,
    WINDOW_STATUSES,
    Allocation,
    CellValue,
    Conventions,
    Direction,
    FactorColumn,
    HedgeName,
    ModelName,
    NoticeCode,
    ObservationStatus,
    OverlapPolicy,
    PointName,
    ReturnKind,
    SeriesName,
    TestName,
    TradeStatus,
    VarianceDenominator,
    WindowStatus,
)

__all__ = [
    "ALLOCATIONS",
    "CONVENTIONS",
    "FACTOR_COLUMNS",
    "INTERVAL_TESTS",
    "OBSERVATION_STATUSES",
    "STATUSES",
    "STATUS_CODE",
    "TEST_NAMES",
    "TRADE_STATUSES",
    "WINDOW_STATUSES",
    "Allocation",
    "BoolArray",
    "CellValue",
    "Conventions",
    "Direction",
    "FactorColumn",
    "Float32Array",
    "FloatArray",
    "HedgeName",
    "Int8Array",
    "IntArray",
    "ModelName",
    "NoticeCode",
    "ObservationStatus",
    "OverlapPolicy",
    "PointName",
    "ReturnKind",
    "SeriesName",
    "TestName",
    "TradeStatus",
    "VarianceDenominator",
    "WindowStatus",
]
