"""The shipped calendar (``events/data/xnys.toml``) against exchange-calendars' XNYS.

exchange-calendars is the independent oracle: every session and every close from
1990-01-02 to 2035-12-31 must agree. If this fails after upgrading exchange-calendars
(a new ad hoc closure), regenerate the file with ``python tests/events/make_xnys.py``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import numpy as np
import pytest

from events import CalendarError, SessionCalendar, nyse
from events.calendar import CALENDAR_END, CALENDAR_START, calendar_from_toml


@pytest.fixture(scope="module")
def xnys() -> xcals.ExchangeCalendar:
    return xcals.get_calendar("XNYS", start=CALENDAR_START, end=CALENDAR_END)


def test_bounds_and_types() -> None:
    cal = nyse()
    assert cal.name == "XNYS"
    assert (cal.first, cal.last) == (dt.date(1990, 1, 2), dt.date(2035, 12, 31))
    assert cal.sessions.dtype == np.dtype("datetime64[D]")
    assert cal.closes.dtype == np.dtype("datetime64[s]")
    assert cal.sessions.shape == cal.closes.shape
    assert nyse() is cal  # built once per process


def test_sessions_match_exchange_calendars(xnys: xcals.ExchangeCalendar) -> None:
    ours = nyse().sessions
    theirs = xnys.sessions.values.astype("datetime64[D]")
    missing = np.setdiff1d(theirs, ours)[:5]
    extra = np.setdiff1d(ours, theirs)[:5]
    assert not missing.size and not extra.size, f"missing {missing}, extra {extra}"
    assert np.array_equal(ours, theirs)


def test_closes_match_exchange_calendars(xnys: xcals.ExchangeCalendar) -> None:
    ours = nyse().closes
    theirs = xnys.closes.dt.tz_convert("UTC").dt.tz_localize(None).values.astype("datetime64[s]")
    wrong = np.flatnonzero(ours != theirs)[:5]
    assert not wrong.size, [(str(ours[i]), str(theirs[i])) for i in wrong]


def test_opens_are_0930_new_york(xnys: xcals.ExchangeCalendar) -> None:
    # The file keeps no opens: events.model.timing_of takes 09:30 as the open.
    opens = xnys.opens.dt.tz_convert("America/New_York")
    assert (opens.dt.hour == 9).all()
    assert (opens.dt.minute == 30).all()


def test_known_closes_from_the_file() -> None:
    cal = nyse()
    winter, summer = dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=-4))
    assert cal.close_of(dt.date(1990, 1, 2)) == dt.datetime(1990, 1, 2, 16, tzinfo=winter)
    assert cal.close_of(dt.date(1990, 12, 24)) == dt.datetime(1990, 12, 24, 14, tzinfo=winter)
    assert cal.close_of(dt.date(2035, 12, 31)) == dt.datetime(2035, 12, 31, 16, tzinfo=winter)
    # the Friday before / Monday after the 2025 spring change (Sunday 9 March)
    assert cal.close_of(dt.date(2025, 3, 7)) == dt.datetime(2025, 3, 7, 16, tzinfo=winter)
    assert cal.close_of(dt.date(2025, 3, 10)) == dt.datetime(2025, 3, 10, 16, tzinfo=summer)
    assert not cal.is_session(dt.date(2012, 10, 29))  # Hurricane Sandy
    assert not cal.is_session(dt.date(2001, 9, 11))


def _doc(zone: str, weekmask: str = "1111111", **extra: object) -> dict[str, object]:
    return {
        "name": "TEST",
        "timezone": zone,
        "first_session": dt.date(1995, 1, 1),
        "last_session": dt.date(2024, 12, 31),
        "weekmask": weekmask,
        "regular_close": dt.time(16, 0),
        "closed": [],
        **extra,
    }


@pytest.mark.parametrize(
    "zone",
    [
        "America/New_York",
        "Asia/Tehran",  # changed at midnight on 21/22 March and September, any weekday
        "Australia/Lord_Howe",  # 30-minute DST
        "America/Sao_Paulo",  # changed at 00:00 local, and dropped DST in 2019
        "UTC",
    ],
)
def test_closes_in_any_zone_match_zoneinfo_day_by_day(zone: str) -> None:
    tz = ZoneInfo(zone)
    cal = calendar_from_toml(_doc(zone, early_closes={"2000-03-22": dt.time(0, 30)}))
    expected = []
    for day in cal.sessions.tolist():
        wall = dt.time(0, 30) if day == dt.date(2000, 3, 22) else dt.time(16, 0)
        moment = dt.datetime.combine(day, wall, tzinfo=tz).astimezone(dt.UTC)
        expected.append(moment.replace(tzinfo=None))
    assert cal.closes.tolist() == expected


def test_weekmask_and_closed_days() -> None:
    cal = calendar_from_toml(
        _doc("America/New_York", weekmask="1111100", closed=[dt.date(2024, 12, 25)])
    )
    assert isinstance(cal, SessionCalendar)
    assert cal.sessions_in_range(dt.date(2024, 12, 23), dt.date(2024, 12, 29)) == [
        dt.date(2024, 12, 23),
        dt.date(2024, 12, 24),
        dt.date(2024, 12, 26),
        dt.date(2024, 12, 27),
    ]


def test_early_close_on_a_closed_day_is_refused() -> None:
    doc = _doc(
        "America/New_York",
        weekmask="1111100",
        early_closes={"2024-12-28": dt.time(13, 0)},  # a Saturday
    )
    with pytest.raises(CalendarError, match="early close on 2024-12-28, which is not a session"):
        calendar_from_toml(doc)
