"""Warnings are typed notices whose text is what the reports print."""

from __future__ import annotations

import pytest
from scipy import stats

from backtest import SWEEP_WARNING, TradeRule, run_trade_sweep, run_trades
from backtest.notices import PERFECT_FORESIGHT, Notice, sweep_optimistic
from tests.backtest.test_trading import DAYS, events, linear, panel


def test_notice_is_frozen_and_prints_its_text() -> None:
    n = Notice("perfect_foresight", "some text", event_id="e1", ticker="AAA")
    assert str(n) == n.text == "some text"
    with pytest.raises(AttributeError):
        n.text = "other"  # type: ignore[misc]


@pytest.mark.parametrize("cells", [1, 12, 400])
def test_sweep_notice_is_the_documented_sentence(cells: int) -> None:
    bound = float(stats.norm.isf(0.025 / cells))
    notice = sweep_optimistic(cells)
    assert notice.code == "sweep_optimistic"
    assert notice.text == SWEEP_WARNING.format(cells=cells, bound=bound)


def test_results_carry_their_notices() -> None:
    prices = panel({"AAA": linear(10, 0.1), "SPY": linear(100, 0.1)})
    ev = events(("a", "AAA", DAYS[5], "after_close"), ("b", "AAA", DAYS[20], None))
    fair = run_trades(ev, prices, TradeRule(entry="close:0", exit="close:3"), n_boot=0)
    assert fair.notices == ()
    early = TradeRule(entry="close:-1", exit="close:3", allow_lookahead=True)
    foresight = run_trades(ev, prices, early, n_boot=0)
    assert [n.code for n in foresight.notices] == ["perfect_foresight"]
    assert foresight.notices[0].text == PERFECT_FORESIGHT
    assert foresight.summary().startswith(PERFECT_FORESIGHT)
    sweep = run_trade_sweep(ev, prices, early, [-1, 0], [1, 2], min_trades=1)
    codes = [n.code for n in sweep.notices]
    assert codes == ["perfect_foresight", "sweep_optimistic"]
    assert sweep.warning == sweep.notices[-1].text == str(sweep_optimistic(4))
    assert sweep.summary().endswith(sweep.warning)
