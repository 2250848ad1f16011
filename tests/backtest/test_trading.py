"""Event-time trading: hand-computed trades, look-ahead guards, statuses, overlaps, sweep."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from backtest.errors import BacktestError, InputSchemaError
from backtest.trading import (
    PERFECT_FORESIGHT,
    TRADE_STATUSES,
    LookaheadError,
    PricePoint,
    TradeResult,
    TradeRule,
    TradingError,
    bootstrap_mean_ci,
    max_drawdown,
    run_trade_sweep,
    run_trades,
)

# ---------------------------------------------------------------------------
# helpers: a small synthetic panel on weekdays


def weekdays(n: int, start: dt.date = dt.date(2024, 1, 1)) -> list[dt.date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


DAYS = weekdays(40)


def panel(
    closes: dict[str, list[float | None]], opens: dict[str, list[float | None]] | None = None
) -> pl.DataFrame:
    """PRICE_SCHEMA rows; ``opens`` default to the closes shifted by a small gap."""
    frames = []
    for t, c in closes.items():
        o = (opens or {}).get(t) or [None if x is None else x * 0.99 for x in c]
        frames.append(
            pl.DataFrame(
                {
                    "ticker": t,
                    "date": DAYS[: len(c)],
                    "open": pl.Series(o, dtype=pl.Float64),
                    "high": pl.Series(c, dtype=pl.Float64),
                    "low": pl.Series(c, dtype=pl.Float64),
                    "close": pl.Series(c, dtype=pl.Float64),
                    "adj_close": pl.Series([None] * len(c), dtype=pl.Float64),
                    "volume": pl.Series([1000] * len(c), dtype=pl.Int64),
                }
            )
        )
    return pl.concat(frames)


def events(*rows: tuple[str, str, dt.date | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "ticker": [r[1] for r in rows],
            "day0": pl.Series([r[2] for r in rows], dtype=pl.Date),
            "timing": pl.Series([r[3] for r in rows], dtype=pl.String),
        }
    )


def linear(start: float, step: float, n: int = 40) -> list[float | None]:
    return [start + step * i for i in range(n)]


def one(result: TradeResult, event_id: str) -> dict[str, object]:
    return result.trades.filter(pl.col("event_id") == event_id).row(0, named=True)


# ---------------------------------------------------------------------------
# hand-computed trades on the shared data


@pytest.fixture(scope="module")
def real_prices(shared_data: Path) -> pl.DataFrame:
    return pl.read_csv(
        shared_data / "prices_daily.csv",
        try_parse_dates=True,
        schema_overrides={"adj_close": pl.Float64},
    )


@pytest.fixture(scope="module")
def real_dividends(shared_data: Path) -> pl.DataFrame:
    return pl.read_csv(shared_data / "dividends.csv", try_parse_dates=True).select(
        "ticker", "date", pl.lit("dividend").alias("kind"), pl.col("dividend").alias("value")
    )


# Closes read from prices_daily.csv (checked by hand and by the first test):
# AMZN 2025-10-30 222.86 (entry, close of day -1 of the after-close Q3 report,
# day 0 = 2025-10-31), AMZN 2025-11-03 254.00 (exit, close of day +1);
# SPY 2025-10-30 679.83, SPY 2025-11-03 683.34. No AMZN or SPY ex-dividend date
# falls in (2025-10-30, 2025-11-03] (SPY's are 2025-09-19 and 2025-12-19).
AMZN_IN, AMZN_OUT = 222.86, 254.00
SPY_IN, SPY_OUT = 679.83, 683.34
AMZN_EVENT = events(("amzn-q3-2025", "AMZN", dt.date(2025, 10, 31), "after_close"))


def test_the_literal_closes_are_the_file(real_prices: pl.DataFrame) -> None:
    def close(t: str, d: dt.date) -> float:
        return float(
            real_prices.filter((pl.col("ticker") == t) & (pl.col("date") == d))["close"].item()
        )

    assert close("AMZN", dt.date(2025, 10, 30)) == AMZN_IN
    assert close("AMZN", dt.date(2025, 11, 3)) == AMZN_OUT
    assert close("SPY", dt.date(2025, 10, 30)) == SPY_IN
    assert close("SPY", dt.date(2025, 11, 3)) == SPY_OUT


def _amzn(real_prices: pl.DataFrame, real_dividends: pl.DataFrame, **rule: object) -> TradeResult:
    base: dict[str, object] = {"entry": "close:-1", "exit": "close:+1", "allow_lookahead": True}
    return run_trades(
        AMZN_EVENT, real_prices, TradeRule(**(base | rule)), actions=real_dividends, n_boot=0
    )


def test_amzn_gross_and_costs(real_prices: pl.DataFrame, real_dividends: pl.DataFrame) -> None:
    gross = AMZN_OUT / AMZN_IN - 1.0  # 0.13972897...
    r = _amzn(real_prices, real_dividends, cost_bps=5.0)
    t = one(r, "amzn-q3-2025")
    assert t["status"] == "ok"
    assert (t["entry_date"], t["exit_date"]) == (dt.date(2025, 10, 30), dt.date(2025, 11, 3))
    assert (t["entry_price"], t["exit_price"], t["dividends"]) == (AMZN_IN, AMZN_OUT, 0.0)
    assert t["gross"] == pytest.approx(gross, abs=1e-12)
    assert t["gross"] == pytest.approx(0.139729, abs=1e-6)
    assert t["cost"] == pytest.approx(0.001, abs=1e-15)  # 5 bps in + 5 bps out
    assert t["net"] == pytest.approx(gross - 0.001, abs=1e-12)
    assert t["direction"] == "long"
    assert t["perfect_foresight"] is True  # entry before the after-close report


def test_amzn_hedged_with_spy(real_prices: pl.DataFrame, real_dividends: pl.DataFrame) -> None:
    gross = AMZN_OUT / AMZN_IN - 1.0
    spy = SPY_OUT / SPY_IN - 1.0  # 0.00516307...
    r = _amzn(real_prices, real_dividends, cost_bps=5.0, hedge="benchmark")
    t = one(r, "amzn-q3-2025")
    assert t["benchmark_return"] == pytest.approx(spy, abs=1e-12)
    assert t["hedge_ratio"] == 1.0
    assert t["hedge_cost"] == pytest.approx(0.001, abs=1e-15)
    assert t["hedged"] == pytest.approx(gross - spy - 0.002, abs=1e-12)
    assert t["hedged"] == pytest.approx(0.132566, abs=1e-6)


def test_amzn_beta_hedged(real_prices: pl.DataFrame, real_dividends: pl.DataFrame) -> None:
    gross = AMZN_OUT / AMZN_IN - 1.0
    spy = SPY_OUT / SPY_IN - 1.0
    betas = pl.DataFrame({"event_id": ["amzn-q3-2025"], "ticker": ["AMZN"], "beta": [1.3]})
    rule = TradeRule(
        entry="close:-1", exit="close:+1", cost_bps=5.0, hedge="beta", allow_lookahead=True
    )
    r = run_trades(AMZN_EVENT, real_prices, rule, actions=real_dividends, betas=betas, n_boot=0)
    t = one(r, "amzn-q3-2025")
    assert t["hedge_ratio"] == 1.3
    assert t["hedge_cost"] == pytest.approx(1.3 * 0.001, abs=1e-15)
    assert t["hedged"] == pytest.approx(gross - 1.3 * spy - 0.001 - 0.0013, abs=1e-12)


def test_short_amzn_and_fixed_fee(real_prices: pl.DataFrame, real_dividends: pl.DataFrame) -> None:
    gross = AMZN_OUT / AMZN_IN - 1.0
    r = _amzn(real_prices, real_dividends, direction="short", fee=2.0, notional=10_000.0)
    t = one(r, "amzn-q3-2025")
    assert t["direction"] == "short"
    assert t["cost"] == pytest.approx(2.0 / 10_000.0, abs=1e-15)
    assert t["net"] == pytest.approx(-gross - 0.0002, abs=1e-12)


def test_real_dividend_is_received(real_prices: pl.DataFrame, real_dividends: pl.DataFrame) -> None:
    # MSFT went ex-dividend $0.91 on 2025-11-20; hold from the close of 11-19 to 11-20
    ev = events(("msft-div", "MSFT", dt.date(2025, 11, 19), "intraday"))
    rule = TradeRule(entry="close:0", exit="close:+1")
    t = one(run_trades(ev, real_prices, rule, actions=real_dividends, n_boot=0), "msft-div")
    assert t["dividends"] == pytest.approx(0.91)
    assert t["gross"] == pytest.approx((t["exit_price"] + 0.91) / t["entry_price"] - 1.0)


# ---------------------------------------------------------------------------
# the rule


def test_price_points_parse_and_print() -> None:
    assert PricePoint.parse("close:-1") == PricePoint(point="close", offset=-1)
    assert PricePoint.parse(" Open : +2 ") == PricePoint(point="open", offset=2)
    assert str(PricePoint.parse("open:0")) == "open:0"
    assert str(PricePoint.parse("close:5")) == "close:+5"
    assert PricePoint.parse("close:-1").key == -1
    assert PricePoint.parse("open:0").key == 0


@pytest.mark.parametrize("text", ["close-1", "mid:0", "close:", "close:1.5", "1:close"])
def test_bad_price_point(text: str) -> None:
    with pytest.raises(TradingError, match=r"is not a price point: write '<open\|close>:"):
        PricePoint.parse(text)
    with pytest.raises(
        TradingError, match=r"invalid TradeRule: entry: .* is not a price point"
    ) as e:
        TradeRule(entry=text)
    assert e.value.field == "entry"


@pytest.mark.parametrize(
    ("kwargs", "field", "match"),
    [
        ({"entry": "close:0", "exit": "open:0"}, "exit", "exit open:0 is before entry close:0"),
        ({"cost_bps": -1.0}, "cost_bps", "cost_bps: must be a finite number >= 0"),
        ({"cost_bps": math.nan}, "cost_bps", "cost_bps: must be a finite number >= 0"),
        ({"notional": 0.0}, "notional", "notional: must be a finite number > 0"),
        ({"direction": "up"}, "direction", "direction: .*'long', 'short' or 'sign'"),
        ({"hedge": "spy"}, "hedge", "hedge: "),
        ({"benchmark": " SPY"}, "benchmark", "benchmark: "),
        ({"holding": 5}, "holding", "holding: Extra inputs are not permitted"),
    ],
    ids=[
        "exit-before-entry",
        "neg-cost",
        "nan-cost",
        "notional",
        "direction",
        "hedge",
        "bench",
        "extra",
    ],
)
def test_rule_validation(kwargs: dict[str, object], field: str, match: str) -> None:
    with pytest.raises(TradingError, match=match) as e:
        TradeRule(**kwargs)
    assert e.value.field == field
    assert isinstance(e.value, ValueError)
    assert isinstance(e.value, BacktestError)


def test_rule_is_frozen_and_costs() -> None:
    r = TradeRule(cost_bps=5, fee=1.0, notional=5000.0)
    with pytest.raises(Exception, match="frozen"):
        r.cost_bps = 1.0  # type: ignore[misc]
    assert r.cost == pytest.approx(0.001 + 0.0002)
    assert r.hedge_cost(0.0) == 0.0
    assert r.hedge_cost(-1.5) == pytest.approx(1.5 * 0.001 + 0.0002)
    assert "long close:0 → close:+5" in r.describe()


# ---------------------------------------------------------------------------
# look-ahead


@pytest.mark.parametrize(
    ("timing", "first_ok", "last_bad"),
    [
        ("before_open", "open:0", "close:-1"),
        ("after_close", "open:0", "close:-1"),
        ("intraday", "close:0", "open:0"),
        ("unknown", "close:0", "open:0"),
        (None, "close:0", "open:0"),
    ],
    ids=["before_open", "after_close", "intraday", "unknown", "null"],
)
def test_lookahead_guard_per_timing(timing: str | None, first_ok: str, last_bad: str) -> None:
    prices = panel({"AAA": linear(10, 0.1), "SPY": linear(100, 0.1)})
    ev = events(("e1", "AAA", DAYS[10], timing), ("e2", "AAA", DAYS[30], "before_open"))
    ok = run_trades(ev, prices, TradeRule(entry=first_ok, exit="close:+2"), n_boot=0)
    assert ok.trades["status"].to_list() == ["ok", "ok"]
    assert not ok.perfect_foresight
    assert PERFECT_FORESIGHT not in ok.summary()
    with pytest.raises(LookaheadError, match=f"entry: entry {last_bad} is before the news") as e:
        run_trades(ev, prices, TradeRule(entry=last_bad, exit="close:+2"), n_boot=0)
    assert (e.value.field, e.value.event_id) == ("entry", "e1")
    assert f"first price after the news is {first_ok}" in str(e.value)
    assert "allow_lookahead=True" in str(e.value)
    foresight = run_trades(
        ev, prices, TradeRule(entry=last_bad, exit="close:+2", allow_lookahead=True), n_boot=0
    )
    assert foresight.perfect_foresight
    assert foresight.summary().startswith("PERFECT FORESIGHT")
    assert one(foresight, "e1")["perfect_foresight"] is True


def test_lookahead_names_first_event_in_id_order() -> None:
    prices = panel({"AAA": linear(10, 0.1), "SPY": linear(100, 0.1)})
    ev = events(("z", "AAA", DAYS[5], "intraday"), ("b", "AAA", DAYS[20], "unknown"))
    with pytest.raises(LookaheadError, match=r"event 'b'.*2 of 2 events are affected"):
        run_trades(ev, prices, TradeRule(entry="close:-1"), n_boot=0)


def test_sign_rule_signal_timing() -> None:
    prices = panel({"AAA": linear(10, 0.1), "BBB": linear(50, -0.2), "SPY": linear(100, 0.1)})
    ev = events(
        ("a", "AAA", DAYS[10], "after_close"),
        ("b", "BBB", DAYS[10], "after_close"),
        ("c", "AAA", DAYS[25], "after_close"),
        ("d", "BBB", DAYS[25], "after_close"),
    )
    signals = pl.DataFrame(
        {
            "event_id": ["a", "b", "c"],
            "ticker": ["AAA", "BBB", "AAA"],
            "value": [0.03, -0.02, 0.0],
            "known_at_rel_day": [0, 0, 0],
        }
    )
    # known at the close of day 0: open:0 is too early, close:0 (same close) and open:+1 are fine
    with pytest.raises(
        LookaheadError, match=r"signal of event 'a' .* known at the close of rel day"
    ) as e:
        run_trades(
            ev, prices, TradeRule(direction="sign", entry="open:0"), signals=signals, n_boot=0
        )
    assert (e.value.field, e.value.event_id) == ("direction", "a")
    for entry in ("close:0", "open:1"):
        r = run_trades(
            ev,
            prices,
            TradeRule(direction="sign", entry=entry, exit="close:3"),
            signals=signals,
            n_boot=0,
        )
        assert r.trades.select("event_id", "direction", "status").rows() == [
            ("a", "long", "ok"),
            ("b", "short", "ok"),
            ("c", None, "zero_signal"),
            ("d", None, "no_signal"),
        ]
        b = one(r, "b")
        assert b["gross"] == pytest.approx(-(b["exit_price"] / b["entry_price"] - 1.0))
    foresight = run_trades(
        ev,
        prices,
        TradeRule(direction="sign", entry="open:0", allow_lookahead=True),
        signals=signals,
        n_boot=0,
    )
    assert foresight.perfect_foresight


def test_sign_and_beta_need_their_frames() -> None:
    prices = panel({"AAA": linear(10, 0.1), "SPY": linear(100, 0.1)})
    ev = events(("a", "AAA", DAYS[10], None))
    with pytest.raises(TradingError, match="direction='sign' needs a signals frame") as e:
        run_trades(ev, prices, TradeRule(direction="sign"))
    assert e.value.field == "signals"
    with pytest.raises(TradingError, match="hedge='beta' needs a betas frame") as e:
        run_trades(ev, prices, TradeRule(hedge="beta"))
    assert e.value.field == "betas"
    bad = pl.DataFrame(
        {"event_id": ["a"], "ticker": ["AAA"], "value": [1.0], "known_at_rel_day": [0.5]}
    )
    with pytest.raises(InputSchemaError, match="known_at_rel_day must be an integer"):
        run_trades(ev, prices, TradeRule(direction="sign", entry="close:1"), signals=bad)


# ---------------------------------------------------------------------------
# statuses: trades that cannot be made stay, with a reason


def test_missing_price_reason_codes() -> None:
    aaa = linear(10, 0.1)
    aaa[12] = None  # the entry close of "no-entry"
    aaa[20] = None  # the exit close of "no-exit"
    spy = linear(100, 0.1)
    spy[31] = None
    prices = panel({"AAA": aaa, "BBB": linear(20, 0.1, 30), "SPY": spy})
    betas = pl.DataFrame(
        {
            "event_id": ["ok", "no-entry", "no-exit", "past", "bench", "late-ipo"],
            "ticker": ["AAA"] * 5 + ["BBB"],
            "beta": 1.0,
        }
    )
    ev = events(
        ("ok", "AAA", DAYS[2], None),  # close 2 -> close 4
        ("no-entry", "AAA", DAYS[12], None),  # entry close is null
        ("no-exit", "AAA", DAYS[18], None),  # exit close (day 20) is null
        ("past", "AAA", DAYS[38], None),  # exit at session 40: past the data
        ("bench", "AAA", DAYS[29], None),  # SPY has no close on session 31
        ("late-ipo", "BBB", DAYS[28], None),  # BBB's history ends at session 29
        ("ghost", "ZZZ", DAYS[5], None),  # no prices at all
        ("weekend", "AAA", dt.date(2024, 1, 6), None),  # a Saturday
        ("no-day0", "AAA", None, None),
        ("no-beta", "AAA", DAYS[6], None),
    )
    rule = TradeRule(entry="close:0", exit="close:+2", hedge="beta")
    r = run_trades(ev, prices, rule, betas=betas, n_boot=0)
    got = dict(r.trades.select("event_id", "status").iter_rows())
    assert got == {
        "ok": "ok",
        "no-entry": "missing_entry_price",
        "no-exit": "missing_exit_price",
        "past": "outside_data",
        "bench": "missing_benchmark_price",
        "late-ipo": "outside_data",
        "ghost": "no_prices",
        "weekend": "day0_not_session",
        "no-day0": "day0_not_session",
        "no-beta": "no_beta",
    }
    assert r.trades.height == ev.height
    # no prices are shown for trades whose sessions do not exist for the ticker
    for eid in ("past", "late-ipo", "ghost", "weekend", "no-day0"):
        t = one(r, eid)
        assert (t["entry_price"], t["exit_price"], t["dividends"]) == (None, None, None), eid
    assert one(r, "no-exit")["entry_price"] == pytest.approx(11.8)  # close 18 = 10 + 0.1·18
    assert one(r, "no-exit")["exit_price"] is None
    assert one(r, "past")["entry_date"] == DAYS[38]
    assert one(r, "past")["exit_date"] is None  # session 40 does not exist
    bad = r.trades.filter(pl.col("status") != "ok")
    assert bad.select(pl.col("gross", "net", "hedged", "cost").null_count()).row(0) == (9,) * 4
    assert set(r.trades["status"]) <= set(TRADE_STATUSES)
    assert r.stat("net", "n") == 1
    summary = r.summary()
    assert "candidates: 10 (ok 1, no_prices 1, day0_not_session 2, outside_data 2" in summary
    # the unhedged rule does not need SPY's price
    plain = run_trades(ev, prices, TradeRule(entry="close:0", exit="close:+2"), n_boot=0)
    assert one(plain, "bench")["status"] == "ok"
    assert one(plain, "bench")["benchmark_return"] is None


def test_benchmark_without_prices_is_an_error_when_hedging() -> None:
    prices = panel({"AAA": linear(10, 0.1)})
    ev = events(("a", "AAA", DAYS[3], None))
    with pytest.raises(TradingError, match="benchmark 'SPY' has no prices") as e:
        run_trades(ev, prices, TradeRule(hedge="benchmark"))
    assert e.value.field == "benchmark"
    r = run_trades(ev, prices, TradeRule(), n_boot=0)
    assert r.stat("benchmark", "n") == 0
    assert r.stat("net", "n") == 1


# ---------------------------------------------------------------------------
# dividends


def test_dividend_rule_ex_date_inside_holding() -> None:
    prices = panel({"AAA": [10.0] * 40, "SPY": linear(100, 0.1)}, opens={"AAA": [10.0] * 40})
    actions = pl.DataFrame(
        {
            "ticker": ["AAA", "AAA"],
            "date": [DAYS[10], DAYS[10]],
            "kind": ["dividend", "split"],
            "value": [0.5, 2.0],
        }
    )
    cases = {
        "close:-1": 0.5,  # held at the close before the ex-date: paid
        "open:0": 0.0,  # bought at the open of the ex-date: ex-dividend
        "close:0": 0.0,
    }
    for entry, paid in cases.items():
        ev = events(("a", "AAA", DAYS[10], "before_open"))
        rule = TradeRule(entry=entry, exit="close:+3", allow_lookahead=True)
        t = one(run_trades(ev, prices, rule, actions=actions, n_boot=0), "a")
        assert t["dividends"] == paid, entry
        assert t["gross"] == pytest.approx(paid / 10.0), entry
    # selling at the open of the ex-date still collects it
    ev = events(("a", "AAA", DAYS[9], "before_open"))
    t = one(
        run_trades(ev, prices, TradeRule(entry="open:0", exit="open:1"), actions=actions, n_boot=0),
        "a",
    )
    assert t["dividends"] == 0.5
    # a short position pays it
    t = one(
        run_trades(
            ev,
            prices,
            TradeRule(direction="short", entry="open:0", exit="open:1"),
            actions=actions,
            n_boot=0,
        ),
        "a",
    )
    assert t["gross"] == pytest.approx(-0.05)


def test_bad_actions() -> None:
    prices = panel({"AAA": linear(10, 0.1)})
    ev = events(("a", "AAA", DAYS[3], None))
    bad = pl.DataFrame({"ticker": ["AAA"], "date": [DAYS[4]], "kind": ["bonus"], "value": [1.0]})
    with pytest.raises(InputSchemaError, match=r"actions.kind has unknown value\(s\) \['bonus'\]"):
        run_trades(ev, prices, TradeRule(), actions=bad)


# ---------------------------------------------------------------------------
# overlaps


def _overlap_case(policy: str) -> TradeResult:
    prices = panel({"AAA": linear(10, 0.1), "BBB": linear(10, 0.2), "SPY": linear(100, 0.1)})
    ev = events(
        ("a", "AAA", DAYS[0], None),  # holds close 0 -> close 5
        ("b", "AAA", DAYS[2], None),  # close 2 -> 7: overlaps a
        ("c", "AAA", DAYS[6], None),  # close 6 -> 11: overlaps b only
        ("d", "AAA", DAYS[11], None),  # enters at c's exit: no overlap
        ("e", "BBB", DAYS[2], None),  # another ticker
    )
    return run_trades(
        ev, prices, TradeRule(entry="close:0", exit="close:+5", overlap=policy), n_boot=0
    )


def test_overlap_skip() -> None:
    r = _overlap_case("skip")
    assert dict(r.trades.select("event_id", "status").iter_rows()) == {
        "a": "ok",
        "b": "overlap_skipped",
        "c": "ok",  # enters after a's exit; b was skipped, so it does not block c
        "d": "ok",  # exit and re-entry at the same close is not an overlap
        "e": "ok",
    }
    assert r.n_overlapping == 1
    assert "overlapping trades in one ticker: 1 skipped" in r.summary()
    assert one(r, "b")["net"] is None


def test_overlap_split() -> None:
    r = _overlap_case("split")
    assert set(r.trades["status"]) == {"ok"}
    w = dict(r.trades.select("event_id", "weight").iter_rows())
    assert w == {
        "a": pytest.approx(1 / 3),
        "b": pytest.approx(1 / 3),
        "c": pytest.approx(1 / 3),
        "d": 1.0,
        "e": 1.0,
    }
    assert r.n_overlapping == 3
    net = dict(r.trades.select("event_id", "net").iter_rows())
    eq = r.equity
    assert eq["exit_date"].to_list() == [DAYS[5], DAYS[7], DAYS[11], DAYS[16]]
    assert eq["n"].to_list() == [1, 2, 1, 1]  # b and e both close on session 7
    cohorts = [
        net["a"] / 3,
        (net["b"] / 3 + net["e"]) / 2,  # b uses a third of its share, e all of it
        net["c"] / 3,
        net["d"],
    ]
    np.testing.assert_allclose(eq["net"].to_numpy(), cohorts, rtol=1e-14)
    np.testing.assert_allclose(eq["equity"].to_numpy(), np.cumprod(1 + np.array(cohorts)))


# ---------------------------------------------------------------------------
# aggregates


def test_equity_curve_in_exit_order_and_drawdown() -> None:
    # AAA falls 10 -> 8 then rises to 12; BBB is flat at 50 but for 55 on session 6
    c = [10.0, 10.0, 9.0, 8.0, 8.0, 12.0, 12.0, 12.0, 12.0, 12.0] + [12.0] * 30
    b = [50.0] * 40
    b[6] = 55.0
    prices = panel({"AAA": c, "BBB": b, "SPY": [100.0] * 40})
    ev = events(
        ("x", "AAA", DAYS[4], None),  # close 4 -> close 6: +50%
        ("y", "AAA", DAYS[1], None),  # close 1 -> close 3: -20%, exits first
        ("z", "BBB", DAYS[4], None),  # close 4 -> close 6: +10%, exits with x
    )
    r = run_trades(ev, prices, TradeRule(entry="close:0", exit="close:+2"), n_boot=0)
    ry, rx, rz = 8.0 / 10.0 - 1.0, 12.0 / 8.0 - 1.0, 55.0 / 50.0 - 1.0
    eq = r.equity
    assert eq["exit_date"].to_list() == [DAYS[3], DAYS[6]]
    assert eq["n"].to_list() == [1, 2]
    np.testing.assert_allclose(eq["net"].to_numpy(), [ry, (rx + rz) / 2])
    curve = [1 + ry, (1 + ry) * (1 + (rx + rz) / 2)]
    np.testing.assert_allclose(eq["equity"].to_numpy(), curve)
    np.testing.assert_allclose(eq["hedged_equity"].to_numpy(), curve)  # hedge none
    np.testing.assert_allclose(eq["benchmark_equity"].to_numpy(), [1.0, 1.0])
    assert r.stat("net", "max_drawdown") == pytest.approx(ry)
    assert r.stat("net", "compounded") == pytest.approx(curve[-1] - 1)
    assert r.stat("net", "mean") == pytest.approx((ry + rx + rz) / 3)
    assert r.stat("benchmark", "mean") == 0.0
    assert r.stat("net", "hit_rate") == pytest.approx(2 / 3)
    assert max_drawdown(np.array([1.2, 0.9, 1.5, 1.2])) == pytest.approx(0.9 / 1.2 - 1)
    assert max_drawdown(np.array([1.1, 1.2])) == 0.0


def test_stats_and_bootstrap_reproducible() -> None:
    rng = np.random.default_rng(5)
    n = 60
    closes = {f"T{i:02d}": list(20 * np.cumprod(1 + rng.normal(0.001, 0.02, 40))) for i in range(n)}
    closes["SPY"] = list(100 * np.cumprod(1 + rng.normal(0, 0.01, 40)))
    prices = panel(closes)
    ev = events(*[(f"e{i:02d}", f"T{i:02d}", DAYS[5 + i % 20], None) for i in range(n)])
    rule = TradeRule(entry="close:0", exit="close:+5", cost_bps=2, hedge="benchmark")
    a = run_trades(ev, prices, rule, seed=11, n_boot=2000)
    b = run_trades(ev, prices, rule, seed=11, n_boot=2000)
    c = run_trades(ev, prices, rule, seed=12, n_boot=2000)
    assert_frame_equal(a.stats, b.stats)
    assert a.stats["ci_low"].to_list() != c.stats["ci_low"].to_list()
    for row in a.stats.iter_rows(named=True):
        assert row["n"] == n
        assert row["ci_low"] < row["mean"] < row["ci_high"]
    net = a.trades["net"].to_numpy()
    assert a.stat("net", "mean") == pytest.approx(net.mean())
    assert a.stat("net", "median") == pytest.approx(np.median(net))
    assert a.stat("net", "t") == pytest.approx(net.mean() / (net.std(ddof=1) / math.sqrt(n)))
    assert a.stat("net", "hit_rate") == pytest.approx((net > 0).mean())
    # the CI is a percentile bootstrap of the mean, about mean ± 1.96 se
    se = net.std(ddof=1) / math.sqrt(n)
    assert a.stat("net", "ci_high") - a.stat("net", "ci_low") == pytest.approx(
        2 * 1.96 * se, rel=0.15
    )
    assert bootstrap_mean_ci(net, n_boot=500, seed=3) == bootstrap_mean_ci(net, n_boot=500, seed=3)
    # the bootstrap is paired: the same resampled trades for every series, so the net CI
    # is the one-series CI with the same seed
    assert bootstrap_mean_ci(net, n_boot=2000, seed=11) == pytest.approx(
        (a.stat("net", "ci_low"), a.stat("net", "ci_high")), abs=1e-15
    )
    text = a.summary()
    for word in ("gross", "net", "hedged", "benchmark", "95% CI", "2000 resamples (seed 11)"):
        assert word in text
    with pytest.raises(TradingError, match="series must be one of"):
        a.stat("alpha", "mean")


def test_empty_and_single_trade_stats() -> None:
    prices = panel({"AAA": linear(10, 0.1), "SPY": linear(100, 0.1)})
    r = run_trades(events(("a", "AAA", DAYS[39], None)), prices, TradeRule())
    assert r.stat("net", "n") == 0 and r.stat("net", "mean") is None
    assert r.equity.height == 0
    assert "ok" not in dict(r.trades.group_by("status").len().iter_rows())
    r1 = run_trades(events(("a", "AAA", DAYS[3], None)), prices, TradeRule())
    assert r1.stat("net", "n") == 1
    assert r1.stat("net", "t") is None and r1.stat("net", "sd") is None
    # one trade: below the minimum n, no interval either, and the note says why
    assert r1.stat("net", "ci_low") is None and r1.stat("net", "ci_high") is None
    assert "n = 1 < 10" in str(r1.stat("net", "note"))
    assert "n = 1 < 10" in r1.summary()


# ---------------------------------------------------------------------------
# inputs


def test_input_errors() -> None:
    prices = panel({"AAA": linear(10, 0.1), "SPY": linear(100, 0.1)})
    ev = events(("a", "AAA", DAYS[3], None))
    with pytest.raises(
        InputSchemaError,
        match=r"prices has 2 rows with a duplicate \(ticker, date\), e.g. AAA on 2024-01-01",
    ):
        run_trades(ev, pl.concat([prices, prices.head(1)]), TradeRule())
    with pytest.raises(InputSchemaError, match=r"not sessions, e.g. AAA on 2024-01-03"):
        run_trades(ev, prices, TradeRule(), sessions=[d for d in DAYS if d != DAYS[2]])
    with pytest.raises(InputSchemaError, match="prices frame lacks column"):
        run_trades(ev, prices.drop("close"), TradeRule())
    # open is needed only when a price point uses it
    run_trades(ev, prices.drop("open"), TradeRule(), n_boot=0)
    with pytest.raises(InputSchemaError, match="open"):
        run_trades(ev, prices.drop("open"), TradeRule(entry="open:1"))
    with pytest.raises(
        InputSchemaError, match=r"events has 2 rows with a duplicate \(event_id, ticker\)"
    ):
        run_trades(pl.concat([ev, ev]), prices, TradeRule())
    with pytest.raises(
        InputSchemaError, match=r"events.timing has unknown value\(s\) \['premarket'\]"
    ):
        run_trades(events(("a", "AAA", DAYS[3], "premarket")), prices, TradeRule())
    with pytest.raises(InputSchemaError, match=r"events.day0 must be pl.Date"):
        run_trades(ev.with_columns(pl.col("day0").cast(pl.String)), prices, TradeRule())
    with pytest.raises(TradingError, match="rule must be a TradeRule"):
        run_trades(ev, prices, {"direction": "long"})  # type: ignore[arg-type]


def test_sessions_beyond_prices_and_price_rows_outside_them() -> None:
    prices = panel({"AAA": linear(10, 0.1), "SPY": linear(100, 0.1)})
    ev = events(("a", "AAA", DAYS[37], None), ("b", "AAA", DAYS[20], None))
    more = weekdays(60)
    r = run_trades(ev, prices, TradeRule(), sessions=more, n_boot=0)
    assert dict(r.trades.select("event_id", "status").iter_rows()) == {
        "a": "outside_data",
        "b": "ok",
    }
    assert one(r, "a")["exit_date"] == more[42]
    # price rows outside the sessions' span are ignored
    r2 = run_trades(ev, prices, TradeRule(), sessions=DAYS[10:30], n_boot=0)
    assert dict(r2.trades.select("event_id", "status").iter_rows()) == {
        "a": "day0_not_session",
        "b": "ok",
    }


# ---------------------------------------------------------------------------
# sweep


def _sweep_data() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(3)
    n_t = 12
    closes = {
        f"T{i:02d}": list(30 * np.cumprod(1 + rng.normal(0.0005, 0.02, 40))) for i in range(n_t)
    }
    closes["SPY"] = list(100 * np.cumprod(1 + rng.normal(0, 0.01, 40)))
    closes["T03"][17] = None
    prices = panel(closes)
    rows = [(f"e{i:02d}", f"T{i % n_t:02d}", DAYS[3 + (7 * i) % 30], None) for i in range(30)]
    rows.append(("x1", "T00", DAYS[5], None))  # overlaps e00 (T00, day 0 at session 3)
    actions = pl.DataFrame(
        {
            "ticker": ["T01", "SPY"],
            "date": [DAYS[12], DAYS[14]],
            "kind": "dividend",
            "value": [0.4, 1.0],
        }
    )
    return events(*rows), prices, actions


@pytest.mark.parametrize("overlap", ["skip", "split"])
@pytest.mark.parametrize("hedge", ["none", "benchmark"])
def test_sweep_cells_equal_single_runs(overlap: str, hedge: str) -> None:
    ev, prices, actions = _sweep_data()
    rule = TradeRule(cost_bps=3.0, hedge=hedge, overlap=overlap)
    sweep = run_trade_sweep(ev, prices, rule, [0, 2, 1], [0, 3, 6], actions=actions, min_trades=20)
    assert sweep.cells.height == 9
    assert sweep.cells.select("entry_offset", "holding").rows()[:3] == [(0, 0), (0, 3), (0, 6)]
    for c in sweep.cells.iter_rows(named=True):
        k, h = c["entry_offset"], c["holding"]
        single = run_trades(
            ev,
            prices,
            TradeRule(**(rule.model_dump() | {"entry": f"close:{k}", "exit": f"close:{k + h}"})),
            actions=actions,
            n_boot=0,
        )
        assert c["n"] == single.stat("net", "n"), (k, h)
        assert c["n_overlapping"] == single.n_overlapping, (k, h)
        assert c["mean_net"] == pytest.approx(single.stat("net", "mean"), abs=1e-13)
        assert c["mean_hedged"] == pytest.approx(single.stat("hedged", "mean"), abs=1e-13)
        if c["t_hedged"] is not None:
            assert c["t_hedged"] == pytest.approx(single.stat("hedged", "t"), rel=1e-9)
        assert c["enough"] == (c["n"] >= 20)
        assert c["exit_offset"] == k + h
    zero = sweep.cells.filter(pl.col("holding") == 0)
    assert zero["mean_net"].to_list() == pytest.approx([-0.0006] * 3)


def test_sweep_lookahead_and_labels() -> None:
    ev, prices, _ = _sweep_data()
    with pytest.raises(
        LookaheadError, match="entry_offsets: entry close:-1 is before the news"
    ) as e:
        run_trade_sweep(ev, prices, TradeRule(), [-1, 0, 1], [1, 2])
    assert e.value.field == "entry_offsets"
    sweep = run_trade_sweep(ev, prices, TradeRule(allow_lookahead=True), [-1, 0, 1], [1, 2])
    flags = dict(zip(sweep.cells["entry_offset"], sweep.cells["perfect_foresight"], strict=True))
    assert flags == {-1: True, 0: False, 1: False}
    assert sweep.summary().startswith("PERFECT FORESIGHT")


def test_sweep_result_helpers() -> None:
    ev, prices, _ = _sweep_data()
    sweep = run_trade_sweep(
        ev, prices, TradeRule(hedge="benchmark"), range(3), range(1, 5), min_trades=30
    )
    assert sweep.cells.height == 12
    assert not sweep.cells["enough"].all()
    best = sweep.best()
    pool = sweep.cells.filter(pl.col("enough"))
    if best is not None:
        assert best["t_hedged"] == pool["t_hedged"].max()
    grid = sweep.grid("n")
    assert grid.columns == ["entry_offset", "h1", "h2", "h3", "h4"]
    assert grid.height == 3
    assert "12 cells tried" in sweep.warning
    assert "Bonferroni" in sweep.warning
    text = sweep.summary()
    assert "· = fewer than 30 trades" in text
    assert sweep.warning in text
    assert run_trade_sweep(ev, prices, TradeRule(), [0], [1], min_trades=1000).best() is None


@pytest.mark.parametrize(
    ("args", "field", "match"),
    [
        (([], [1]), "entry_offsets", "non-empty sequence of integers"),
        (([0, 0], [1]), "entry_offsets", "lists a value twice"),
        (([0], [1.5]), "holding_periods", "non-empty sequence of integers"),
        (([0], [-1]), "holding_periods", "holding_periods must be >= 0"),
    ],
)
def test_sweep_argument_errors(args: tuple[list[int], list[int]], field: str, match: str) -> None:
    ev, prices, _ = _sweep_data()
    with pytest.raises(TradingError, match=match) as e:
        run_trade_sweep(ev, prices, TradeRule(), *args)
    assert e.value.field == field


def test_sweep_close_to_open_needs_a_session() -> None:
    ev, prices, _ = _sweep_data()
    rule = TradeRule(entry="close:0", exit="open:1")
    with pytest.raises(TradingError, match="holding_periods must be >= 1 with entry at the close"):
        run_trade_sweep(ev, prices, rule, [0], [0, 1])
    sweep = run_trade_sweep(ev, prices, rule, [0], [1])
    single = run_trades(ev, prices, rule, n_boot=0)
    assert sweep.cells["mean_net"].item() == pytest.approx(single.stat("net", "mean"))


def test_sweep_with_sign_and_beta_hedge() -> None:
    ev, prices, actions = _sweep_data()
    ids = ev["event_id"].to_list()
    signals = pl.DataFrame(
        {
            "event_id": ids[:-2],
            "ticker": ev["ticker"].to_list()[:-2],
            "value": [(-1.0) ** i * (i % 4) for i in range(len(ids) - 2)],  # some zeros
            "known_at_rel_day": [0] * (len(ids) - 2),
        }
    )
    betas = (
        ev.select("event_id", "ticker")
        .with_columns(beta=pl.Series([0.5 + 0.1 * i for i in range(ev.height)]))
        .filter(pl.col("event_id") != ids[1])  # e01 has a signal but no beta
    )
    rule = TradeRule(direction="sign", hedge="beta", cost_bps=2.0)
    kw = {"actions": actions, "signals": signals, "betas": betas}
    sweep = run_trade_sweep(ev, prices, rule, [0, 1], [1, 4], **kw)
    for c in sweep.cells.iter_rows(named=True):
        k, h = c["entry_offset"], c["holding"]
        update = {"entry": f"close:{k}", "exit": f"close:{k + h}"}
        single = run_trades(ev, prices, TradeRule(**(rule.model_dump() | update)), n_boot=0, **kw)
        statuses = set(single.trades["status"])
        assert {"no_signal", "zero_signal", "no_beta"} <= statuses
        assert c["n"] == single.stat("hedged", "n")
        assert c["mean_hedged"] == pytest.approx(single.stat("hedged", "mean"), abs=1e-13)
    # the news is out before the open, but the signal only at the close of day 0
    with pytest.raises(LookaheadError, match="entry_offsets: the signal of event") as e:
        run_trade_sweep(
            ev.with_columns(timing=pl.lit("before_open")),
            prices,
            TradeRule(direction="sign", entry="open:0"),
            [0, 1],
            [1],
            signals=signals,
        )
    assert e.value.field == "entry_offsets"
