"""Write ``events/data/xnys.toml``, the NYSE calendar that ships with ``events``.

Run it by hand after upgrading exchange-calendars (new ad hoc closures, e.g. a
national day of mourning) or to move the bounds, then commit the file::

    python tests/events/make_xnys.py

The file holds what a session calendar needs and nothing that follows from a
rule: the bounds, the weekdays without a session (holidays and ad hoc
closures) and the sessions that close before 16:00 New York time. Every line
carries exchange-calendars' name for the day as a comment.
``tests/events/test_xnys_data.py`` checks the calendar built from it against
exchange-calendars over the whole span.

The bounds are explicit: exchange-calendars' defaults move with today's date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from importlib.metadata import version
from pathlib import Path

import exchange_calendars as xcals
import exchange_calendars.us_holidays as us_holidays
import pandas as pd

from events.calendar import CALENDAR_END, CALENDAR_START

OUT = Path(__file__).resolve().parents[2] / "events" / "data" / "xnys.toml"
TIMEZONE = "America/New_York"
WEEKMASK = "1111100"  # Monday .. Sunday
REGULAR_OPEN = dt.time(9, 30)
REGULAR_CLOSE = dt.time(16, 0)


def _adhoc_names() -> dict[dt.date, str]:
    """exchange-calendars' names (its list variables) for ad hoc closures."""
    names: dict[dt.date, str] = {}
    for name, value in vars(us_holidays).items():
        if isinstance(value, list) and value and all(isinstance(v, pd.Timestamp) for v in value):
            for day in value:
                names.setdefault(day.date(), name)
    return names


def render(start: str = CALENDAR_START, end: str = CALENDAR_END) -> str:
    """The text of ``xnys.toml`` for sessions from ``start`` to ``end`` (inclusive)."""
    cal = xcals.get_calendar("XNYS", start=start, end=end)
    if str(cal.tz) != TIMEZONE or cal.weekmask != WEEKMASK:
        sys.exit(f"XNYS changed: tz {cal.tz}, weekmask {cal.weekmask}; update this script")
    first, last = cal.first_session, cal.last_session
    sessions = pd.DatetimeIndex(cal.sessions)
    weekend = sessions[sessions.day_of_week >= 5]
    if len(weekend):
        sys.exit(
            f"XNYS has weekend sessions {list(weekend.date)}: the file format cannot hold them"
        )

    opens = cal.opens.dt.tz_convert(TIMEZONE)
    odd_opens = opens[opens.dt.time != REGULAR_OPEN]
    if len(odd_opens):
        # events.model.timing_of assumes 09:30; a late open needs that to change first.
        sys.exit(f"XNYS has late opens {list(odd_opens.index.date)}: not supported")

    weekdays = pd.bdate_range(first, last)
    closed = weekdays.difference(sessions)
    holiday_names = cal.regular_holidays.holidays(first, last, return_name=True)
    adhoc = _adhoc_names()

    closes = cal.closes.dt.tz_convert(TIMEZONE)
    early = closes[closes.dt.time != REGULAR_CLOSE]
    early_names: dict[pd.Timestamp, str] = {}
    for _, holidays in cal.special_closes:
        early_names.update(holidays.holidays(first, last, return_name=True).to_dict())

    lines = [
        f"# NYSE (XNYS) trading calendar, {first.date()} .. {last.date()}.",
        "#",
        "# Sessions: every weekday from first_session to last_session except the days in",
        "# `closed`. Closes: regular_close New York time except the days in `early_closes`.",
        f"# Written by tests/events/make_xnys.py from exchange-calendars {version('exchange-calendars')};",
        "# regenerate rather than edit (tests/events/test_xnys_data.py checks it).",
        "",
        'name = "XNYS"',
        f'timezone = "{TIMEZONE}"',
        f"first_session = {first.date()}",
        f"last_session = {last.date()}",
        f'weekmask = "{WEEKMASK}"  # Monday .. Sunday',
        f"regular_close = {REGULAR_CLOSE.isoformat()}",
        "",
        f"# {len(closed)} weekdays without a session: holidays and ad hoc closures.",
        "closed = [",
    ]
    for day in closed:
        name = holiday_names.get(day) or f"ad hoc: {adhoc.get(day.date(), 'closure')}"
        lines.append(f"    {day.date()},  # {name}")
    lines += [
        "]",
        "",
        f"# {len(early)} sessions that close early: session = local close time.",
        "[early_closes]",
    ]
    for day, close in early.items():
        name = early_names.get(day, "ad hoc early close")
        lines.append(f"{day.date()} = {close.time().isoformat()}  # {name}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default=CALENDAR_START, help="first day (YYYY-MM-DD)")
    parser.add_argument("--end", default=CALENDAR_END, help="last day (YYYY-MM-DD)")
    parser.add_argument(
        "--out", type=Path, default=OUT, help="where to write (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    text = render(args.start, args.end)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
