"""Calendar-time portfolios: portfolio returns and the combined t, against literal loops."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from scipy import stats

from backtest.calendartime import calendar_time_test, portfolio_returns
from backtest.errors import InputSchemaError

D = dt.date


def test_portfolio_returns_are_the_mean_of_the_members_that_exist() -> None:
    returns = pl.DataFrame(
        {
            "ticker": ["A", "A", "B", "B", "C", "C"],
            "date": [D(2025, 1, 2), D(2025, 1, 3)] * 3,
            "ret": [0.01, 0.02, 0.03, float("nan"), -0.05, 0.04],
        }
    )
    members = pl.DataFrame({"portfolio": ["p", "p", "q"], "ticker": ["A", "B", "C"]})
    out = portfolio_returns(returns, members)
    got = {(r["ticker"], r["date"]): (r["ret"], r["n"]) for r in out.iter_rows(named=True)}
    assert got[("p", D(2025, 1, 2))] == (pytest.approx((0.01 + 0.03) / 2), 2)
    assert got[("p", D(2025, 1, 3))] == (pytest.approx(0.02), 1)  # B's NaN is missing
    assert got[("q", D(2025, 1, 3))] == (pytest.approx(0.04), 1)
    assert len(got) == 4


def test_portfolio_returns_name_a_missing_column() -> None:
    with pytest.raises(InputSchemaError, match="members lacks the column"):
        portfolio_returns(pl.DataFrame({"ticker": [], "date": [], "ret": []}), pl.DataFrame())


def test_calendar_time_t_by_hand() -> None:
    car = [0.03, -0.01, 0.02, None]
    var = [0.0004, 0.0009, 0.0001, 0.0004]
    dof = [248.0, 120.0, 200.0, 50.0]
    out = calendar_time_test(car, var, dof, [3, 3, 3, 3])
    t = (0.03 - 0.01 + 0.02) / math.sqrt(0.0004 + 0.0009 + 0.0001)
    assert out.n_events == 3 and out.n_days == 9
    assert out.stat == pytest.approx(t)
    assert out.df == 120.0
    assert out.p == pytest.approx(2 * stats.t.sf(abs(t), 120))
    assert out.mean_car == pytest.approx(0.04 / 3)
    assert out.mean_daily_ar == pytest.approx(0.04 / 9)


def test_calendar_time_without_a_usable_portfolio() -> None:
    out = calendar_time_test([None, float("nan")], [0.1, 0.1], [10.0, 10.0], [1, 1])
    assert out.stat is None and out.n_events == 0 and out.note == "no event portfolio"
