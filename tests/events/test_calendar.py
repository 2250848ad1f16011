"""Day-0 resolution: table-driven, expected sessions from the NYSE calendar by hand.

Each row says why the answer is what it is; none is computed by the code under test.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Event, nyse, resolve_day0, seed_catalog
from events.calendar import resolve_many, shift_sessions
from events.errors import CalendarError

D = dt.date


def _event(announced: dt.date | str, timing: str | None = None) -> Event:
    data: dict[str, object] = {
        "id": "x",
        "title": "t",
        "category": "other",
        "tickers": ["AMZN"],
        "announced": dt.datetime.fromisoformat(announced)
        if isinstance(announced, str)
        else announced,
    }
    if timing is not None:
        data["timing"] = timing
    return Event.model_validate(data)


CASES = [
    # (announced, timing, expected day0, expected rule, why)
    (
        D(2025, 11, 1),
        "before_open",
        D(2025, 11, 3),
        "next_session_closed_day",
        "Saturday -> Monday",
    ),
    (
        D(2025, 11, 1),
        "after_close",
        D(2025, 11, 3),
        "next_session_closed_day",
        "Saturday evening -> Monday",
    ),
    (D(2025, 11, 2), "unknown", D(2025, 11, 3), "assumed_next_session", "Sunday, unknown timing"),
    (
        D(2025, 9, 1),
        "intraday",
        D(2025, 9, 2),
        "next_session_closed_day",
        "Labor Day (Monday holiday)",
    ),
    (D(2026, 1, 19), "before_open", D(2026, 1, 20), "next_session_closed_day", "MLK day 2026"),
    (
        D(2025, 10, 31),
        "after_close",
        D(2025, 11, 3),
        "next_session_after_close",
        "Friday after the close -> Monday",
    ),
    (D(2025, 10, 30), "after_close", D(2025, 10, 31), "next_session_after_close", "AMZN Q3"),
    (D(2025, 10, 30), "before_open", D(2025, 10, 30), "same_session", "pre-market"),
    (D(2025, 10, 30), "intraday", D(2025, 10, 30), "same_session", "during the session"),
    (
        D(2025, 10, 30),
        "unknown",
        D(2025, 10, 30),
        "assumed_same_session",
        "a session, timing unknown",
    ),
    (
        D(2025, 11, 28),
        "after_close",
        D(2025, 12, 1),
        "next_session_after_close",
        "after the 13:00 early close",
    ),
    (D(2025, 11, 27), "intraday", D(2025, 11, 28), "next_session_closed_day", "Thanksgiving"),
    (
        "2025-11-28T13:05:00-05:00",
        None,
        D(2025, 12, 1),
        "timestamp",
        "5 minutes after the early close",
    ),
    (
        "2025-11-28T12:59:00-05:00",
        None,
        D(2025, 11, 28),
        "timestamp",
        "a minute before the early close",
    ),
    (
        "2025-11-28T13:00:00-05:00",
        "after_close",
        D(2025, 12, 1),
        "timestamp",
        "the close minute is after the close",
    ),
    (
        "2025-07-03T14:00:00-04:00",
        "after_close",
        D(2025, 7, 7),
        "timestamp",
        "after the 07-03 early close; 07-04 holiday; weekend",
    ),
    ("2025-07-03T12:30:00-04:00", None, D(2025, 7, 3), "timestamp", "before the 07-03 early close"),
    (
        "2025-10-30T16:00:00-04:00",
        None,
        D(2025, 10, 31),
        "timestamp",
        "exactly at the regular close",
    ),
    ("2025-10-30T15:59:00-04:00", None, D(2025, 10, 30), "timestamp", "last minute of the session"),
    ("2025-10-30T08:00:00-04:00", None, D(2025, 10, 30), "timestamp", "pre-market"),
    ("2025-10-31T20:00:00-04:00", None, D(2025, 11, 3), "timestamp", "Friday evening"),
    ("2025-11-27T10:00:00-05:00", None, D(2025, 11, 28), "timestamp", "Thanksgiving morning"),
    ("2025-11-03T12:15:00Z", None, D(2025, 11, 3), "timestamp", "07:15 EST given in UTC"),
]


@pytest.mark.parametrize(
    ("announced", "timing", "expected", "rule"),
    [c[:4] for c in CASES],
    ids=[c[4] for c in CASES],
)
def test_day0(announced: dt.date | str, timing: str | None, expected: dt.date, rule: str) -> None:
    resolved = resolve_day0(_event(announced, timing), nyse())
    assert resolved.day0 == expected
    assert resolved.rule == rule
    assert resolved.assumed == rule.startswith("assumed")


# From shared/docs/seed-events.md, column "day0" (verified against press pages).
SEED_DAY0 = {
    "amzn-layoffs-reuters": D(2025, 10, 27),
    "amzn-layoffs-14k": D(2025, 10, 28),
    "msft-openai-recap": D(2025, 10, 28),
    "msft-fy26q1": D(2025, 10, 30),
    "googl-q3": D(2025, 10, 30),
    "meta-q3": D(2025, 10, 30),
    "amzn-q3": D(2025, 10, 31),
    "openai-aws": D(2025, 11, 3),
    "nvda-q3fy26": D(2025, 11, 20),
    "nvda-openai-loi": D(2025, 9, 22),
    "orcl-q1fy26": D(2025, 9, 10),
    "crwv-openai": D(2025, 9, 25),
    "amd-openai": D(2025, 10, 6),
    "avgo-openai": D(2025, 10, 13),
}


def test_seed_events_day0() -> None:
    resolved = {r.id: r for r in resolve_many(seed_catalog(), nyse())}
    assert {k: v.day0 for k, v in resolved.items()} == SEED_DAY0
    assert resolved["crwv-openai"].assumed
    assert [k for k, v in resolved.items() if v.assumed] == ["crwv-openai"]


def test_calendar_known_sessions() -> None:
    cal = nyse()
    assert not cal.is_session(D(2025, 1, 9))  # national day of mourning (Carter)
    assert not cal.is_session(D(2018, 12, 5))  # Bush
    assert cal.is_session(D(2025, 11, 28))
    assert cal.close_of(D(2025, 11, 28)) == dt.datetime(2025, 11, 28, 18, 0, tzinfo=dt.UTC)
    assert cal.close_of(D(2025, 7, 3)) == dt.datetime(2025, 7, 3, 17, 0, tzinfo=dt.UTC)
    # November 2025 has 20 weekdays; minus Thanksgiving (11-27) = 19 sessions
    assert len(cal.sessions_in_range(D(2025, 11, 1), D(2025, 11, 30))) == 19
    assert shift_sessions(cal, D(2025, 10, 31), 1) == D(2025, 11, 3)
    assert shift_sessions(cal, D(2025, 12, 1), -1) == D(2025, 11, 28)


@settings(max_examples=50, deadline=None)
@given(
    start=st.dates(dt.date(1985, 1, 1), dt.date(2040, 12, 31)),
    days=st.integers(0, 20_000),
)
def test_sessions_in_range_are_the_sessions_between_as_dates(start: dt.date, days: int) -> None:
    """Against the sessions written out one by one (ISO text to ``datetime.date``)."""
    cal = nyse()
    end = min(start + dt.timedelta(days=days), dt.date(9999, 1, 1))
    every = [dt.date.fromisoformat(str(s)) for s in cal.sessions]
    got = cal.sessions_in_range(start, end)
    assert got == [d for d in every if start <= d <= end]
    assert all(type(d) is dt.date for d in got)


def test_a_missing_or_out_of_range_day_is_not_turned_into_a_date() -> None:
    from events.calendar import _to_date

    assert _to_date(np.datetime64("2025-11-03T15:30", "s")) == D(2025, 11, 3)
    for bad in (np.datetime64("NaT", "D"), np.datetime64("10000-01-01", "D")):
        with pytest.raises(CalendarError, match="is not a calendar date"):
            _to_date(bad)


def test_latest_completed_session() -> None:
    cal = nyse()
    ny = dt.timezone(dt.timedelta(hours=-5))
    assert cal.latest_completed_session(dt.datetime(2025, 11, 28, 12, 0, tzinfo=ny)) == D(
        2025, 11, 26
    )
    assert cal.latest_completed_session(dt.datetime(2025, 11, 28, 13, 0, tzinfo=ny)) == D(
        2025, 11, 28
    )
    assert cal.latest_completed_session(dt.datetime(2025, 11, 29, 9, 0, tzinfo=ny)) == D(
        2025, 11, 28
    )
    with pytest.raises(CalendarError, match="timezone-aware"):
        cal.latest_completed_session(dt.datetime(2025, 11, 29, 9, 0))


def test_outside_calendar_is_named() -> None:
    with pytest.raises(CalendarError, match=r"event 'x': announced 1980-01-02, outside the XNYS"):
        resolve_day0(_event(D(1980, 1, 2), "before_open"), nyse())


@pytest.mark.parametrize(
    ("announced", "timing", "day0", "rule"),
    [
        # Thursday 2025-10-30 after the close: the reaction is on Friday 10-31
        (D(2025, 10, 30), "inferred_after_close", D(2025, 10, 31), "inferred_next_session"),
        # Friday 2025-10-31 after the close: the next session is Monday 11-03
        (D(2025, 10, 31), "inferred_after_close", D(2025, 11, 3), "inferred_next_session"),
        # Wednesday 2025-11-26 after the close: Thanksgiving 11-27 is closed, so 11-28
        (D(2025, 11, 26), "inferred_after_close", D(2025, 11, 28), "inferred_next_session"),
        (D(2025, 10, 30), "inferred_during_session", D(2025, 10, 30), "inferred_same_session"),
    ],
)
def test_inferred_timings(announced: dt.date, timing: str, day0: dt.date, rule: str) -> None:
    r = resolve_day0(_event(announced, timing), nyse())
    assert (r.day0, r.rule, r.assumed) == (day0, rule, True)


def test_an_inferred_timing_needs_a_date_only_event() -> None:
    with pytest.raises(ValueError, match="inferred from prices for events whose time of day"):
        _event("2025-10-30T16:05:00-04:00", "inferred_after_close")
