"""The shipped XNYS calendar file, read without numpy (what :func:`events.nyse` builds from).

:func:`calendar_summary` gives the calendar's first and last session and its number of
sessions in a few milliseconds, so a caller can tell whether a stored copy of the calendar
is current without building it.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from importlib import resources
from typing import Any

#: The calendar file inside the package (``events/data/``).
CALENDAR_FILE = "xnys.toml"


@functools.cache
def calendar_document() -> dict[str, Any]:
    """The parsed ``events/data/xnys.toml`` (read once per process)."""
    text = (resources.files("events") / "data" / CALENDAR_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


@functools.cache
def calendar_summary() -> tuple[int, dt.date, dt.date]:
    """``(number of sessions, first session, last session)`` of the shipped calendar.

    Sessions are the weekmask days from the first to the last session less the listed
    closures, exactly as :func:`events.calendar.calendar_from_toml` counts them.
    """
    doc = calendar_document()
    first: dt.date = doc["first_session"]
    last: dt.date = doc["last_session"]
    mask = str(doc["weekmask"])
    days = (last - first).days + 1
    open_days = sum(1 for i in range(days) if mask[(first + dt.timedelta(i)).weekday()] == "1")
    closed = {d for d in doc["closed"] if first <= d <= last and mask[d.weekday()] == "1"}
    return open_days - len(closed), first, last
