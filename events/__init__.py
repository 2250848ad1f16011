"""Events: what happened, when, to which tickers, and its day-0 session.

Pure: no network, no database, no clock.

``import events`` is cheap: the names below are imported from their modules on
first use (PEP 562), so the calendar (numpy) and the event model (pydantic) load
only when asked for. ``from events import nyse`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from events.errors import (
    CalendarError,
    CatalogFileError,
    EventError,
    EventValidationError,
    TickerError,
)

if TYPE_CHECKING:
    from events.calendar import (
        SessionCalendar,
        nyse,
        resolve_day0,
        resolve_many,
        shift_sessions,
    )
    from events.catalog import (
        load_catalog,
        parse_catalog,
        parse_event,
        read_event_csv,
        seed_catalog,
    )
    from events.model import Event, ResolvedEvent
    from events.names import CATEGORIES, TIMINGS, Category, Timing
    from events.tickers import normalise_ticker, normalise_ticker_list

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

#: Where each lazily imported name lives.
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        ("SessionCalendar", "nyse", "resolve_day0", "resolve_many", "shift_sessions"),
        "events.calendar",
    ),
    **dict.fromkeys(
        ("load_catalog", "parse_catalog", "parse_event", "read_event_csv", "seed_catalog"),
        "events.catalog",
    ),
    **dict.fromkeys(("Event", "ResolvedEvent"), "events.model"),
    **dict.fromkeys(("CATEGORIES", "TIMINGS", "Category", "Timing"), "events.names"),
    **dict.fromkeys(("normalise_ticker", "normalise_ticker_list"), "events.tickers"),
}

if not TYPE_CHECKING:  # mypy sees the imports above, and flags unknown names

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'events' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this function
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
