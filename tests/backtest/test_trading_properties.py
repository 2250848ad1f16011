"""Hypothesis properties of event-time trading (backtest.trading, module notes).

Cost model under test: ``cost = 2·cost_bps/10⁴ + fee/notional`` per trade on the
stock leg and ``hedge_cost = |h|·2·cost_bps/10⁴ + fee/notional`` on a hedge leg
with ``h ≠ 0``, both independent of the outcome.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from backtest.trading import TradeResult, TradeRule, run_trade_sweep, run_trades

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = dt.date(2022, 3, 1)
TIMINGS = ["before_open", "intraday", "after_close", "unknown", None]


def _calendar(n: int) -> list[dt.date]:
    out, d = [], START
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def make_data(
    seed: int, n_tickers: int, n_days: int, n_events: int, *, twin: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Random prices (with holes), dividends and events; ``twin``: T0 is a copy of SPY."""
    rng = np.random.default_rng(seed)
    days = _calendar(n_days)
    names = [f"T{i}" for i in range(n_tickers)] + ["SPY"]
    frames, divs = [], []
    for name in names:
        close = rng.uniform(5, 50) * np.cumprod(1 + rng.normal(0, 0.03, n_days))
        open_ = close * (1 + rng.normal(0, 0.01, n_days))
        keep = rng.random(n_days) > 0.08
        frames.append(
            pl.DataFrame(
                {"ticker": name, "date": days, "open": open_, "close": close, "keep": keep}
            )
        )
        ex = rng.choice(n_days, size=2, replace=False)
        divs.append(
            pl.DataFrame(
                {
                    "ticker": name,
                    "date": [days[i] for i in ex],
                    "kind": "dividend",
                    "value": rng.uniform(0, 1, 2),
                }
            )
        )
    prices = pl.concat(frames)
    actions = pl.concat(divs)
    if twin:
        spy = prices.filter(pl.col("ticker") == "SPY")
        prices = pl.concat(
            [prices.filter(pl.col("ticker") != "T0"), spy.with_columns(ticker=pl.lit("T0"))]
        )
        spy_divs = actions.filter(pl.col("ticker") == "SPY")
        actions = pl.concat(
            [actions.filter(pl.col("ticker") != "T0"), spy_divs.with_columns(ticker=pl.lit("T0"))]
        )
    prices = (
        prices.filter("keep").drop("keep").with_columns(pl.lit(None, pl.Float64).alias("adj_close"))
    )
    ev = pl.DataFrame(
        {
            "event_id": [f"e{i:03d}" for i in range(n_events)],
            "ticker": [names[int(i)] for i in rng.integers(0, n_tickers, n_events)],
            "day0": [days[int(i)] for i in rng.integers(0, n_days, n_events)],
            "timing": pl.Series(
                [TIMINGS[int(i)] for i in rng.integers(0, 5, n_events)], dtype=pl.String
            ),
        }
    )
    return ev, prices, actions


data_args = st.tuples(
    st.integers(0, 10_000), st.integers(1, 4), st.integers(12, 30), st.integers(1, 25)
)


@st.composite
def rules(draw: st.DrawFn, **fixed: Any) -> TradeRule:
    entry_point = draw(st.sampled_from(["open", "close"]))
    entry = draw(st.integers(-3, 3))
    exit_point = draw(st.sampled_from(["open", "close"]))
    exit_ = draw(
        st.integers(entry + (1 if (entry_point, exit_point) == ("close", "open") else 0), entry + 6)
    )
    kwargs: dict[str, Any] = {
        "direction": draw(st.sampled_from(["long", "short"])),
        "entry": f"{entry_point}:{entry}",
        "exit": f"{exit_point}:{exit_}",
        "cost_bps": draw(st.sampled_from([0.0, 1.0, 5.0, 12.5])),
        "fee": draw(st.sampled_from([0.0, 1.0])),
        "hedge": draw(st.sampled_from(["none", "benchmark"])),
        "overlap": draw(st.sampled_from(["skip", "split"])),
        "allow_lookahead": True,
    }
    return TradeRule(**(kwargs | fixed))


def _run(
    ev: pl.DataFrame, prices: pl.DataFrame, actions: pl.DataFrame, rule: TradeRule, **kw: Any
) -> TradeResult:
    return run_trades(ev, prices, rule, actions=actions, n_boot=kw.pop("n_boot", 0), **kw)


@SETTINGS
@given(
    data_args,
    st.sampled_from(["open", "close"]),
    st.integers(-2, 3),
    st.sampled_from(["none", "benchmark"]),
)
def test_zero_cost_zero_holding_is_zero(
    args: tuple[int, int, int, int], point: str, k: int, hedge: str
) -> None:
    ev, prices, actions = make_data(*args)
    rule = TradeRule(entry=f"{point}:{k}", exit=f"{point}:{k}", hedge=hedge, allow_lookahead=True)
    t = _run(ev, prices, actions, rule).trades.filter(pl.col("status") == "ok")
    for col in ("gross", "net", "hedged", "dividends"):
        assert (t[col] == 0.0).all(), col
    if hedge == "benchmark":
        assert (t["benchmark_return"] == 0.0).all()


@SETTINGS
@given(data_args, rules())
def test_long_plus_short_is_minus_twice_the_costs(
    args: tuple[int, int, int, int], rule: TradeRule
) -> None:
    ev, prices, actions = make_data(*args)
    long_ = _run(
        ev, prices, actions, TradeRule(**(rule.model_dump() | {"direction": "long"}))
    ).trades
    short = _run(
        ev, prices, actions, TradeRule(**(rule.model_dump() | {"direction": "short"}))
    ).trades
    assert long_["status"].to_list() == short["status"].to_list()
    ok = long_["status"] == "ok"
    cost = rule.cost
    hcost = rule.hedge_cost(1.0 if rule.hedge == "benchmark" else 0.0)
    net = (long_["net"] + short["net"]).filter(ok).to_numpy()
    hedged = (long_["hedged"] + short["hedged"]).filter(ok).to_numpy()
    np.testing.assert_allclose(net, -2 * cost, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hedged, -2 * (cost + hcost), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        (long_["gross"] + short["gross"]).filter(ok).to_numpy(), 0.0, atol=1e-15
    )


@SETTINGS
@given(data_args, rules(hedge="benchmark"))
def test_benchmark_twin_hedges_to_minus_costs(
    args: tuple[int, int, int, int], rule: TradeRule
) -> None:
    ev, prices, actions = make_data(*args, twin=True)
    ev = ev.with_columns(ticker=pl.lit("T0"))
    t = _run(ev, prices, actions, rule).trades.filter(pl.col("status") == "ok")
    expected = -(rule.cost + rule.hedge_cost(1.0))  # hedge costs charged on the SPY leg too
    np.testing.assert_allclose(t["hedged"].to_numpy(), expected, rtol=0, atol=1e-12)
    sign = 1.0 if rule.direction == "long" else -1.0
    np.testing.assert_allclose(t["gross"].to_numpy(), sign * t["benchmark_return"].to_numpy())


@SETTINGS
@given(data_args, rules(), st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_row_order(
    args: tuple[int, int, int, int], rule: TradeRule, perm_seed: int
) -> None:
    ev, prices, actions = make_data(*args)
    a = _run(ev, prices, actions, rule, n_boot=200, seed=4)
    rng = np.random.default_rng(perm_seed)

    def shuffle(f: pl.DataFrame) -> pl.DataFrame:
        return f[rng.permutation(f.height).tolist()]

    b = _run(shuffle(ev), shuffle(prices), shuffle(actions), rule, n_boot=200, seed=4)
    assert_frame_equal(a.trades, b.trades)
    assert_frame_equal(a.stats, b.stats)
    assert_frame_equal(a.equity, b.equity)
    assert a.n_overlapping == b.n_overlapping


@SETTINGS
@given(data_args, rules(overlap="skip"))
def test_kept_trades_never_overlap(args: tuple[int, int, int, int], rule: TradeRule) -> None:
    ev, prices, actions = make_data(*args)
    r = _run(ev, prices, actions, rule)
    ok = r.trades.filter(pl.col("status") == "ok")
    pe, px = rule.entry.point == "close", rule.exit.point == "close"
    key = ok.with_columns(
        (pl.col("entry_date").cast(pl.Int32) * 2 + int(pe)).alias("a"),
        (pl.col("exit_date").cast(pl.Int32) * 2 + int(px)).alias("b"),
    ).sort("ticker", "a", "event_id")
    for _, g in key.group_by("ticker"):
        a, b = g["a"].to_numpy(), g["b"].to_numpy()
        assert (a[1:] >= b[:-1]).all()
    skipped = r.trades.filter(pl.col("status") == "overlap_skipped").height
    assert skipped == r.n_overlapping


@SETTINGS
@given(data_args, rules(overlap="split"))
def test_split_weights(args: tuple[int, int, int, int], rule: TradeRule) -> None:
    ev, prices, actions = make_data(*args)
    r = _run(ev, prices, actions, rule)
    ok = r.trades.filter(pl.col("status") == "ok")
    assert "overlap_skipped" not in set(r.trades["status"])
    w = ok["weight"].to_numpy()
    assert ((w > 0) & (w <= 1)).all()
    assert r.n_overlapping == int((w < 1).sum())
    # a cluster of m trades gives each 1/m: the weights of a ticker's trades sum to its cluster count
    assert float(w.sum()) == pytest.approx(round(float(w.sum())))


@SETTINGS
@given(
    data_args,
    rules(),
    st.lists(st.integers(-2, 3), min_size=1, max_size=3, unique=True),
    st.lists(st.integers(1, 5), min_size=1, max_size=3, unique=True),
)
def test_sweep_cells_match_single_runs(
    args: tuple[int, int, int, int], rule: TradeRule, ks: list[int], hs: list[int]
) -> None:
    ev, prices, actions = make_data(*args)
    sweep = run_trade_sweep(ev, prices, rule, ks, hs, actions=actions, min_trades=1)
    for c in sweep.cells.iter_rows(named=True):
        k, h = c["entry_offset"], c["holding"]
        update = {
            "entry": f"{rule.entry.point}:{k}",
            "exit": f"{rule.exit.point}:{k + h}",
        }
        single = _run(ev, prices, actions, TradeRule(**(rule.model_dump() | update)))
        assert c["n"] == single.stat("net", "n")
        assert c["n_overlapping"] == single.n_overlapping
        for col, series in (("mean_net", "net"), ("mean_hedged", "hedged")):
            got, want = c[col], single.stat(series, "mean")
            assert (got is None and want is None) or got == pytest.approx(want, abs=1e-12)
