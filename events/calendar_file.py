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
    return count_sessions(first, last, str(doc["weekmask"]), doc["closed"]), first, last


def count_sessions(first: dt.date, last: dt.date, weekmask: str, closed: list[dt.date]) -> int:
    """The days from ``first`` to ``last`` (inclusive) that ``weekmask`` (Monday first, ``1``
    for open) opens, less the distinct ``closed`` days among them: whole weeks count
    ``weekmask.count("1")`` each, then the days left over one by one."""
    weeks, rest = divmod((last - first).days + 1, 7)
    start = first.weekday()
    opened = weeks * weekmask.count("1") + sum(
        weekmask[(start + i) % 7] == "1" for i in range(rest)
    )
    shut = {d for d in closed if first <= d <= last and weekmask[d.weekday()] == "1"}
    return opened - len(shut)
