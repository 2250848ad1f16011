"""A calendar-time portfolio of the trades: shared capital, a mark at every session's close.

The trade-level statistics of :class:`~backtest.trading.TradeResult` treat each trade
on its own; this module puts the ``ok`` trades into one account that starts with
``initial_capital`` in cash and holds, at every session, the positions open then. The
accounting (prices, dividends, netted orders, costs, the two allocation rules) is in
:mod:`backtest.trading.book`. The benchmark portfolio is the same rule applied to the
benchmark: every trade replaced by a long, unhedged benchmark position over the same
price points, with the same allocation and costs.

From the equity ``E_d`` at the close of each session ``d`` (the first row is the first
session a position opens, the last the session the last one closes, ``E_{-1}`` the
initial capital), with ``m = periods_per_year`` (252) and ``D`` rows::

    ret_d        = E_d / E_{d-1} − 1                 (so E_d = E_{-1} · Π (1 + ret))
    total_return = E_last / E_{-1} − 1
    ann_return   = (1 + total_return)^(m / D) − 1
    ann_vol      = sd(ret) · √m                      (sample sd, ddof = 1)
    sharpe       = mean(ret) / sd(ret) · √m          (excess over cash at 0%)
    sortino      = mean(ret) / √(mean(min(ret, 0)²)) · √m
    max_drawdown = min_d (E_d / max_{s<=d} E_s − 1)  (with E_{-1} in the running max)
    turnover     = mean_d(traded_d / E_{d-1}) · m    (one-way notional per year, × equity)
    gross_d      = Σ_a |Q_a P_a| / E_d,  net_d = Σ_a Q_a P_a / E_d   (stock and hedge legs)

Sharpe (1966, 1994) and Sortino & Price (1994) as usually annualised with √m; the
risk-free rate is taken as 0 (cash earns nothing in the book). ``None`` where a
statistic is undefined (fewer than two rows, zero volatility, no down day), and the
annualised ones (``ann_return, ann_vol, sharpe, sortino, turnover``) below
:data:`MIN_SESSIONS_ANNUALISED` rows (:attr:`Portfolio.note` says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from backtest._typing import Allocation, FloatArray, IntArray
from backtest.errors import TradingError
from backtest.panel import Panel
from backtest.trading.book import Positions, point_prices, simulate
from backtest.trading.stats import max_drawdown

PERIODS_PER_YEAR = 252
#: Fewest sessions for the annualised statistics (a month): scaling a few days' returns to a
#: year (``(1 + r)^(252/D)``, ``√252``) gives numbers such as +1,286% a year from three days.
MIN_SESSIONS_ANNUALISED = 21


class PortfolioRule(BaseModel):
    """How the portfolio allocates capital; frozen and validated when constructed.

    Parameters
    ----------
    allocation
        ``"equal_weight"``: the equity split equally across the open positions,
        rebalanced whenever one opens or closes; ``"fixed_notional"``: each trade
        opens with ``notional_per_trade`` of stock (less if the equity left is smaller), the
        rest stays in cash.
    initial_capital
        Cash at the start (currency, > 0).
    notional_per_trade
        Stock notional per trade under ``fixed_notional`` (currency, > 0).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    allocation: Allocation = "equal_weight"
    initial_capital: float = 100_000.0
    notional_per_trade: float = 10_000.0

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else None
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise TradingError(f"invalid PortfolioRule: {field}: {msg}", field=field) from exc

    @field_validator("initial_capital", "notional_per_trade", mode="after")
    @classmethod
    def _positive(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"must be a finite number > 0 (currency), got {v!r}")
        return v

    def describe(self) -> str:
        if self.allocation == "equal_weight":
            how = "equal weight across open positions, rebalanced when one opens or closes"
        else:
            how = f"fixed notional {self.notional_per_trade:,.0f} per trade, the rest in cash"
        return f"{how}; initial capital {self.initial_capital:,.0f}"


@dataclass(frozen=True)
class Portfolio:
    """The portfolio of one rule's trades (or of the benchmark under the same rule).

    Attributes
    ----------
    rule
        The :class:`PortfolioRule`.
    daily
        One row per session from the first opening to the last closing: ``date, ret,
        equity, gross_exposure, net_exposure`` (fractions of equity), ``positions``
        (open at the close), ``traded`` (notional traded, currency), ``costs``.
    stats
        ``total_return, ann_return, ann_vol, sharpe, sortino, max_drawdown, turnover``
        (module docstring); ``None`` where undefined.
    n_positions, n_unfunded
        Trades put in the book, and those that could not be opened (``fixed_notional``
        with no equity left, or after ruin).
    ruined
        The equity reached zero and the book was closed.
    """

    rule: PortfolioRule
    daily: pl.DataFrame
    stats: dict[str, float | None]
    n_positions: int
    n_unfunded: int
    ruined: bool

    def stat(self, name: str) -> float | None:
        return self.stats[name]

    @property
    def note(self) -> str | None:
        """Why the annualised statistics are null, or ``None``."""
        n = self.daily.height
        if 0 < n < MIN_SESSIONS_ANNUALISED:
            return (
                f"{n} session(s) < {MIN_SESSIONS_ANNUALISED}: no annualised return, volatility, "
                "Sharpe, Sortino or turnover (a few days scaled to a year mean nothing)"
            )
        return None


STAT_NAMES = (
    "total_return",
    "ann_return",
    "ann_vol",
    "sharpe",
    "sortino",
    "max_drawdown",
    "turnover",
)


def build_portfolio(
    rule: PortfolioRule,
    panel: Panel,
    *,
    asset: IntArray,
    side: FloatArray,
    hedge: FloatArray,
    entry: IntArray,
    exit_: IntArray,
    cost_bps: float,
    fee: float,
) -> Portfolio:
    """Run the trades (panel rows ``asset``, keys ``entry < exit_``) through the book.

    ``hedge`` is the hedge ratio per trade (benchmark notional per unit of stock, 0 for
    none); the hedge asset is the panel's benchmark row. Trades with ``exit_ == entry``
    hold nothing and are left out.
    """
    keep = exit_ > entry
    close = panel.values["close"]
    pp = point_prices(panel.values.get("open"), close)
    pos = Positions(
        asset=asset[keep],
        side=side[keep],
        hedge=hedge[keep],
        hedge_asset=panel.benchmark_row if bool((hedge[keep] != 0).any()) else -1,
        entry=entry[keep],
        exit=exit_[keep],
    )
    if pos.n == 0:
        return _empty(rule)
    run = simulate(
        pos,
        pp,
        panel.values["cumdiv"],
        allocation=rule.allocation,
        initial_capital=rule.initial_capital,
        notional=rule.notional_per_trade,
        cost_bps=cost_bps,
        fee=fee,
    )
    E = run.equity
    prev = np.concatenate([[rule.initial_capital], E[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = E / prev - 1.0
        gross = np.where(E > 0, run.gross / E, np.nan)
        net = np.where(E > 0, run.net / E, np.nan)
        turn = run.traded / prev
    days = panel.days[run.first : run.first + E.shape[0]]
    daily = pl.DataFrame(
        {
            "date": pl.Series(days.astype(np.int32)).cast(pl.Date),
            "ret": ret,
            "equity": E,
            "gross_exposure": gross,
            "net_exposure": net,
            "positions": run.positions,
            "traded": run.traded,
            "costs": run.costs,
        }
    ).with_columns(pl.col("ret", "gross_exposure", "net_exposure").fill_nan(None))
    return Portfolio(
        rule=rule,
        daily=daily,
        stats=portfolio_stats(ret, E, rule.initial_capital, turn),
        n_positions=pos.n,
        n_unfunded=int((~run.funded).sum()),
        ruined=run.ruined,
    )


def portfolio_stats(
    ret: FloatArray, equity: FloatArray, initial: float, turnover: FloatArray
) -> dict[str, float | None]:
    """The statistics of the module docstring from the daily returns and equity."""
    D = int(ret.shape[0])
    m = PERIODS_PER_YEAR
    if D == 0:
        return dict.fromkeys(STAT_NAMES)
    total = float(equity[-1] / initial - 1.0)
    ann = (1.0 + total) ** (m / D) - 1.0 if total > -1.0 else -1.0
    sd = float(ret.std(ddof=1)) if D > 1 else math.nan
    mean = float(ret.mean())
    down = float(np.sqrt(np.mean(np.minimum(ret, 0.0) ** 2)))
    out: dict[str, float | None] = {
        "total_return": total,
        "ann_return": ann,
        "ann_vol": sd * math.sqrt(m),
        "sharpe": mean / sd * math.sqrt(m) if sd > 0 else math.nan,
        "sortino": mean / down * math.sqrt(m) if down > 0 and D > 1 else math.nan,
        "max_drawdown": max_drawdown(equity / initial),
        "turnover": float(turnover.mean()) * m,
    }
    if D < MIN_SESSIONS_ANNUALISED:
        for k in ("ann_return", "ann_vol", "sharpe", "sortino", "turnover"):
            out[k] = None
    return {k: (v if v is not None and math.isfinite(v) else None) for k, v in out.items()}


def _empty(rule: PortfolioRule) -> Portfolio:
    daily = pl.DataFrame(
        schema={
            "date": pl.Date,
            "ret": pl.Float64,
            "equity": pl.Float64,
            "gross_exposure": pl.Float64,
            "net_exposure": pl.Float64,
            "positions": pl.Int64,
            "traded": pl.Float64,
            "costs": pl.Float64,
        }
    )
    return Portfolio(
        rule=rule,
        daily=daily,
        stats=dict.fromkeys(STAT_NAMES),
        n_positions=0,
        n_unfunded=0,
        ruined=False,
    )
