"""NYSE sessions and the day-0 rule.

Day 0 is the first NYSE session whose **close** can reflect the news:

=====================================  =========================================
announcement                           day 0 (``rule``)
=====================================  =========================================
before the open / during the session   that session (``same_session``)
after the close (16:00, or 13:00 on    the next session
early-close days)                      (``next_session_after_close``)
on a weekend or holiday                the next session (``next_session_closed_day``)
aware timestamp                        first session whose close is later than the
                                       timestamp (``timestamp``); the close minute
                                       itself counts as after the close
date only, timing unknown              that date if it is a session, else the next;
                                       marked as assumed (``assumed_*``)
date only, timing inferred from the    ``inferred_after_close``: the next session;
prices (``backtest.timing``)           ``inferred_during_session``: that session
                                       (``inferred_*``; still marked as assumed)
=====================================  =========================================

The calendar is exchange-calendars' ``XNYS`` from 1990-01-02 to 2035-12-31,
shipped precomputed in ``events/data/xnys.toml`` (the weekdays without a
session and the early closes; ``tests/events/make_xnys.py`` writes it and
``tests/events/test_xnys_data.py`` checks it against exchange-calendars), so
building it needs neither exchange-calendars nor pandas. Resolution is
vectorised with ``numpy.searchsorted`` over the session and close arrays, so
tens of thousands of events resolve in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from events.calendar_file import calendar_document
from events.errors import CalendarError

if TYPE_CHECKING:
    from events.model import Day0Rule, Event, ResolvedEvent

#: The span of ``events/data/xnys.toml`` (the bounds its generator passes to exchange-calendars).
CALENDAR_START = "1990-01-02"
CALENDAR_END = "2035-12-31"

_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class SessionCalendar:
    """Trading sessions with their close times (UTC), immutable.

    Build it with :func:`nyse` (cached) or, in tests, from arrays.
    """

    name: str
    sessions: npt.NDArray[np.datetime64]  # datetime64[D], sorted
    closes: npt.NDArray[np.datetime64]  # datetime64[s] UTC, aligned with sessions

    @property
    def first(self) -> dt.date:
        return _to_date(self.sessions[0])

    @property
    def last(self) -> dt.date:
        return _to_date(self.sessions[-1])

    def _check(self, day: np.datetime64, what: str) -> None:
        if day < self.sessions[0] or day > self.sessions[-1]:
            raise CalendarError(
                f"{what} {day} is outside the {self.name} calendar ({self.first} .. {self.last})"
            )

    def is_session(self, day: dt.date) -> bool:
        """Whether ``day`` is a trading session."""
        d = np.datetime64(day, "D")
        i = int(np.searchsorted(self.sessions, d))
        return i < len(self.sessions) and self.sessions[i] == d

    def session_on_or_after(self, day: dt.date) -> dt.date:
        """The first session on or after ``day``."""
        d = np.datetime64(day, "D")
        self._check(d, "date")
        return _to_date(self.sessions[int(np.searchsorted(self.sessions, d, side="left"))])

    def sessions_in_range(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every session with ``start <= session <= end``."""
        lo = int(np.searchsorted(self.sessions, np.datetime64(start, "D"), side="left"))
        hi = int(np.searchsorted(self.sessions, np.datetime64(end, "D"), side="right"))
        days: list[dt.date] = self.sessions[lo:hi].astype("datetime64[D]").tolist()
        return days

    def latest_completed_session(self, now: dt.datetime) -> dt.date:
        """The last session whose close is at or before the aware time ``now``."""
        if now.tzinfo is None:
            raise CalendarError("now must be timezone-aware (e.g. datetime.now(UTC))")
        t = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "s")
        i = int(np.searchsorted(self.closes, t, side="right")) - 1
        if i < 0:
            raise CalendarError(f"{now} is before the first session of {self.name}")
        return _to_date(self.sessions[i])

    def close_of(self, session: dt.date) -> dt.datetime:
        """The aware UTC close time of ``session``."""
        d = np.datetime64(session, "D")
        i = int(np.searchsorted(self.sessions, d))
        if i >= len(self.sessions) or self.sessions[i] != d:
            raise CalendarError(f"{session} is not a {self.name} session")
        seconds = int(self.closes[i].astype("datetime64[s]").astype(np.int64))
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def _to_date(value: np.datetime64) -> dt.date:
    day = value.astype("datetime64[D]").item()  # datetime.date for years 1 to 9999
    if not isinstance(day, dt.date):  # NaT (None) or a year outside datetime's (int)
        raise CalendarError(f"{value} is not a calendar date")
    return day


@functools.cache
def nyse() -> SessionCalendar:
    """The XNYS calendar from 1990 to 2035 (built once per process; immutable).

    Read from the package file ``events/data/xnys.toml`` (see :func:`calendar_from_toml`).
    """
    return calendar_from_toml(calendar_document())


def calendar_from_toml(doc: Mapping[str, Any]) -> SessionCalendar:
    """A :class:`SessionCalendar` from a parsed calendar file such as ``xnys.toml``.

    The file gives ``name``, ``timezone``, ``first_session``, ``last_session``,
    ``weekmask`` (seven ``0``/``1`` from Monday), ``regular_close`` (local time),
    ``closed`` (the weekdays without a session) and ``early_closes`` (a table of
    session = local close time). Sessions are the weekmask days from first to last
    session minus ``closed``; their closes are converted to UTC with :mod:`zoneinfo`.

    Raises
    ------
    CalendarError
        if the file contradicts itself (no sessions, or an early close on a day that
        is not a session).
    """
    name = str(doc["name"])
    first = np.datetime64(doc["first_session"], "D")
    last = np.datetime64(doc["last_session"], "D")
    closed = np.array(doc["closed"], dtype="datetime64[D]")
    days = np.arange(first, last + _DAY, dtype="datetime64[D]")
    sessions = days[np.is_busday(days, weekmask=str(doc["weekmask"]), holidays=closed)]
    if not len(sessions):
        raise CalendarError(f"{name} calendar file: no sessions from {first} to {last}")

    # Local wall-clock closes in seconds since 1970-01-01 (naive), then UTC.
    local = sessions.astype(np.int64) * 86400 + _seconds(doc["regular_close"])
    early: Mapping[str, dt.time] = doc.get("early_closes", {})
    if early:
        early_days = np.array(list(early), dtype="datetime64[D]")
        idx = np.searchsorted(sessions, early_days)
        found = idx < len(sessions)
        found[found] = sessions[idx[found]] == early_days[found]
        if not found.all():
            raise CalendarError(
                f"{name} calendar file: early close on {early_days[~found][0]}, "
                "which is not a session"
            )
        at = np.array([_seconds(t) for t in early.values()], dtype=np.int64)
        local[idx] = early_days.astype(np.int64) * 86400 + at
    utc = local - _utc_offsets(local, ZoneInfo(str(doc["timezone"])))
    return SessionCalendar(name=name, sessions=sessions, closes=utc.astype("datetime64[s]"))


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


_EPOCH = dt.datetime(1970, 1, 1)
_MONDAY = 4  # 1970-01-01 was a Thursday, so day 4 (1970-01-05) is the first Monday


def _utc_offsets(local: npt.NDArray[np.int64], zone: ZoneInfo) -> npt.NDArray[np.int64]:
    """The UTC offset (seconds) in ``zone`` of each wall-clock time ``local``.

    ``local`` holds sorted naive times as seconds since 1970-01-01. Offsets change a
    few times a year, so :mod:`zoneinfo` is asked once per week (at Monday 00:00) and,
    only in the weeks whose offset differs from the next week's, once per time. That is
    exact unless a zone changes its offset twice within one week.
    """
    week = (local // 86400 - _MONDAY) // 7
    w0 = int(week[0])
    n_weeks = int(week[-1]) - w0 + 2  # one past the last: its Monday closes the last week
    start = _EPOCH + dt.timedelta(days=_MONDAY + 7 * w0)
    step = dt.timedelta(weeks=1)
    at_monday = np.array([_offset(zone, start + k * step) for k in range(n_weeks)], np.int64)
    k = week - w0
    offsets = at_monday[k]
    for i in np.flatnonzero(offsets != at_monday[k + 1]):
        offsets[i] = _offset(zone, _EPOCH + dt.timedelta(seconds=int(local[i])))
    return offsets


def _offset(zone: ZoneInfo, wall: dt.datetime) -> int:
    delta = zone.utcoffset(wall)
    return 0 if delta is None else int(delta.total_seconds())


def resolve_day0(event: Event, calendar: SessionCalendar) -> ResolvedEvent:
    """Day 0 of one event (see the module docstring for the rules)."""
    return resolve_many([event], calendar)[0]


def resolve_many(events: Sequence[Event], calendar: SessionCalendar) -> list[ResolvedEvent]:
    """Day 0 of many events at once (vectorised over the calendar arrays).

    Raises
    ------
    CalendarError
        if an announcement falls outside the calendar's span.
    """
    from events.model import ResolvedEvent  # pydantic only once events are resolved

    n = len(events)
    if n == 0:
        return []
    dates = np.array([e.announced_date for e in events], dtype="datetime64[D]")
    for bad in dates[(dates < calendar.sessions[0]) | (dates >= calendar.sessions[-1])][:1]:
        ev = events[int(np.flatnonzero(dates == bad)[0])]
        raise CalendarError(
            f"event {ev.id!r}: announced {bad}, outside the {calendar.name} calendar "
            f"({calendar.first} .. {calendar.last})"
        )
    sessions = calendar.sessions
    on_or_after = np.searchsorted(sessions, dates, side="left")
    is_session = sessions[on_or_after] == dates
    strictly_after = np.searchsorted(sessions, dates, side="right")

    out: list[ResolvedEvent] = []
    for k, ev in enumerate(events):
        rule: Day0Rule
        at = ev.announced_at
        if at is not None:
            t = np.datetime64(at.astimezone(dt.UTC).replace(tzinfo=None), "s")
            idx = int(np.searchsorted(calendar.closes, t, side="right"))
            rule, assumed = "timestamp", False
        elif ev.timing == "unknown":
            idx = int(on_or_after[k])
            rule = "assumed_same_session" if is_session[k] else "assumed_next_session"
            assumed = True
        elif ev.timing in ("inferred_after_close", "inferred_during_session"):
            # an inference is only made for a session date; on a closed day it means nothing
            after = ev.timing == "inferred_after_close" and bool(is_session[k])
            idx = int(strictly_after[k] if after else on_or_after[k])
            rule = "inferred_next_session" if after else "inferred_same_session"
            assumed = True
        elif not is_session[k]:
            idx, rule, assumed = int(on_or_after[k]), "next_session_closed_day", False
        elif ev.timing == "after_close":
            idx, rule, assumed = int(strictly_after[k]), "next_session_after_close", False
        else:
            idx, rule, assumed = int(on_or_after[k]), "same_session", False
        if idx >= len(sessions):
            raise CalendarError(f"event {ev.id!r}: day 0 falls after the calendar's last session")
        out.append(
            ResolvedEvent(event=ev, day0=_to_date(sessions[idx]), rule=rule, assumed=assumed)
        )
    return out


def shift_sessions(calendar: SessionCalendar, session: dt.date, offset: int) -> dt.date:
    """The session ``offset`` sessions after (before, if negative) ``session``."""
    d = np.datetime64(session, "D")
    i = int(np.searchsorted(calendar.sessions, d))
    if i >= len(calendar.sessions) or calendar.sessions[i] != d:
        raise CalendarError(f"{session} is not a {calendar.name} session")
    j = i + offset
    if not 0 <= j < len(calendar.sessions):
        raise CalendarError(f"{offset} sessions from {session} is outside the calendar")
    return _to_date(calendar.sessions[j])
