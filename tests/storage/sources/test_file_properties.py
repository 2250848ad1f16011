"""Hypothesis properties of price-file validation.

* any finite, consistent row is accepted, with its values unchanged;
* any otherwise good row whose close is above its high is refused, naming both;
* the fast typed read and the text read (whose reasons quote cells) give the same numbers,
  and read_file gives what the text read gives, whatever the cells hold and however clean
  numbers are spelled;
* the ticker column follows :func:`storage.sources.base.check_ticker` exactly.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.sources import files
from storage.sources.base import PRICE_SCHEMA, check_ticker

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLUMNS = ["date", "ticker", "open", "high", "low", "close", "adj_close", "volume"]
START = dt.date(2025, 1, 6)  # a Monday


def _weekdays(n: int) -> list[dt.date]:
    out: list[dt.date] = []
    d = START
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


def _write(folder: Path, rows: list[dict[str, object]]) -> Path:
    """``rows`` as a long CSV; cells are written with ``str`` (Python's shortest float repr)."""
    path = folder / "p.csv"
    frame = pl.DataFrame(
        {c: ["" if r.get(c) is None else str(r[c]) for r in rows] for c in COLUMNS},
        schema=dict.fromkeys(COLUMNS, pl.String),
    )
    frame.write_csv(path)
    return path


prices = st.floats(min_value=0.0001, max_value=files.MAX_PRICE, allow_nan=False)


@st.composite
def consistent_bar(draw: st.DrawFn) -> dict[str, object]:
    a, b = draw(prices), draw(prices)
    low, high = min(a, b), max(a, b)

    def inside() -> float:
        share = draw(st.floats(0.0, 1.0))
        return min(max(low + share * (high - low), low), high)

    return {
        "ticker": "AMZN",
        "open": draw(st.one_of(st.none(), st.just(low), st.just(high))) or inside(),
        "high": high,
        "low": low,
        "close": inside(),
        "adj_close": draw(st.one_of(st.none(), prices)),
        "volume": draw(st.one_of(st.none(), st.integers(0, int(files.MAX_VOLUME)))),
    }


@SETTINGS
@given(bars=st.lists(consistent_bar(), min_size=1, max_size=30))
def test_any_finite_consistent_row_is_accepted(folder: Path, bars: list[dict[str, object]]) -> None:
    rows = [{**bar, "date": day} for bar, day in zip(bars, _weekdays(len(bars)), strict=True)]
    parsed = files.read_file(_write(folder, rows))
    assert parsed.problems == []
    expected = pl.DataFrame(rows, schema=PRICE_SCHEMA).select(list(PRICE_SCHEMA))
    assert parsed.prices.equals(expected)


@SETTINGS
@given(bar=consistent_bar(), excess=st.floats(1e-9, 10.0))
def test_any_row_with_close_above_high_is_rejected(
    folder: Path, bar: dict[str, object], excess: float
) -> None:
    high = float(str(bar["high"]))
    close = min(high * (1 + excess), files.MAX_PRICE)
    if close <= high:  # the high is at the price bound: nothing above it is accepted anyway
        return
    path = _write(folder, [{**bar, "date": START, "close": close}])
    parsed = files.read_file(path)
    assert len(parsed.problems) == 1
    line, reason = parsed.problems[0]
    found = re.fullmatch(r"close (\S+) is above high (\S+)", reason)
    assert line == 2
    assert found is not None, reason
    assert (float(found[1]), float(found[2])) == (close, high)
    assert parsed.prices.height == 0


# cells a vendor file might hold, good and bad
numberish = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**15), 10**15).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "  1.5",
            "1.5 ",
            "+5",
            ".5",
            "5.",
            "1e",
            "1_000",
            "1,5",
            "0x10",
            "NaN",
            "nan",
            "NAN",
            "inf",
            "-Infinity",
            "N/A",
            "None",
            "abc",
            "١",
        ]
    ),
    st.text(alphabet="0123456789+-.eEinfa xN", max_size=8),
)
dates = st.one_of(
    st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)).map(str),
    st.sampled_from(["", "2025-11-31", "2025/11/03", "2025-11-03 00:00:00", " 2025-11-03", "x"]),
)
tickers = st.one_of(
    st.sampled_from(["AMZN", "amzn", " msft ", "^GSPC", "", "x'; drop", "BRK-B"]),
    st.text(alphabet="abcAB09.^=- '\t", max_size=5),
)


@st.composite
def messy_rows(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(1, 12))
    return [
        {
            "date": draw(dates),
            "ticker": draw(tickers),
            **{c: draw(numberish) for c in ("open", "high", "low", "close", "adj_close", "volume")},
        }
        for _ in range(n)
    ]


def _text_read(path: Path, sessions: pl.Series | None) -> files.ParsedFile:
    """What read_file gives when it takes the text path (the path that quotes cells)."""
    header = files._header(path)
    layout = files._layout(path, header)
    names = files._columns(header, layout)
    rules = files._Rules(layout, None, None, sessions)
    parsed = files._parse(path, files._read(path, names, typed=False), rules, text=True)
    assert parsed is not None
    return parsed


@SETTINGS
@given(rows=messy_rows(), with_sessions=st.booleans())
def test_typed_and_text_reads_agree(
    folder: Path, rows: list[dict[str, object]], with_sessions: bool
) -> None:
    path = _write(folder, rows)
    sessions = (
        pl.Series([d for d in _weekdays(600) if d != dt.date(2025, 11, 27)])
        if with_sessions
        else None
    )
    fast = files.read_file(path, sessions=sessions)
    slow = _text_read(path, sessions)
    assert fast.problems == slow.problems
    assert fast.holidays == slow.holidays
    assert fast.rows_read == slow.rows_read == len(rows)
    assert fast.prices.equals(slow.prices)
    for c in ("open", "high", "low", "close", "adj_close"):
        assert all(v is None or math.isfinite(v) for v in fast.prices.get_column(c).to_list())


symbols = st.text(
    alphabet=st.sampled_from("aAzZ09.^=-_ '\t;,\"ßı\xa0\x1cÄ"), min_size=0, max_size=22
).filter(lambda s: s.strip() not in files._MISSING)


@SETTINGS
@given(value=symbols)
def test_ticker_column_follows_check_ticker(folder: Path, value: str) -> None:
    path = _write(
        folder,
        [{"date": START, "ticker": value, "open": 1, "high": 2, "low": 1, "close": 1.5}],
    )
    parsed = files.read_file(path)
    symbol, refusal = _checked(value)
    if symbol is None:
        assert parsed.prices.height == 0
        assert parsed.problems in ([(2, f"ticker {refusal}")], [(2, "ticker is missing")])
    else:
        assert parsed.problems == []
        assert parsed.prices.item(0, "ticker") == symbol


def _checked(value: str) -> tuple[str | None, str]:
    try:
        return check_ticker(value), ""
    except ValueError as exc:
        return None, str(exc)


@SETTINGS
@given(rows=messy_rows())
def test_typed_numbers_equal_text_numbers(folder: Path, rows: list[dict[str, object]]) -> None:
    path = _write(folder, rows)
    names = files._columns(files._header(path), "long")
    try:
        typed = files._read(path, names, typed=True)
    except pl.exceptions.PolarsError:
        return  # some cell is not a number: read_file takes the text path
    numbers = ["open", "high", "low", "close", "adj_close", "volume"]
    text = files._numbers(files._read(path, names, typed=False), numbers, text=True)
    for c in numbers:
        assert typed.get_column(c).equals(text.get_column(f"_{c}"), check_names=False), c


formats = st.sampled_from(["{}", " {}", "+{}", "{}e0", '"{}"', "{:.17g}"])


@st.composite
def formatted_bar(draw: st.DrawFn) -> dict[str, object]:
    """A consistent bar whose cells are spelled in the ways vendors spell numbers."""
    bar = draw(consistent_bar())
    out: dict[str, object] = {"ticker": draw(st.sampled_from(["AMZN", " amzn", "Amzn "]))}
    for c in ("open", "high", "low", "close", "adj_close", "volume"):
        value = bar[c]
        if value is None:
            out[c] = draw(st.sampled_from(["", " ", "NA", "null"]))
        else:
            out[c] = draw(formats).format(value)
    return out


@SETTINGS
@given(bars=st.lists(formatted_bar(), min_size=1, max_size=20))
def test_clean_files_read_alike_by_both_paths(folder: Path, bars: list[dict[str, object]]) -> None:
    rows = [{**bar, "date": day} for bar, day in zip(bars, _weekdays(len(bars)), strict=True)]
    path = folder / "formatted.csv"
    # written by hand: write_csv would quote the quoted cells once more
    lines = [",".join(COLUMNS)] + [",".join(str(r.get(c, "")) for c in COLUMNS) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    fast = files.read_file(path)
    slow = _text_read(path, None)
    assert fast.problems == slow.problems == []
    assert fast.prices.equals(slow.prices)
