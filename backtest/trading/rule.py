"""The trading rule: price points, direction, costs, hedge and overlap policy.

:class:`TradeRule` is frozen and validated when constructed; an invalid field
raises :class:`~backtest.errors.TradingError` naming the field. The cost and
hedge conventions are in :mod:`backtest.trading`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from backtest._typing import Direction, FloatArray, HedgeName, OverlapPolicy, PointName
from backtest.errors import TradingError

_POINT_RE = re.compile(r"^\s*(open|close)\s*:\s*([+-]?\d+)\s*$", re.IGNORECASE)


class PricePoint(BaseModel):
    """The open or close of a session relative to day 0; written ``"close:-1"``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    point: PointName
    offset: int

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: object) -> object:
        if isinstance(data, str):
            m = _POINT_RE.match(data)
            if not m:
                raise ValueError(
                    f"{data!r} is not a price point: write '<open|close>:<session offset>', "
                    "e.g. 'close:-1' (close of the session before day 0) or 'open:+1'"
                )
            return {"point": m.group(1).lower(), "offset": int(m.group(2))}
        return data

    @classmethod
    def parse(cls, text: str) -> PricePoint:
        """Parse ``"close:-1"``, ``"open:0"``, ``"close:+5"`` (raises :class:`TradingError`)."""
        try:
            return cls.model_validate(text)
        except ValidationError as exc:
            msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise TradingError(msg, field="point") from exc

    @property
    def key(self) -> int:
        """Time order within the event: ``2·offset + (0 open, 1 close)``."""
        return 2 * self.offset + (1 if self.point == "close" else 0)

    def __str__(self) -> str:
        return f"{self.point}:{self.offset:+d}" if self.offset else f"{self.point}:0"


class TradeRule(BaseModel):
    """How to trade each event; frozen and validated when constructed.

    Parameters
    ----------
    direction
        ``"long"``, ``"short"``, or ``"sign"``: long when the event's signal is
        positive, short when negative (e.g. the day-0 abnormal return, for a
        drift strategy entering on day +1).
    entry, exit
        Price points, e.g. ``"close:-1"`` and ``"close:+5"``; ``exit`` must not
        be before ``entry`` (equal means a zero-length trade).
    cost_bps
        Cost per side in basis points of the leg's entry notional.
    fee
        Fixed fee in currency per leg and round trip, on a stock leg of
        ``notional`` (so ``fee / notional`` is the fractional charge).
    hedge
        ``"none"``, ``"benchmark"`` (short one unit of benchmark per unit of
        stock) or ``"beta"`` (short the caller's beta units; needs ``betas``).
    benchmark
        Ticker of the hedge and of the buy-and-hold comparison.
    overlap
        ``"skip"`` or ``"split"`` for overlapping trades in one ticker.
    allow_lookahead
        Allow entries before the news is public (perfect foresight).

    Raises
    ------
    TradingError
        Naming the field, the value and what is allowed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    direction: Direction = "long"
    entry: PricePoint = PricePoint(point="close", offset=0)
    exit: PricePoint = PricePoint(point="close", offset=5)
    cost_bps: float = 0.0
    fee: float = 0.0
    notional: float = 10_000.0
    hedge: HedgeName = "none"
    benchmark: str = "SPY"
    overlap: OverlapPolicy = "skip"
    allow_lookahead: bool = False

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _as_trading_error(exc) from exc

    @field_validator("cost_bps", "fee", mode="after")
    @classmethod
    def _non_negative(cls, v: float) -> float:
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"must be a finite number >= 0, got {v!r}")
        return v

    @field_validator("notional", mode="after")
    @classmethod
    def _positive(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"must be a finite number > 0 (currency of the stock leg), got {v!r}")
        return v

    @field_validator("benchmark", mode="after")
    @classmethod
    def _benchmark(cls, v: str) -> str:
        if not v or v != v.strip():
            raise ValueError(f"{v!r} must be a non-empty ticker without surrounding spaces")
        return v

    @model_validator(mode="after")
    def _exit_after_entry(self) -> TradeRule:
        if self.exit.key < self.entry.key:
            raise ValueError(
                f"exit {self.exit} is before entry {self.entry}; the exit must be the same "
                "price point as the entry or a later one"
            )
        return self

    @property
    def cost(self) -> float:
        """Round-trip cost of the stock leg: ``2·cost_bps/10⁴ + fee/notional``."""
        return 2.0 * self.cost_bps / 1e4 + self.fee / self.notional

    def hedge_cost(self, ratio: float) -> float:
        """Round-trip cost of a hedge leg of ``ratio`` units of benchmark notional."""
        return float(hedge_costs(self, np.asarray([ratio], dtype=np.float64))[0])

    def describe(self) -> str:
        """One line: direction, entry → exit, costs, hedge, overlap."""
        fee = f" + fee {self.fee:g} per leg on {self.notional:,.0f}" if self.fee else ""
        hedge = "unhedged" if self.hedge == "none" else f"hedge {self.hedge} ({self.benchmark})"
        return (
            f"{self.direction} {self.entry} → {self.exit}, {self.cost_bps:g} bps per side{fee}, "
            f"{hedge}, overlap {self.overlap}"
        )


def hedge_costs(rule: TradeRule, ratio: FloatArray) -> FloatArray:
    """``|h|·2·cost_bps/10⁴ + fee/notional`` where ``h ≠ 0``, else 0 (no hedge order)."""
    charge = np.abs(ratio) * 2.0 * rule.cost_bps / 1e4 + rule.fee / rule.notional
    return np.where(ratio != 0, charge, 0.0)


def _as_trading_error(exc: ValidationError) -> TradingError:
    lines, fields = [], []
    for err in exc.errors():
        loc = str(err["loc"][0]) if err["loc"] else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not loc:
            loc = msg.split(" ", 1)[0]  # cross-field checks start with the field name
        fields.append(loc)
        text = msg if msg.startswith(loc) else f"{loc}: {msg}"
        if err["type"] not in ("value_error", "assertion_error") and "input" in err:
            text += f" (got {err['input']!r})"
        lines.append(text)
    return TradingError(
        "invalid TradeRule: " + "; ".join(lines),
        field=fields[0] if len(set(fields)) == 1 else None,
    )
