"""total_returns: basis rule, dividends, splits ignored, order, errors, the real files."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest import InputSchemaError, total_returns

D = [dt.date(2024, 1, d) for d in (2, 3, 4, 5, 8)]


def _prices(rows: list[tuple[str, dt.date, float, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"ticker": pl.String, "date": pl.Date, "close": pl.Float64, "adj_close": pl.Float64},
        orient="row",
    )


def test_close_plus_dividends_when_adj_close_is_missing_anywhere() -> None:
    prices = _prices(
        [
            ("X", D[0], 100.0, None),
            ("X", D[1], 102.0, None),
            ("X", D[2], 99.0, None),
            ("X", D[3], 99.0, 99.5),  # one adjusted value is not enough
        ]
    )
    actions = pl.DataFrame(
        {
            "ticker": ["X", "X", "X"],
            "date": [D[2], D[2], D[3]],
            "kind": ["dividend", "dividend", "split"],
            "value": [0.5, 0.25, 2.0],
        }
    )
    out = total_returns(prices, actions)
    assert out.columns == ["ticker", "date", "ret", "log_ret", "basis"]
    assert out.get_column("date").to_list() == D[1:4]
    expected = [102.0 / 100.0 - 1, (99.0 + 0.75) / 102.0 - 1, 99.0 / 99.0 - 1]
    assert out.get_column("ret").to_list() == pytest.approx(expected, abs=1e-15)
    assert out.get_column("log_ret").to_list() == pytest.approx(
        [math.log(1 + r) for r in expected], abs=1e-15
    )
    assert set(out.get_column("basis")) == {"close+dividends"}


def test_adj_close_when_every_row_has_it() -> None:
    prices = _prices([("A", D[0], 10.0, 9.0), ("A", D[1], 11.0, 9.9), ("A", D[2], 10.0, 9.0)])
    actions = pl.DataFrame({"ticker": ["A"], "date": [D[1]], "kind": ["dividend"], "value": [5.0]})
    out = total_returns(prices, actions)
    assert out.get_column("ret").to_list() == pytest.approx([9.9 / 9.0 - 1, 9.0 / 9.9 - 1])
    assert set(out.get_column("basis")) == {"adj_close"}


def test_basis_is_per_ticker_and_output_is_sorted_whatever_the_input_order() -> None:
    prices = _prices(
        [
            ("B", D[1], 21.0, None),
            ("A", D[1], 11.0, 5.5),
            ("B", D[0], 20.0, None),
            ("A", D[0], 10.0, 5.0),
        ]
    )
    out = total_returns(prices)
    assert out.select("ticker", "date", "basis").rows() == [
        ("A", D[1], "adj_close"),
        ("B", D[1], "close+dividends"),
    ]
    assert out.get_column("ret").to_list() == pytest.approx([0.1, 0.05])
    shuffled = total_returns(prices.reverse())
    assert shuffled.equals(out)


def test_missing_adj_close_column_and_extra_columns() -> None:
    prices = pl.DataFrame(
        {"ticker": ["A", "A"], "date": D[:2], "close": [4.0, 5.0], "volume": [1, 2]}
    )
    out = total_returns(prices)
    assert out.get_column("ret").to_list() == [0.25]
    assert out.get_column("basis").to_list() == ["close+dividends"]


def test_undefined_returns_are_left_out_and_total_loss_has_no_log() -> None:
    prices = _prices([("A", D[0], 10.0, None), ("A", D[1], 0.0, None), ("A", D[2], 5.0, None)])
    out = total_returns(prices)
    # 10 -> 0 is not a positive close: both returns touching it are undefined
    assert out.height == 0
    prices = pl.DataFrame(
        {"ticker": ["A", "A"], "date": D[:2], "close": [10.0, 10.0], "adj_close": [10.0, 10.0]}
    )
    assert total_returns(prices).get_column("ret").to_list() == [0.0]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"ticker": ["A"], "date": [D[0]]}), r"prices frame lacks column\(s\) close"),
        (
            pl.DataFrame({"ticker": ["A"], "date": ["2024-01-02"], "close": [1.0]}),
            r"prices.date must be pl.Date, got String; convert it with pl.col\('date'\).str.to_date\(\)",
        ),
        (
            pl.DataFrame({"ticker": ["A", "A"], "date": [D[0], D[0]], "close": [1.0, 2.0]}),
            r"prices has 2 rows with a duplicate \(ticker, date\)",
        ),
    ],
    ids=["missing-close", "string-date", "duplicate"],
)
def test_schema_errors(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(InputSchemaError, match=message) as info:
        total_returns(frame)
    assert info.value.frame == "prices"


def test_unknown_action_kind() -> None:
    prices = pl.DataFrame({"ticker": ["A", "A"], "date": D[:2], "close": [1.0, 2.0]})
    actions = pl.DataFrame({"ticker": ["A"], "date": [D[1]], "kind": ["spinoff"], "value": [1.0]})
    with pytest.raises(
        InputSchemaError, match=r"actions.kind has unknown value\(s\) \['spinoff'\]"
    ):
        total_returns(prices, actions)


@pytest.mark.shared_data
def test_real_files_msft_dividend_day(shared_data: Path) -> None:
    prices = pl.read_csv(
        shared_data / "prices_daily.csv",
        try_parse_dates=True,
        schema_overrides={"adj_close": pl.Float64},
    )
    divs = pl.read_csv(shared_data / "dividends.csv", try_parse_dates=True).select(
        "ticker", "date", pl.lit("dividend").alias("kind"), pl.col("dividend").alias("value")
    )
    out = total_returns(prices, divs)
    msft = out.filter(pl.col("ticker") == "MSFT").sort("date")
    row = msft.filter(pl.col("date") == dt.date(2025, 11, 20)).row(0, named=True)
    # PROVENANCE.md: MSFT closes 2025-11-19 / 11-20 and the $0.91 ex-dividend on 11-20
    close = (
        prices.filter(
            (pl.col("ticker") == "MSFT")
            & pl.col("date").is_in([dt.date(2025, 11, 19), dt.date(2025, 11, 20)])
        )
        .sort("date")["close"]
        .to_list()
    )
    assert row["ret"] == pytest.approx((close[1] + 0.91) / close[0] - 1, abs=1e-12)
    assert row["basis"] == "close+dividends"
    # AMZN +9.58% on 2025-10-31 (PROVENANCE.md), no dividends
    amzn = out.filter((pl.col("ticker") == "AMZN") & (pl.col("date") == dt.date(2025, 10, 31)))
    assert amzn.item(0, "ret") == pytest.approx(0.0958, abs=5e-5)
    # one row fewer per ticker than prices (the first has no return)
    assert out.height == prices.height - prices.get_column("ticker").n_unique()


def _slow_total_returns(
    prices: list[tuple[str, dt.date, float, float | None]],
    dividends: list[tuple[str, dt.date, float]],
) -> list[tuple[str, dt.date, float, float | None, str]]:
    """The docstring's rule, one ticker and one row at a time (the test's oracle)."""
    paid: dict[tuple[str, dt.date], float] = {}
    for t, d, v in dividends:
        paid[(t, d)] = paid.get((t, d), 0.0) + v
    out = []
    for ticker in sorted({r[0] for r in prices}):
        rows = sorted((r for r in prices if r[0] == ticker), key=lambda r: r[1])
        adj = all(r[3] is not None for r in rows)
        for before, now in itertools.pairwise(rows):
            if adj:
                a0, a1 = before[3], now[3]
                assert a0 is not None and a1 is not None
                ret = a1 / a0 - 1.0 if a0 > 0 and a1 > 0 else None
            else:
                c0, c1 = before[2], now[2]
                ret = (
                    (c1 + paid.get((ticker, now[1]), 0.0)) / c0 - 1.0 if c0 > 0 and c1 > 0 else None
                )
            if ret is None or not math.isfinite(ret):
                continue
            log = math.log(ret + 1.0) if ret > -1.0 else None
            out.append((ticker, now[1], ret, log, "adj_close" if adj else "close+dividends"))
    return out


_day = st.dates(dt.date(1950, 1, 1), dt.date(2060, 12, 31))  # either side of 1970


@settings(max_examples=60, deadline=None)
@given(
    panel=st.dictionaries(
        st.sampled_from(["A", "BB", "C", "ZZZ"]),
        st.tuples(
            st.lists(_day, min_size=1, max_size=12, unique=True),
            st.booleans(),  # adj_close on every row
            st.integers(0, 2**31),
        ),
        min_size=1,
    ),
    dividends=st.lists(
        st.tuples(st.sampled_from(["A", "BB", "C", "ZZZ", "NOPRICE"]), _day, st.floats(0.0, 5.0)),
        max_size=15,
    ),
    reverse=st.booleans(),
)
def test_matches_a_row_by_row_calculation(
    panel: dict[str, tuple[list[dt.date], bool, int]],
    dividends: list[tuple[str, dt.date, float]],
    reverse: bool,
) -> None:
    """Any panel (unsorted, dates before and after 1970, some closes not positive), any
    dividends (several on one day, on days or tickers without prices): the oracle's rows."""
    prices: list[tuple[str, dt.date, float, float | None]] = []
    for ticker, (days, adj, seed) in panel.items():
        for i, d in enumerate(days):
            close = float((seed >> (i % 24)) % 50) - 2.0  # a few zero or negative closes
            prices.append((ticker, d, close, close * 0.97 if adj else None))
    # dividends on price days too, so the join has matches
    dividends = dividends + [(t, d, 0.25) for t, d, _c, _a in prices[::3]]
    rows = prices[::-1] if reverse else prices
    actions = pl.DataFrame(
        [(t, d, "dividend", v) for t, d, v in dividends]
        + [("A", dt.date(2000, 1, 3), "split", 2.0)],
        schema={"ticker": pl.String, "date": pl.Date, "kind": pl.String, "value": pl.Float64},
        orient="row",
    )
    got = total_returns(_prices(rows), actions)
    want = _slow_total_returns(prices, dividends)
    assert got.select("ticker", "date").rows() == [(r[0], r[1]) for r in want]
    assert got.get_column("basis").to_list() == [r[4] for r in want]
    for (ret, log), w in zip(got.select("ret", "log_ret").rows(), want, strict=True):
        assert ret == pytest.approx(w[2], rel=1e-12, abs=1e-15)
        assert (log is None) == (w[3] is None)
        if log is not None:
            assert log == pytest.approx(w[3], rel=1e-12, abs=1e-15)
