"""The portfolio against vectorbt (an established backtesting library) on the same trades.

Where the accounting rules coincide, the book's equity at every close equals vectorbt's
portfolio value to 1e-9 (relative):

* ``fixed_notional``: each trade's shares (``±notional / entry price``, and the hedge leg's
  ``∓h · notional / benchmark entry price``) are orders of that many shares at the close,
  reversed at the exit close; proportional fees ``cost_bps / 10⁴`` of each (netted) order's
  value; a fixed fee of ``fee / 2`` per order where no two legs trade one asset at once.
* ``equal_weight``: target-percent orders at every close where a position opens or closes
  (``side / N`` of the group's value per open position, ``−side · h / N`` in the benchmark),
  cash shared, sells first; without fees (vectorbt sizes a target-percent order on the
  value before its fees, as the book does, but orders one column after another, while the
  book sizes every leg on the same equity: with fees the two part by the fees' order).

vectorbt holds no dividends and one price per bar, so the trades here enter and exit at
closes and the prices have no dividends.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
import vectorbt as vbt  # a test extra (pyproject.toml [test]), not a runtime dependency

from backtest.trading import TradeRule, run_trades
from backtest.trading.portfolio import PortfolioRule


def weekdays(n: int, start: dt.date = dt.date(2023, 1, 2)) -> list[dt.date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


DAYS = weekdays(80)
TICKERS = ["AAA", "BBB", "CCC", "SPY"]


def prices(seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for t in TICKERS:
        c = 40 * np.cumprod(1 + rng.normal(0.0003, 0.02, len(DAYS)))
        frames.append(pl.DataFrame({"ticker": t, "date": DAYS, "open": c, "close": c}))
    return pl.concat(frames)


def closes(p: pl.DataFrame) -> pd.DataFrame:
    wide = p.pivot(on="ticker", index="date", values="close").sort("date")
    return pd.DataFrame(
        {t: wide.get_column(t).to_numpy() for t in TICKERS},
        index=pd.DatetimeIndex(wide.get_column("date").to_list()),
    )


EVENTS = pl.DataFrame(
    {
        "event_id": ["a1", "b1", "c1", "a2", "b2", "c2", "a3"],
        "ticker": ["AAA", "BBB", "CCC", "AAA", "BBB", "CCC", "AAA"],
        "day0": pl.Series([DAYS[i] for i in (3, 4, 6, 15, 17, 40, 44)], dtype=pl.Date),
        "timing": ["intraday"] * 7,
    }
)
BETAS = EVENTS.select("event_id", "ticker").with_columns(
    pl.Series("beta", [0.8, 1.3, 1.1, 0.6, 1.7, 0.9, 1.2])
)
SIGNALS = EVENTS.select("event_id", "ticker").with_columns(
    pl.Series("value", [0.02, -0.01, 0.03, -0.02, 0.01, -0.04, 0.02]),
    pl.lit(0).alias("known_at_rel_day"),
)


def ours(rule: TradeRule, prule: PortfolioRule, p: pl.DataFrame) -> tuple[pl.DataFrame, pd.Series]:
    r = run_trades(EVENTS, p, rule, betas=BETAS, signals=SIGNALS, n_boot=0, portfolio=prule)
    assert r.portfolio is not None and r.portfolio.n_unfunded == 0
    d = r.portfolio.daily
    return r.trades.filter(pl.col("status") == "ok"), pd.Series(
        d.get_column("equity").to_numpy(), index=pd.DatetimeIndex(d.get_column("date").to_list())
    )


def assert_same(theirs: pd.Series, mine: pd.Series) -> None:
    theirs = theirs.loc[mine.index]
    np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=0)


@pytest.mark.parametrize(
    ("direction", "hedge", "bps", "fee", "exit"),
    [
        # +12: a1 exits at the close a2 enters (AAA, DAYS[15]): one netted order
        ("long", "none", 5.0, 0.0, "close:+12"),
        ("sign", "beta", 10.0, 0.0, "close:+12"),
        # +10: no two legs of one asset trade at one close, so fixed fees coincide too
        ("short", "none", 3.0, 4.0, "close:+10"),
    ],
)
def test_fixed_notional_equals_vectorbt(
    direction: str, hedge: str, bps: float, fee: float, exit: str
) -> None:
    p = prices(1)
    rule = TradeRule(
        direction=direction, entry="close:0", exit=exit, cost_bps=bps, fee=fee, hedge=hedge
    )
    prule = PortfolioRule(
        allocation="fixed_notional", initial_capital=1_000_000, notional_per_trade=50_000
    )
    trades, mine = ours(rule, prule, p)
    close = closes(p)
    size = pd.DataFrame(0.0, index=close.index, columns=close.columns)
    for t in trades.iter_rows(named=True):
        s = 1.0 if t["direction"] == "long" else -1.0
        e, x = pd.Timestamp(t["entry_date"]), pd.Timestamp(t["exit_date"])
        shares = s * 50_000 / t["entry_price"]
        size.loc[e, t["ticker"]] += shares
        size.loc[x, t["ticker"]] -= shares
        if hedge != "none":
            h = -s * t["hedge_ratio"] * 50_000 / close.loc[e, "SPY"]
            size.loc[e, "SPY"] += h
            size.loc[x, "SPY"] -= h
    pf = vbt.Portfolio.from_orders(
        close,
        size.where(size != 0.0),
        size_type="amount",
        direction="both",
        fees=bps / 1e4,
        fixed_fees=fee / 2,
        init_cash=1_000_000.0,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        freq="1D",
    )
    assert_same(pf.value(), mine)


@pytest.mark.parametrize(("direction", "hedge"), [("long", "none"), ("sign", "beta")])
def test_equal_weight_equals_vectorbt_without_fees(direction: str, hedge: str) -> None:
    p = prices(2)
    rule = TradeRule(direction=direction, entry="close:0", exit="close:+12", hedge=hedge)
    trades, mine = ours(rule, PortfolioRule(initial_capital=100_000), p)
    close = closes(p)
    rows = list(trades.iter_rows(named=True))
    keys = sorted(
        {pd.Timestamp(t["entry_date"]) for t in rows} | {pd.Timestamp(t["exit_date"]) for t in rows}
    )
    target = pd.DataFrame(np.nan, index=close.index, columns=close.columns)
    for k in keys:
        live = [
            t for t in rows if pd.Timestamp(t["entry_date"]) <= k < pd.Timestamp(t["exit_date"])
        ]
        weights = dict.fromkeys(TICKERS, 0.0)
        for t in live:
            s = 1.0 if t["direction"] == "long" else -1.0
            weights[t["ticker"]] += s / len(live)
            if hedge != "none":
                weights["SPY"] -= s * t["hedge_ratio"] / len(live)
        target.loc[k] = [weights[c] for c in TICKERS]
    pf = vbt.Portfolio.from_orders(
        close,
        target,
        size_type="targetpercent",
        direction="both",
        init_cash=100_000.0,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        freq="1D",
    )
    assert_same(pf.value(), mine)
    # and the two really trade: the equity moves away from the initial capital
    assert abs(mine.iloc[-1] / 100_000 - 1) > 1e-3
