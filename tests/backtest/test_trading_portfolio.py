"""The calendar-time portfolio: hand-worked books, a slow literal loop, and its invariants.

The oracle here (:func:`slow_book`) is written from the rules in ``backtest.trading.book``'s
docstring, one session and one price point at a time with dictionaries, and shares no code
with the package.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.errors import InputSchemaError, LookaheadError, TradingError
from backtest.trading import TradeRule, run_trades
from backtest.trading.portfolio import PortfolioRule, portfolio_stats


def weekdays(n: int, start: dt.date = dt.date(2024, 1, 1)) -> list[dt.date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


DAYS = weekdays(60)


def random_prices(tickers: list[str], seed: int, n: int = 60) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for t in tickers:
        c = 50 * np.cumprod(1 + rng.normal(0.0005, 0.02, n))
        o = c * (1 + rng.normal(0, 0.005, n))
        frames.append(
            pl.DataFrame({"ticker": t, "date": DAYS[:n], "open": o, "close": c}).with_columns(
                pl.col("date").cast(pl.Date)
            )
        )
    return pl.concat(frames)


def events(rows: list[tuple[str, str, int]], scheduled: bool | None = None) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "ticker": [r[1] for r in rows],
            "day0": pl.Series([DAYS[r[2]] for r in rows], dtype=pl.Date),
            "timing": pl.Series(["before_open"] * len(rows), dtype=pl.String),
        }
    )
    if scheduled is not None:
        frame = frame.with_columns(pl.lit(scheduled).alias("scheduled"))
    return frame


# ---------------------------------------------------------------------------
# the slow literal book


def slow_book(
    trades: pl.DataFrame,
    prices: pl.DataFrame,
    dividends: dict[tuple[str, dt.date], float],
    *,
    allocation: str,
    capital: float,
    notional: float,
    bps: float,
    fee: float,
    benchmark: str,
    entry_point: str,
    exit_point: str,
) -> list[tuple[dt.date, float]]:
    """(date, equity at the close) for every session from the first entry to the last exit."""
    px = {(r["ticker"], r["date"], "open"): r["open"] for r in prices.iter_rows(named=True)}
    px |= {(r["ticker"], r["date"], "close"): r["close"] for r in prices.iter_rows(named=True)}
    ok = [r for r in trades.iter_rows(named=True) if r["status"] == "ok"]
    ok = [r for r in ok if (r["entry_date"], entry_point) != (r["exit_date"], exit_point)]
    days = sorted({d for (_, d, _) in px})
    first = min(r["entry_date"] for r in ok)
    last = max(r["exit_date"] for r in ok)
    cash = capital
    held: dict[int, dict[str, float]] = {}  # trade -> {asset: shares}
    out = []
    for day in [d for d in days if first <= d <= last]:
        for legs in held.values():  # dividends of the ex-date, before the open
            for a, sh in legs.items():
                cash += sh * dividends.get((a, day), 0.0)
        for point in ("open", "close"):

            def price(a: str, point: str = point, day: str = day) -> float:
                key = (a, day, point)
                if px.get(key) is not None:
                    return float(px[key])
                # the last known price point before this one
                earlier = [(d, p) for (t, d, p) in px if t == a and px[(t, d, p)] is not None]
                order = {"open": 0, "close": 1}
                before = [(d, p) for d, p in earlier if (d, order[p]) < (day, order[point])]
                d, p = max(before, key=lambda x: (x[0], order[x[1]]))
                return float(px[(a, d, p)])

            closing = [
                i
                for i, r in enumerate(ok)
                if i in held and (r["exit_date"], exit_point) == (day, point)
            ]
            opening = [
                i for i, r in enumerate(ok) if (r["entry_date"], entry_point) == (day, point)
            ]
            if not closing and not opening:
                continue
            before: dict[str, float] = {}
            for legs in held.values():
                for a, sh in legs.items():
                    before[a] = before.get(a, 0.0) + sh
            equity = cash + sum(sh * price(a) for a, sh in before.items())
            n_legs = 0
            for i in closing:
                n_legs += len(held.pop(i))
            if allocation == "equal_weight":
                members = sorted(set(held) | set(opening))
                for i in opening:
                    n_legs += 1 + (ok[i]["hedge_ratio"] not in (None, 0.0))
                for i in members:
                    r = ok[i]
                    s = 1.0 if r["direction"] == "long" else -1.0
                    size = equity / len(members)
                    legs = {r["ticker"]: s * size / price(r["ticker"])}
                    if r["hedge_ratio"]:
                        legs[benchmark] = legs.get(benchmark, 0.0) - s * r[
                            "hedge_ratio"
                        ] * size / price(benchmark)
                    held[i] = legs
            else:
                used = sum(
                    abs(sh * price(a))
                    for i, legs in held.items()
                    for a, sh in legs.items()
                    if a == ok[i]["ticker"]
                )
                for i in opening:
                    size = min(notional, equity - used)
                    if size <= 0:
                        continue
                    used += size
                    r = ok[i]
                    s = 1.0 if r["direction"] == "long" else -1.0
                    legs = {r["ticker"]: s * size / price(r["ticker"])}
                    if r["hedge_ratio"]:
                        legs[benchmark] = legs.get(benchmark, 0.0) - s * r[
                            "hedge_ratio"
                        ] * size / price(benchmark)
                    held[i] = legs
                    n_legs += len(legs)
            after: dict[str, float] = {}
            for legs in held.values():
                for a, sh in legs.items():
                    after[a] = after.get(a, 0.0) + sh
            for a in set(before) | set(after):
                d = after.get(a, 0.0) - before.get(a, 0.0)
                cash -= d * price(a) + bps / 1e4 * abs(d) * price(a)
            cash -= fee / 2 * n_legs
        value = 0.0
        for legs in held.values():
            for a, sh in legs.items():
                value += sh * price(a, "close")
        out.append((day, cash + value))
    return out


CASES = [
    # allocation, direction, entry, exit, hedge, bps, fee
    ("equal_weight", "long", "close:0", "close:+5", "none", 0.0, 0.0),
    ("equal_weight", "long", "open:0", "close:+4", "benchmark", 5.0, 1.0),
    ("equal_weight", "short", "close:0", "open:+6", "beta", 10.0, 0.0),
    ("fixed_notional", "long", "open:0", "close:+7", "benchmark", 5.0, 2.0),
    ("fixed_notional", "short", "close:0", "close:+3", "none", 3.0, 0.0),
]


@pytest.mark.parametrize(("allocation", "direction", "entry", "exit", "hedge", "bps", "fee"), CASES)
def test_the_book_matches_the_slow_loop(
    allocation: str, direction: str, entry: str, exit: str, hedge: str, bps: float, fee: float
) -> None:
    prices = random_prices(["AAA", "BBB", "CCC", "SPY"], seed=7)
    ev = events(
        [
            ("a1", "AAA", 2),
            ("b1", "BBB", 3),
            ("c1", "CCC", 3),
            ("a2", "AAA", 9),
            ("b2", "BBB", 12),
            ("c2", "CCC", 30),
            ("a3", "AAA", 31),
        ]
    )
    divs = pl.DataFrame(
        {
            "ticker": ["AAA", "SPY", "BBB"],
            "date": [DAYS[5], DAYS[6], DAYS[14]],
            "kind": ["dividend"] * 3,
            "value": [0.7, 0.3, 1.1],
        }
    )
    betas = ev.select("event_id", "ticker").with_columns(
        pl.Series("beta", [0.8, 1.2, 1.5, 0.9, 1.1, 0.7, 1.3])
    )
    rule = TradeRule(
        direction=direction, entry=entry, exit=exit, cost_bps=bps, fee=fee, hedge=hedge
    )
    prule = PortfolioRule(allocation=allocation, initial_capital=50_000, notional_per_trade=20_000)
    r = run_trades(ev, prices, rule, actions=divs, betas=betas, n_boot=0, portfolio=prule)
    want = slow_book(
        r.trades,
        prices,
        {(d["ticker"], d["date"]): d["value"] for d in divs.iter_rows(named=True)},
        allocation=allocation,
        capital=50_000,
        notional=20_000,
        bps=bps,
        fee=fee,
        benchmark="SPY",
        entry_point=rule.entry.point,
        exit_point=rule.exit.point,
    )
    assert r.portfolio is not None
    got = r.portfolio.daily
    assert got.get_column("date").to_list() == [d for d, _ in want]
    np.testing.assert_allclose(
        got.get_column("equity").to_numpy(), [e for _, e in want], rtol=1e-12, atol=1e-8
    )


def test_one_trade_fixed_notional_earns_notional_times_the_trade_return() -> None:
    """Alone and without costs, the book gains exactly ``notional · R`` (dividend included)."""
    prices = random_prices(["AAA", "SPY"], seed=3)
    divs = pl.DataFrame(
        {"ticker": ["AAA"], "date": [DAYS[8]], "kind": ["dividend"], "value": [0.9]}
    )
    ev = events([("a", "AAA", 5)])
    rule = TradeRule(entry="close:0", exit="close:+6")
    prule = PortfolioRule(
        allocation="fixed_notional", initial_capital=100_000, notional_per_trade=25_000
    )
    r = run_trades(ev, prices, rule, actions=divs, n_boot=0, portfolio=prule)
    c = {
        (row["date"]): row["close"]
        for row in prices.filter(pl.col("ticker") == "AAA").iter_rows(named=True)
    }
    R = (c[DAYS[11]] + 0.9) / c[DAYS[5]] - 1.0
    assert r.trades.get_column("gross").item() == pytest.approx(R, rel=1e-12)
    assert r.portfolio is not None
    eq = r.portfolio.daily.get_column("equity")
    assert eq[-1] == pytest.approx(100_000 + 25_000 * R, rel=1e-12)
    assert r.portfolio.daily.get_column("gross_exposure")[-1] == 0.0
    assert r.portfolio.daily.get_column("positions").to_list()[:2] == [1, 1]


def test_one_trade_equal_weight_with_costs_by_hand() -> None:
    """All the equity in one position: ``E = E0·(1 + R − c − c·(1 + R_price))``, with ``c``
    the cost per side on the notional actually traded (entry E0, exit E0·(1 + R_price))."""
    prices = random_prices(["AAA", "SPY"], seed=4)
    divs = pl.DataFrame(
        {"ticker": ["AAA"], "date": [DAYS[7]], "kind": ["dividend"], "value": [0.5]}
    )
    r = run_trades(
        events([("a", "AAA", 5)]),
        prices,
        TradeRule(entry="close:0", exit="close:+4", cost_bps=20),
        actions=divs,
        n_boot=0,
    )
    c = {
        row["date"]: row["close"]
        for row in prices.filter(pl.col("ticker") == "AAA").iter_rows(named=True)
    }
    Rp = c[DAYS[9]] / c[DAYS[5]] - 1.0
    R = Rp + 0.5 / c[DAYS[5]]
    assert r.portfolio is not None
    final = r.portfolio.daily.get_column("equity")[-1]
    assert final == pytest.approx(100_000 * (1 + R - 0.002 - 0.002 * (1 + Rp)), rel=1e-12)


def test_equity_is_the_compounded_daily_returns_and_the_statistics_by_hand() -> None:
    prices = random_prices(["AAA", "BBB", "SPY"], seed=11)
    ev = events([("a", "AAA", 2), ("b", "BBB", 4), ("c", "AAA", 20), ("d", "BBB", 21)])
    r = run_trades(ev, prices, TradeRule(entry="open:0", exit="close:+9", cost_bps=5), n_boot=0)
    assert r.portfolio is not None
    d = r.portfolio.daily
    ret = d.get_column("ret").to_numpy()
    eq = d.get_column("equity").to_numpy()
    np.testing.assert_allclose(eq, 100_000 * np.cumprod(1 + ret), rtol=1e-12)
    st = r.portfolio.stats
    n = ret.shape[0]
    assert st["total_return"] == pytest.approx(np.prod(1 + ret) - 1, rel=1e-12)
    assert st["ann_return"] == pytest.approx(np.prod(1 + ret) ** (252 / n) - 1, rel=1e-12)
    sd = math.sqrt(sum((x - ret.mean()) ** 2 for x in ret) / (n - 1))
    assert st["ann_vol"] == pytest.approx(sd * math.sqrt(252), rel=1e-12)
    assert st["sharpe"] == pytest.approx(ret.mean() / sd * math.sqrt(252), rel=1e-12)
    down = math.sqrt(sum(min(x, 0.0) ** 2 for x in ret) / n)
    assert st["sortino"] == pytest.approx(ret.mean() / down * math.sqrt(252), rel=1e-12)
    peak, mdd = 100_000.0, 0.0
    for e in eq:
        peak = max(peak, e)
        mdd = min(mdd, e / peak - 1)
    assert st["max_drawdown"] == pytest.approx(mdd, rel=1e-12)
    prev = np.concatenate([[100_000.0], eq[:-1]])
    turn = d.get_column("traded").to_numpy() / prev
    assert st["turnover"] == pytest.approx(turn.mean() * 252, rel=1e-12)
    # open positions: the two overlapping trades of each pair, none in between
    pos = dict(
        zip(d.get_column("date").to_list(), d.get_column("positions").to_list(), strict=True)
    )
    assert pos[DAYS[5]] == 2 and pos[DAYS[15]] == 0 and pos[DAYS[22]] == 2


def test_the_benchmark_portfolio_is_the_same_rule_on_the_benchmark() -> None:
    """Two overlapping trades under equal weight: the benchmark book holds SPY whenever one
    is open; the orders are netted, so when the second opens it trades only the costs the
    first left as a cash deficit (0.001 · 100,000 = 100), not a second 50,000."""
    prices = random_prices(["AAA", "BBB", "SPY"], seed=5)
    ev = events([("a", "AAA", 2), ("b", "BBB", 4)])
    r = run_trades(ev, prices, TradeRule(entry="close:0", exit="close:+5", cost_bps=10), n_boot=0)
    b = r.benchmark_portfolio
    assert b is not None
    spy = {
        row["date"]: row["close"]
        for row in prices.filter(pl.col("ticker") == "SPY").iter_rows(named=True)
    }
    c, cash, q = 0.001, 100_000.0, 0.0
    for day, n_after in ((2, 1), (4, 2), (7, 1), (9, 0)):  # the four keys, by hand
        p = spy[DAYS[day]]
        equity = cash + q * p
        new = equity / p if n_after else 0.0
        cash -= (new - q) * p + c * abs(new - q) * p
        q = new
    assert b.daily.get_column("equity")[-1] == pytest.approx(cash, rel=1e-12)
    traded = dict(zip(b.daily.get_column("date"), b.daily.get_column("traded"), strict=True))
    assert traded[DAYS[4]] == pytest.approx(100.0, rel=1e-9)
    assert traded[DAYS[3]] == 0.0


def test_fixed_notional_never_borrows() -> None:
    prices = random_prices(["AAA", "BBB", "CCC", "SPY"], seed=8)
    ev = events([("a", "AAA", 2), ("b", "BBB", 2), ("c", "CCC", 3)])
    prule = PortfolioRule(
        allocation="fixed_notional", initial_capital=30_000, notional_per_trade=20_000
    )
    r = run_trades(
        ev, prices, TradeRule(entry="close:0", exit="close:+5"), n_boot=0, portfolio=prule
    )
    assert r.portfolio is not None
    # a takes 20,000, b the 10,000 left, c nothing (unfunded)
    assert r.portfolio.n_unfunded == 1
    gross = r.portfolio.daily.get_column("gross_exposure").to_numpy()
    assert gross.max() <= 1.0 + 0.05  # only price drift above the equity at the opening
    assert r.portfolio.daily.get_column("positions").max() == 2


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    direction=st.sampled_from(["long", "short"]),
    allocation=st.sampled_from(["equal_weight", "fixed_notional"]),
    day0s=st.lists(st.integers(0, 45), min_size=1, max_size=12),
)
def test_equity_stays_positive_and_compounds(
    seed: int, direction: str, allocation: str, day0s: list[int]
) -> None:
    prices = random_prices(["AAA", "BBB", "CCC", "SPY"], seed=seed)
    ev = events([(f"e{i}", "ABC"[i % 3] * 3, d) for i, d in enumerate(day0s)])
    prule = PortfolioRule(allocation=allocation)
    rule = TradeRule(
        direction=direction, entry="open:0", exit="close:+8", cost_bps=5, overlap="split"
    )
    r = run_trades(ev, prices, rule, n_boot=0, portfolio=prule)
    assert r.portfolio is not None
    d = r.portfolio.daily
    n_ok = r.trades.filter(pl.col("status") == "ok").height
    assert (d.height == 0) == (n_ok == 0)
    if n_ok == 0:
        return
    eq = d.get_column("equity").to_numpy()
    assert (eq > 0).all()
    np.testing.assert_allclose(
        eq, 100_000 * np.cumprod(1 + d.get_column("ret").to_numpy()), rtol=1e-10
    )
    assert d.get_column("positions").to_list()[-1] == 0
    b = r.benchmark_portfolio
    assert b is not None
    if b.daily.height:
        assert (b.daily.get_column("equity").to_numpy() > 0).all()


def test_portfolio_rule_errors_and_statistics_of_nothing() -> None:
    with pytest.raises(TradingError, match="initial_capital: must be a finite number > 0"):
        PortfolioRule(initial_capital=0)
    with pytest.raises(TradingError, match="allocation"):
        PortfolioRule(allocation="kelly")
    prices = random_prices(["AAA", "SPY"], seed=1)
    with pytest.raises(TradingError, match="portfolio must be a PortfolioRule"):
        run_trades(events([("a", "AAA", 2)]), prices, TradeRule(), portfolio="equal")  # type: ignore[arg-type]
    empty = portfolio_stats(np.empty(0), np.empty(0), 1.0, np.empty(0))
    assert set(empty.values()) == {None}
    # no trade: an empty book, statistics null
    r = run_trades(events([("a", "AAA", 58)]), prices, TradeRule(), n_boot=0)
    assert r.portfolio is not None and r.portfolio.daily.height == 0
    assert r.portfolio.stats["sharpe"] is None


# ---------------------------------------------------------------------------
# scheduled events and the look-ahead guard


def test_a_fixed_position_may_enter_before_a_scheduled_event() -> None:
    prices = random_prices(["AAA", "SPY"], seed=2)
    rule = TradeRule(entry="close:-1", exit="close:+2")
    r = run_trades(events([("a", "AAA", 10)], scheduled=True), prices, rule, n_boot=0)
    assert r.trades.get_column("status").to_list() == ["ok"]
    assert r.perfect_foresight is False
    assert r.trades.get_column("entry_date").to_list() == [DAYS[9]]
    # the same event unscheduled (or without the column) is refused with today's message
    for frame in (events([("a", "AAA", 10)], scheduled=False), events([("a", "AAA", 10)])):
        with pytest.raises(LookaheadError, match="entry: entry close:-1 is before the news"):
            run_trades(frame, prices, rule, n_boot=0)


def test_a_sign_position_before_a_scheduled_event_is_refused() -> None:
    prices = random_prices(["AAA", "SPY"], seed=2)
    ev = events([("a", "AAA", 10)], scheduled=True)
    signals = pl.DataFrame(
        {"event_id": ["a"], "ticker": ["AAA"], "value": [0.01], "known_at_rel_day": [0]}
    )
    rule = TradeRule(direction="sign", entry="close:-1", exit="close:+2")
    with pytest.raises(LookaheadError, match=r"is before the news.*depends on the outcome"):
        run_trades(ev, prices, rule, signals=signals, n_boot=0)
    bad = ev.with_columns(pl.lit("yes").alias("scheduled"))
    with pytest.raises(InputSchemaError, match=r"events\.scheduled must be a boolean"):
        run_trades(bad, prices, TradeRule(), n_boot=0)


def test_no_annualised_figures_from_a_few_sessions() -> None:
    prices = random_prices(["AAA", "SPY"], seed=6)
    short = run_trades(events([("a", "AAA", 3)]), prices, TradeRule(exit="close:+5"), n_boot=0)
    assert short.portfolio is not None and short.portfolio.daily.height == 6
    assert {k for k, v in short.portfolio.stats.items() if v is None} == {
        "ann_return",
        "ann_vol",
        "sharpe",
        "sortino",
        "turnover",
    }
    assert "6 session(s) < 21" in str(short.portfolio.note)
    long = run_trades(events([("a", "AAA", 3)]), prices, TradeRule(exit="close:+20"), n_boot=0)
    assert long.portfolio is not None and long.portfolio.note is None
    assert long.portfolio.stats["sharpe"] is not None
