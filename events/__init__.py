"""Events: what happened, when, to which tickers, and its day-0 session.

Pure: no network, no database, no clock.
"""

from __future__ import annotations

from events.calendar import SessionCalendar, nyse, resolve_day0, resolve_many, shift_sessions
from events.catalog import load_catalog, parse_catalog, parse_event, read_event_csv, seed_catalog
from events.errors import (
    CalendarError,
    CatalogFileError,
    EventError,
    EventValidationError,
    TickerError,
)
from events.model import (
    CATEGORIES,
    TIMINGS,
    Category,
    Event,
    ResolvedEvent,
    Timing,
    normalise_ticker,
    normalise_ticker_list,
)

__all__ = [
    "CATEGORIES",
    "TIMINGS",
    "CalendarError",
    "CatalogFileError",
    "Category",
    "Event",
    "EventError",
    "EventValidationError",
    "ResolvedEvent",
    "SessionCalendar",
    "TickerError",
    "Timing",
    "load_catalog",
    "normalise_ticker",
    "normalise_ticker_list",
    "nyse",
    "parse_catalog",
    "parse_event",
    "read_event_csv",
    "resolve_day0",
    "resolve_many",
    "seed_catalog",
    "shift_sessions",
]
