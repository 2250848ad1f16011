"""Price files: each layout, and each rejection with its line and reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from storage.errors import ImportFileError, NoPriceDataError, UnknownLayoutError
from storage.sources.files import FileSource, check_problems, read_file

LONG = """date,ticker,open,high,low,close,adj_close,volume
2025-10-30,AMZN,227.0,228.4,221.0,222.86,,102252900
2025-10-31,amzn,250.1,250.5,243.98,244.22,,166275600
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_long_layout(tmp_path: Path) -> None:
    parsed = read_file(_write(tmp_path, "p.csv", LONG))
    assert parsed.layout == "long"
    assert parsed.problems == []
    row = parsed.prices.row(1, named=True)
    assert row == {
        "ticker": "AMZN",
        "date": dt.date(2025, 10, 31),
        "open": 250.1,
        "high": 250.5,
        "low": 243.98,
        "close": 244.22,
        "adj_close": None,
        "volume": 166275600,
    }


def test_yahoo_layout_takes_ticker_from_file_name(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n2021-02-17,241.3,244.31,240.94,244.199997,236.118362,21451600\n"
    parsed = read_file(_write(tmp_path, "MSFT.csv", text))
    assert parsed.layout == "yahoo"
    assert parsed.prices.select("ticker", "close", "adj_close").row(0) == (
        "MSFT",
        244.199997,
        236.118362,
    )
    assert read_file(tmp_path / "MSFT.csv", ticker="msft2").prices.item(0, "ticker") == "MSFT2"


def test_parquet_and_dividends(tmp_path: Path) -> None:
    frame = read_file(_write(tmp_path, "p.csv", LONG)).prices
    frame.write_parquet(tmp_path / "p.parquet")
    assert read_file(tmp_path / "p.parquet").prices.equals(frame)
    divs = read_file(_write(tmp_path, "d.csv", "date,ticker,dividend\n2025-11-20,MSFT,0.91\n"))
    assert divs.layout == "dividends"
    assert divs.actions.row(0) == ("MSFT", dt.date(2025, 11, 20), "dividend", 0.91)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2025-11-03,AMZN,1,2,1,,,5", "line 4: close is missing"),
        ("2025-11-03,AMZN,1,2,1,-3,,5", "line 4: close -3.0 is not positive"),
        ("2025-11-03,AMZN,1,2,1,0,,5", "line 4: close 0.0 is not positive"),
        ("2025-11-03,AMZN,1,2,1,abc,,5", "line 4: close 'abc' is not a number"),
        ("2025-11-03,AMZN,1,1,2,1.5,,5", "line 4: high 1.0 is below low 2.0"),
        ("2025-11-31,AMZN,1,2,1,1.5,,5", "line 4: date '2025-11-31' is not a date"),
        ("2025-10-31,AMZN,1,2,1,1.5,,5", "line 4: duplicate of line 3 (same ticker and date)"),
    ],
    ids=[
        "missing-close",
        "negative-close",
        "zero-close",
        "text-close",
        "high-below-low",
        "bad-date",
        "duplicate",
    ],
)
def test_rejections_name_line_and_reason(tmp_path: Path, row: str, reason: str) -> None:
    path = _write(tmp_path, "bad.csv", LONG + row + "\n")
    parsed = read_file(path)
    line, why = parsed.problems[0]
    assert f"line {line}: {why}".startswith(reason)
    assert parsed.prices.height == 2  # the good rows are still there for --skip-bad-rows
    with pytest.raises(ImportFileError, match=r"bad\.csv: 1 row\(s\) cannot be loaded") as info:
        check_problems(parsed, skip_bad_rows=False)
    assert "--skip-bad-rows" in str(info.value)
    check_problems(parsed, skip_bad_rows=True)


def test_unknown_layout_and_factor_file(tmp_path: Path) -> None:
    with pytest.raises(UnknownLayoutError, match="matches no known layout"):
        read_file(_write(tmp_path, "x.csv", "when,what\n1,2\n"))
    with pytest.raises(UnknownLayoutError, match="reaction factors import"):
        read_file(
            _write(tmp_path, "f.csv", "date,mkt_rf,smb,hml,rf\n2025-01-02,0.1,0.2,0.3,0.01\n")
        )
    with pytest.raises(ImportFileError, match="no such file"):
        read_file(tmp_path / "missing.csv")


def test_file_source_serves_a_folder(tmp_path: Path) -> None:
    _write(tmp_path, "a.csv", LONG)
    _write(
        tmp_path,
        "b.csv",
        "date,ticker,open,high,low,close,adj_close,volume\n2025-10-31,AMZN,244,246,243,245.0,,1\n",
    )
    source = FileSource(tmp_path)
    batch = source.fetch_daily("AMZN", dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert batch.prices.get_column("close").to_list() == [222.86, 245.0]  # the later file wins
    assert source.tickers() == ["AMZN"]
    with pytest.raises(NoPriceDataError, match="no prices for NVDA"):
        source.fetch_daily("NVDA", dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert isinstance(batch.prices, pl.DataFrame)
