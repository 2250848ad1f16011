"""The shipped calendar's summary, read without building the calendar (events/calendar_file.py)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from events import nyse
from events.calendar_file import calendar_summary, count_sessions


def test_the_summary_is_the_built_calendars() -> None:
    sessions = nyse().sessions
    first, last = (dt.date.fromisoformat(str(d)) for d in (sessions[0], sessions[-1]))
    assert calendar_summary() == (len(sessions), first, last)


@settings(max_examples=300, deadline=None)
@given(
    first=st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    span=st.integers(0, 800),
    weekmask=st.text(alphabet="01", min_size=7, max_size=7),
    closed=st.lists(st.dates(dt.date(1989, 12, 1), dt.date(2033, 3, 1)), max_size=20),
)
def test_sessions_are_counted_as_a_day_by_day_walk_counts_them(
    first: dt.date, span: int, weekmask: str, closed: list[dt.date]
) -> None:
    last = first + dt.timedelta(days=span)
    walk = sum(
        1
        for i in range(span + 1)
        if weekmask[(day := first + dt.timedelta(days=i)).weekday()] == "1" and day not in closed
    )
    assert count_sessions(first, last, weekmask, closed) == walk
