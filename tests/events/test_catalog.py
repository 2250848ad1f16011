"""Catalog files: valid entries load; invalid ones name the file, the entry and the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from events import (
    CatalogFileError,
    Event,
    EventValidationError,
    load_catalog,
    read_event_csv,
    seed_catalog,
)

GOOD = """
[[event]]
id = "amzn-q3-2025"
title = "Amazon Q3"
category = "earnings"
announced = 2025-10-30
timing = "after_close"
tickers = ["amzn", "MSFT"]
source = "press"
tags = ["x"]

[[event]]
id = "aws-deal"
title = "OpenAI-AWS"
category = "deal"
announced = 2025-11-03T07:30:00-05:00
tickers = ["AMZN"]
"""


def _write(tmp_path: Path, text: str, name: str = "cat.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_good_catalog(tmp_path: Path) -> None:
    events = load_catalog(_write(tmp_path, GOOD))
    assert [e.id for e in events] == ["amzn-q3-2025", "aws-deal"]
    assert events[0].tickers == ("AMZN", "MSFT")
    assert events[0].primary_ticker == "AMZN"
    assert events[1].timing == "before_open"  # derived from 07:30 New York
    assert events[1].announced_date == dt.date(2025, 11, 3)


@pytest.mark.parametrize(
    ("replace", "by", "match"),
    [
        ('category = "deal"', 'category = "merger"', r"event #2 \('aws-deal'\): field 'category'"),
        ('tickers = ["AMZN"]\n', "tickers = []\n", r"event #2 \('aws-deal'\): field 'tickers'"),
        ('id = "aws-deal"', 'id = "AWS Deal"', r"field 'id': 'AWS Deal' is not a valid id"),
        ("2025-11-03T07:30:00-05:00", "2025-11-03T07:30:00", r"needs a UTC offset"),
        (
            'tickers = ["AMZN"]\n',
            'tickers = ["AMZN"]\ntiming = "after_close"\n',
            r"'after_close' disagrees with the announcement time 07:30",
        ),
        (
            'title = "Amazon Q3"',
            'title = "Amazon Q3"\ncolour = "red"',
            r"event #1 \('amzn-q3-2025'\): field 'colour'",
        ),
        ('id = "aws-deal"', 'id = "amzn-q3-2025"', r"already used by event #1"),
        ('tickers = ["amzn", "MSFT"]', 'tickers = ["AMZN", "amzn"]', r"listed twice"),
    ],
    ids=[
        "category",
        "no-tickers",
        "bad-id",
        "naive-datetime",
        "timing-conflict",
        "extra-field",
        "dup-id",
        "dup-ticker",
    ],
)
def test_invalid_entries_name_file_entry_field(
    tmp_path: Path, replace: str, by: str, match: str
) -> None:
    assert replace in GOOD
    path = _write(tmp_path, GOOD.replace(replace, by, 1))
    with pytest.raises(EventValidationError, match=match) as info:
        load_catalog(path)
    assert str(path) in str(info.value)


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="is not valid TOML"):
        load_catalog(_write(tmp_path, "[[event]\n"))
    with pytest.raises(CatalogFileError, match="cannot read catalog"):
        load_catalog(tmp_path / "nope.toml")


def test_seed_catalog() -> None:
    events = seed_catalog()
    assert len(events) == 14
    by_id = {e.id: e for e in events}
    assert by_id["openai-aws"].tickers[0] == "AMZN"
    assert "confounded" in by_id["orcl-q1fy26"].tags
    assert by_id["crwv-openai"].timing == "unknown"
    assert all(e.source for e in events)


def test_event_csv(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "ticker,date,timing\nmsft,2025-10-29,after_close\nAMZN,2025-10-30,\n", "e.csv"
    )
    events = read_event_csv(path)
    assert [(e.id, e.timing) for e in events] == [
        ("msft-earnings-2025-10-29", "after_close"),
        ("amzn-earnings-2025-10-30", "unknown"),
    ]
    Event.model_validate(events[0].model_dump())  # constructed rows are valid events


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ticker,date\nAMZN,2025-13-01\n", r"line 2: column 'date': '2025-13-01' is not a date"),
        ("ticker,date\nAMZN,2025-10-01\n,2025-10-02\n", r"line 3: column 'ticker'"),
        ("ticker,date,timing\nAMZN,2025-10-01,evening\n", r"line 2: column 'timing': 'evening'"),
    ],
)
def test_event_csv_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(EventValidationError, match=match):
        read_event_csv(_write(tmp_path, text, "e.csv"))
    with pytest.raises(
        CatalogFileError,
        match=r"must contain 'ticker' and a date column \('date', 'event_date', 'filing_date', "
        r"'announced'\)",
    ):
        read_event_csv(_write(tmp_path, "symbol,day\nA,2020-01-01\n", "h.csv"))


@pytest.mark.parametrize("column", ["date", "event_date", "filing_date", "announced", "Event_Date"])
def test_event_csv_date_column_names(tmp_path: Path, column: str) -> None:
    events = read_event_csv(_write(tmp_path, f"ticker,{column}\nAMZN,2025-10-30\n", "d.csv"))
    assert [(e.id, e.announced) for e in events] == [
        ("amzn-earnings-2025-10-30", dt.date(2025, 10, 30))
    ]


def test_event_csv_bad_date_names_its_column(tmp_path: Path) -> None:
    with pytest.raises(EventValidationError, match="line 2: column 'filing_date': '10/30/2025'"):
        read_event_csv(_write(tmp_path, "ticker,filing_date\nAMZN,10/30/2025\n", "d.csv"))


def test_event_csv_file_wide_timing_fills_only_empty_cells(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "ticker,date,timing\nmsft,2025-10-29,before_open\nAMZN,2025-10-30,\n", "t.csv"
    )
    events = read_event_csv(path, timing="after_close")
    assert [e.timing for e in events] == ["before_open", "after_close"]
    no_column = _write(tmp_path, "ticker,date\nAMZN,2025-10-30\n", "u.csv")
    assert [e.timing for e in read_event_csv(no_column, timing="intraday")] == ["intraday"]
    with pytest.raises(CatalogFileError, match="timing 'evening' is not one of"):
        read_event_csv(no_column, timing="evening")


@pytest.mark.shared_data
def test_earnings_dates_import(shared_data: Path) -> None:
    events = read_event_csv(shared_data / "earnings_dates.csv")
    assert len(events) == 36845
    ids = {e.id for e in events}
    assert "amzn-earnings-2025-10-30" in ids
    assert "nvda-earnings-2025-11-19" in ids


def test_scheduled_by_category_unless_the_catalog_says_otherwise(tmp_path: Path) -> None:
    """Earnings dates are known in advance; deals and layoffs are not; a catalog entry's
    ``scheduled`` overrides its category."""
    path = tmp_path / "s.toml"
    path.write_text(
        """
[[event]]
id = "e1"
title = "Q3 results"
category = "earnings"
announced = 2025-10-30
tickers = ["AMZN"]

[[event]]
id = "e2"
title = "Surprise pre-announcement"
category = "earnings"
announced = 2025-10-15
tickers = ["AMZN"]
scheduled = false

[[event]]
id = "d1"
title = "A deal"
category = "deal"
announced = 2025-11-03
tickers = ["AMZN"]

[[event]]
id = "l1"
title = "Layoffs"
category = "layoffs"
announced = 2025-10-28
tickers = ["AMZN"]

[[event]]
id = "m1"
title = "A product day announced months ahead"
category = "product"
announced = 2025-09-09
tickers = ["AAPL"]
scheduled = true
"""
    )
    known = {e.id: e.known_in_advance for e in load_catalog(path)}
    assert known == {"e1": True, "e2": False, "d1": False, "l1": False, "m1": True}
    with pytest.raises(ValidationError, match="scheduled"):
        Event(
            id="x",
            title="t",
            category="deal",
            announced=dt.date(2025, 1, 2),
            tickers=("A",),
            scheduled="maybe",  # type: ignore[arg-type]
        )
