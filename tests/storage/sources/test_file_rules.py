"""Hostile rows in price files: each is refused with its line and reason, and an import that
meets one leaves the store as it was (reliability issue: non-finite values, OHLC
inconsistencies, non-sessions, ticker symbols)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from events import nyse
from jobs.services import ingest
from storage.errors import ImportFileError
from storage.sources.base import check_ticker
from storage.sources.files import FileSource, check_problems, read_file
from storage.store import Store

HEADER = "date,ticker,open,high,low,close,adj_close,volume\n"
GOOD_ROW = "2025-11-03,AMZN,254.0,258.6,252.9,254.0,,95997800\n"
FIXED = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)

# (row at line 3 of the bad file, the exact "line N: reason" it must produce)
HOSTILE = [
    ("2025-11-04,AMZN,1,2,1,inf,,5", "line 3: close inf is not a finite number"),
    ("2025-11-04,AMZN,1,2,1,-inf,,5", "line 3: close -inf is not a finite number"),
    ("2025-11-04,AMZN,1,2,1,nan,,5", "line 3: close is missing"),
    ("2025-11-04,AMZN,1,2,1,NAN,,5", "line 3: close 'NAN' is not a number"),
    (
        "2025-11-04,AMZN,1,2,1,1e308,,5",
        "line 3: close 1e+308 is above the largest price accepted (10,000,000)",
    ),
    ("2025-11-04,AMZN,1,inf,1,1.5,,5", "line 3: high inf is not a finite number"),
    (
        "2025-11-04,AMZN,1,2,1,1.5,1e308,5",
        "line 3: adj_close 1e+308 is above the largest price accepted (10,000,000)",
    ),
    ("2025-11-04,AMZN,1,2,1,1.5,,-5", "line 3: volume -5.0 is negative"),
    ("2025-11-04,AMZN,1,2,1,1.5,,inf", "line 3: volume inf is not a finite number"),
    (
        "2025-11-04,AMZN,1,2,1,1.5,,1e14",
        "line 3: volume 100000000000000.0 is above the largest volume accepted "
        "(10,000,000,000,000)",
    ),
    ("2025-11-04,AMZN,1,2,1,2.5,,5", "line 3: close 2.5 is above high 2.0"),
    ("2025-11-04,AMZN,1,2,1,0.5,,5", "line 3: close 0.5 is below low 1.0"),
    ("2025-11-04,AMZN,3,2,1,1.5,,5", "line 3: open 3.0 is above high 2.0"),
    ("2025-11-04,AMZN,0.5,2,1,1.5,,5", "line 3: open 0.5 is below low 1.0"),
    ("2025-11-01,AMZN,1,2,1,1.5,,5", "line 3: 2025-11-01 is a Saturday, not a trading session"),
    ("2025-11-02,AMZN,1,2,1,1.5,,5", "line 3: 2025-11-02 is a Sunday, not a trading session"),
    (
        "2025-11-04,x'; drop table prices; --,1,2,1,1.5,,5",
        "line 3: ticker \"x'; drop table prices; --\" is not a ticker symbol: ' ', \"'\", ';' "
        "are not allowed; use 1-20 letters A-Z, digits 0-9, '.', '-', '=' and a leading '^' "
        "(e.g. 'AMZN', 'BRK-B', 'BF.B', '^GSPC', 'EURUSD=X')",
    ),
    ("2025-11-04,   ,1,2,1,1.5,,5", "line 3: ticker is missing"),
]
HOSTILE_IDS = [
    "inf-close",
    "minus-inf-close",
    "nan-close",
    "NAN-close",
    "1e308-close",
    "inf-high",
    "1e308-adj-close",
    "negative-volume",
    "inf-volume",
    "absurd-volume",
    "close-above-high",
    "close-below-low",
    "open-above-high",
    "open-below-low",
    "saturday",
    "sunday",
    "sql-in-ticker",
    "blank-ticker",
]


def _write(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r if r.endswith("\n") else r + "\n" for r in rows))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store that already holds AMZN on 2025-10-31."""
    s = Store(tmp_path / "s.duckdb", clock=lambda: FIXED)
    with s.open(write=True) as db:
        ingest.import_price_files(
            db,
            [_write(tmp_path / "old.csv", "2025-10-31,AMZN,250.1,250.5,243.98,244.22,,166275600")],
        )
    return s


@pytest.mark.parametrize(("row", "expected"), HOSTILE, ids=HOSTILE_IDS)
def test_hostile_row_is_refused_with_line_and_reason(
    tmp_path: Path, row: str, expected: str
) -> None:
    parsed = read_file(_write(tmp_path / "bad.csv", GOOD_ROW, row))
    assert [f"line {line}: {why}" for line, why in parsed.problems] == [expected]
    assert parsed.prices.height == 1  # the good row stays loadable with --skip-bad-rows
    with pytest.raises(ImportFileError, match=r"bad\.csv: 1 row\(s\) cannot be loaded") as info:
        check_problems(parsed, skip_bad_rows=False)
    assert f"({expected})" in str(info.value)


@pytest.mark.parametrize(("row", "expected"), HOSTILE, ids=HOSTILE_IDS)
def test_hostile_row_leaves_the_store_unchanged(
    store: Store, tmp_path: Path, row: str, expected: str
) -> None:
    newer = _write(tmp_path / "newer.csv", "2025-11-05,AMZN,250.0,251.0,249.0,250.5,,1000")
    bad = _write(tmp_path / "bad.csv", GOOD_ROW, row)
    with store.open(write=True) as db:
        before = db.market.prices()
        with pytest.raises(ImportFileError) as info:
            ingest.import_price_files(db, [newer, bad])
    assert expected in str(info.value)
    with store.open() as db:
        assert db.market.prices().equals(before)


def test_several_hostile_rows_are_all_listed(tmp_path: Path) -> None:
    rows = [row for row, _ in HOSTILE]
    parsed = read_file(_write(tmp_path / "bad.csv", GOOD_ROW, *rows))
    # every row lands one line further down than in HOSTILE (line 3 + its index)
    want = [
        (3 + i, text.split(": ", 1)[1])
        for i, (_, text) in enumerate(HOSTILE)
        if "ticker" not in text
    ]
    got = [(line, why) for line, why in parsed.problems if "ticker" not in why]
    assert got == want
    with pytest.raises(ImportFileError) as info:
        check_problems(parsed, skip_bad_rows=False)
    message = str(info.value)
    assert f"{len(HOSTILE)} row(s) cannot be loaded" in message
    assert f"; and {len(HOSTILE) - 10} more)" in message


# -- sessions ----------------------------------------------------------------------------

# NYSE closed on Thanksgiving (2025-11-27) and Christmas (2025-12-25), both weekdays
BUSINESS_DAYS = [
    "2025-11-26,AMZN,229.0,230.0,228.0,229.5,,100",
    "2025-11-27,AMZN,229.0,230.0,228.0,229.5,,100",
    "2025-11-28,AMZN,229.0,230.0,228.0,229.5,,100",
    "2025-12-24,AMZN,229.0,230.0,228.0,229.5,,100",
    "2025-12-25,AMZN,229.0,230.0,228.0,229.5,,100",
    "2025-12-25,MSFT,480.0,485.0,478.0,483.0,,100",
]


def test_weekday_holidays_are_refused_and_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "vendor.csv", *BUSINESS_DAYS)
    parsed = read_file(path, sessions=nyse().sessions)
    closed = "is not a trading session (a weekday the exchange was closed)"
    assert parsed.problems == [
        (3, f"2025-11-27 {closed}"),
        (6, f"2025-12-25 {closed}"),
        (7, f"2025-12-25 {closed}"),
    ]
    assert parsed.holidays == [dt.date(2025, 11, 27), dt.date(2025, 12, 25)]
    with pytest.raises(ImportFileError) as info:
        check_problems(parsed, skip_bad_rows=False)
    assert (
        "Rows fall on 2 weekday(s) when the exchange was closed: 2025-11-27, 2025-12-25; "
        "the file seems built on plain business days rather than trading sessions: delete "
        "the rows on those dates. Nothing was imported from this file"
    ) in str(info.value)
    # --skip-bad-rows loads the sessions and still reports the three rows
    check_problems(parsed, skip_bad_rows=True)
    assert parsed.prices.get_column("date").to_list() == [
        dt.date(2025, 11, 26),
        dt.date(2025, 11, 28),
        dt.date(2025, 12, 24),
    ]


def test_without_sessions_only_weekends_are_checked(tmp_path: Path) -> None:
    parsed = read_file(_write(tmp_path / "vendor.csv", *BUSINESS_DAYS))
    assert parsed.problems == []
    assert parsed.prices.height == len(BUSINESS_DAYS)


def test_many_holidays_are_cut_after_ten(tmp_path: Path) -> None:
    # every weekday of 2024-2025 the exchange was closed, from a plain business-day file
    cal = nyse()
    days = pl.date_range(dt.date(2024, 1, 1), dt.date(2025, 12, 31), eager=True)
    weekdays = [d for d in days.to_list() if d.weekday() < 5]
    holidays = [d for d in weekdays if not cal.is_session(d)]
    assert len(holidays) > 10
    rows = [f"{d},AMZN,1,2,1,1.5,,5" for d in weekdays]
    parsed = read_file(_write(tmp_path / "vendor.csv", *rows), sessions=cal.sessions)
    assert parsed.holidays == holidays
    with pytest.raises(ImportFileError) as info:
        check_problems(parsed, skip_bad_rows=False)
    first_ten = ", ".join(str(d) for d in holidays[:10])
    assert (
        f"Rows fall on {len(holidays)} weekday(s) when the exchange was closed: {first_ten} "
        f"and {len(holidays) - 10} more;"
    ) in str(info.value)


def test_sessions_accept_dates_and_series(tmp_path: Path) -> None:
    path = _write(tmp_path / "vendor.csv", *BUSINESS_DAYS)
    sessions = nyse().sessions_in_range(dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    as_list = read_file(path, sessions=sessions)
    as_series = read_file(path, sessions=pl.Series(sessions))
    assert (
        as_list.problems == as_series.problems == read_file(path, sessions=nyse().sessions).problems
    )
    # a date outside the sessions given is checked for weekends only
    later = _write(tmp_path / "later.csv", "2026-01-01,AMZN,1,2,1,1.5,,5")
    assert read_file(later, sessions=sessions).problems == []


def test_holiday_file_leaves_the_store_unchanged(store: Store, tmp_path: Path) -> None:
    # the import service passes the NYSE sessions to read_file itself
    with store.open(write=True) as db:
        before = db.market.prices()
        with pytest.raises(ImportFileError, match="2025-11-27, 2025-12-25"):
            ingest.import_price_files(db, [_write(tmp_path / "vendor.csv", *BUSINESS_DAYS)])
    with store.open() as db:
        assert db.market.prices().equals(before)


def test_file_source_passes_sessions_on(tmp_path: Path) -> None:
    _write(tmp_path / "vendor.csv", *BUSINESS_DAYS)
    source = FileSource(tmp_path, sessions=nyse().sessions)
    batch = source.fetch_daily("AMZN", dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    assert dt.date(2025, 11, 27) not in batch.prices.get_column("date").to_list()
    assert [line for line, _ in source.problems[str(tmp_path / "vendor.csv")]] == [3, 6, 7]


# -- tickers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "symbol"),
    [
        ("AMZN", "AMZN"),
        (" brk-b ", "BRK-B"),
        ("bf.b", "BF.B"),
        ("^GSPC", "^GSPC"),
        ("EURUSD=X", "EURUSD=X"),
        ("RDS-A", "RDS-A"),
        ("0700.HK", "0700.HK"),
    ],
)
def test_yahoo_symbols_are_tickers(tmp_path: Path, value: str, symbol: str) -> None:
    assert check_ticker(value) == symbol
    parsed = read_file(_write(tmp_path / "p.csv", f"2025-11-04,{value},1,2,1,1.5,,5"))
    assert parsed.problems == []
    assert parsed.prices.item(0, "ticker") == symbol


@pytest.mark.parametrize(
    "value",
    ["x'; drop table prices; --", "", "^", "-AMZN", "AM ZN", "A" * 21, "AMZN;", "ÄMZN", "AM\nZN"],
)
def test_non_symbols_are_refused_with_a_sentence(value: str) -> None:
    with pytest.raises(ValueError, match=r"is not a ticker symbol: .*; use 1-20 letters A-Z"):
        check_ticker(value)


def test_file_name_and_given_tickers_follow_the_rule(tmp_path: Path) -> None:
    yahoo = "Date,Open,High,Low,Close,Adj Close,Volume\n2025-11-04,1,2,1,1.5,1.5,5\n"
    (tmp_path / "^GSPC.csv").write_text(yahoo)
    assert read_file(tmp_path / "^GSPC.csv").prices.item(0, "ticker") == "^GSPC"
    (tmp_path / "my prices.csv").write_text(yahoo)
    with pytest.raises(
        ImportFileError,
        match=r"my prices\.csv: the file name does not start with a ticker: 'my prices' is not a "
        r"ticker symbol: .*; name the file after its ticker \(e\.g\. AMZN\.csv\) or give the "
        r"ticker \(--ticker\)",
    ):
        read_file(tmp_path / "my prices.csv")
    assert read_file(tmp_path / "my prices.csv", ticker=" msft ").prices.item(0, "ticker") == "MSFT"
    with pytest.raises(ImportFileError, match=r"the ticker given is not usable: 'DROP;' is not"):
        read_file(tmp_path / "my prices.csv", ticker="DROP;")
    with pytest.raises(ImportFileError, match=r"the ticker given is not usable"):
        read_file(_write(tmp_path / "long.csv", GOOD_ROW), ticker="a b")


def test_ticker_filter_compares_normalised_symbols(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "p.csv",
        GOOD_ROW,
        "2025-11-04, amzn ,1,2,1,1.5,,5",
        "2025-11-04,MSFT,1,2,1,1.5,,5",
    )
    parsed = read_file(path, ticker="Amzn")
    assert parsed.rows_read == 2
    assert parsed.prices.get_column("ticker").to_list() == ["AMZN", "AMZN"]


# -- dividends and splits ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2025-11-20,MSFT,inf", "line 2: dividend 'inf' is not a finite number"),
        ("2025-11-20,MSFT,-1", "line 2: dividend '-1' is not a positive number"),
        ("2025-11-20,MSFT,", "line 2: dividend is missing"),
        (
            "2025-11-20,MSFT,1e308",
            "line 2: dividend 1e+308 is above the largest price accepted (10,000,000)",
        ),
        ("2025-11-22,MSFT,0.91", "line 2: 2025-11-22 is a Saturday, not a trading session"),
    ],
    ids=["inf", "negative", "missing", "absurd", "saturday"],
)
def test_hostile_dividends(tmp_path: Path, row: str, expected: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"date,ticker,dividend\n{row}\n")
    parsed = read_file(path)
    assert [f"line {line}: {why}" for line, why in parsed.problems] == [expected]
    assert parsed.actions.height == 0
