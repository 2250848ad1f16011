"""The event record: what happened, when, to which tickers.

An :class:`Event` is what users write in a catalog. Its day 0 (the first NYSE
session whose close can reflect the news) is worked out by
:func:`events.calendar.resolve_day0` and kept next to it in a
:class:`ResolvedEvent`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from events.names import CATEGORIES, SCHEDULED_CATEGORIES, TIMINGS, Category, Timing
from events.tickers import normalise_ticker, normalise_ticker_list

NEW_YORK = ZoneInfo("America/New_York")

__all__ = [
    "CATEGORIES",
    "NEW_YORK",
    "TIMINGS",
    "Category",
    "Day0Rule",
    "Event",
    "ResolvedEvent",
    "Timing",
    "is_scheduled",
    "normalise_ticker",
    "normalise_ticker_list",
    "timing_of",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: use lower-case letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, at most 128 characters), e.g. 'amzn-q3-2025'"
        )
    return value


def _check_tickers(values: tuple[str, ...]) -> tuple[str, ...]:
    symbols = tuple(normalise_ticker(v) for v in values)
    seen: set[str] = set()
    for s in symbols:
        if s in seen:
            raise ValueError(f"ticker {s} is listed twice")
        seen.add(s)
    return symbols


Slug = Annotated[str, AfterValidator(_check_slug)]
Tickers = Annotated[tuple[str, ...], Field(min_length=1), AfterValidator(_check_tickers)]


def timing_of(moment: dt.datetime, close: dt.time = dt.time(16, 0)) -> Timing:
    """Classify an aware timestamp by the New York clock: before 09:30, in session, or after.

    ``close`` is the session's closing time (13:00 on early-close days).
    """
    local = moment.astimezone(NEW_YORK).time()
    if local < dt.time(9, 30):
        return "before_open"
    if local < close:
        return "intraday"
    return "after_close"


def is_scheduled(category: str, scheduled: bool | None = None) -> bool:
    """Was the event's date known in advance? ``scheduled`` when given, else whether the
    category is one of :data:`events.names.SCHEDULED_CATEGORIES` (earnings: yes; deals,
    layoffs and the rest: no)."""
    return scheduled if scheduled is not None else category in SCHEDULED_CATEGORIES


class Event(BaseModel):
    """One dated piece of news about one or more tickers.

    ``announced`` is a date, or a timezone-aware datetime when the minute is known
    (naive datetimes are rejected: say ``-04:00``/``-05:00`` or ``Z``). With a
    datetime, ``timing`` may be left out and is derived from the New York clock;
    if both are given they must agree. The first ticker is the primary one.
    ``scheduled`` says whether the date was known in advance (left out: by category,
    :func:`is_scheduled`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: Slug
    title: str = Field(min_length=1, max_length=500)
    category: Category
    announced: dt.datetime | dt.date
    timing: Timing = "unknown"
    tickers: Tickers
    source: str = ""
    tags: tuple[str, ...] = ()
    scheduled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_timing(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        announced = data.get("announced")
        if isinstance(announced, dt.datetime):
            if announced.tzinfo is None or announced.utcoffset() is None:
                raise ValueError(
                    "announced: a datetime needs a UTC offset, e.g. 2025-10-30T16:05:00-04:00; "
                    "give a plain date if the time is not known"
                )
            if "timing" not in data or data["timing"] in (None, ""):
                return {**data, "timing": timing_of(announced)}
        return data

    @model_validator(mode="after")
    def _timing_agrees(self) -> Event:
        if isinstance(self.announced, dt.datetime) and self.timing.startswith("inferred_"):
            raise ValueError(
                f"timing: {self.timing!r} is inferred from prices for events whose time of day "
                "is unknown, but this event's announcement time is given; leave timing out"
            )
        if isinstance(self.announced, dt.datetime) and self.timing != "unknown":
            derived = timing_of(self.announced)
            # An early close (13:00) can turn an "intraday" clock time into after_close;
            # only the calendar knows, so accept after_close for afternoon times.
            if derived != self.timing and not (
                self.timing == "after_close" and derived == "intraday"
            ):
                local = self.announced.astimezone(NEW_YORK).strftime("%H:%M")
                raise ValueError(
                    f"timing: {self.timing!r} disagrees with the announcement time "
                    f"{local} New York ({derived}); fix one of them or leave timing out"
                )
        return self

    @property
    def known_in_advance(self) -> bool:
        """Whether the date was public before the event (:func:`is_scheduled`)."""
        return is_scheduled(self.category, self.scheduled)

    @property
    def primary_ticker(self) -> str:
        """The first ticker: the company the event is about."""
        return self.tickers[0]

    @property
    def announced_date(self) -> dt.date:
        """The New York calendar date of the announcement."""
        if isinstance(self.announced, dt.datetime):
            return self.announced.astimezone(NEW_YORK).date()
        return self.announced

    @property
    def announced_at(self) -> dt.datetime | None:
        """The aware announcement time, or ``None`` when only the date is known."""
        return self.announced if isinstance(self.announced, dt.datetime) else None


Day0Rule = Literal[
    "same_session",
    "next_session_after_close",
    "next_session_closed_day",
    "timestamp",
    "assumed_same_session",
    "assumed_next_session",
    "inferred_same_session",
    "inferred_next_session",
]


class ResolvedEvent(BaseModel):
    """An :class:`Event` with its day 0 and the rule that produced it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: Event
    day0: dt.date
    rule: Day0Rule
    assumed: bool = False

    @property
    def id(self) -> str:
        return self.event.id
