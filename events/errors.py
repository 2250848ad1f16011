"""Errors raised by ``events``.

Our exception hierarchy::

    EventError                         base of everything events raises
    ├── EventValidationError (ValueError)  an entry of a catalog is invalid:
    │                                      names the file, the entry and the field
    ├── CatalogFileError (ValueError)      a catalog file cannot be read at all
    ├── CalendarError (ValueError)         a date outside the NYSE calendar's bounds
    └── TickerError (ValueError)           a ticker symbol breaks the rule of
                                           :mod:`events.tickers`
"""

from __future__ import annotations


class EventError(Exception):
    """Base class of every error raised by :mod:`events`."""


class EventValidationError(EventError, ValueError):
    """An event entry is invalid.

    The message names where the entry came from (``source``: a file path, or
    ``"<input>"``), which entry (index and id when known) and which field.
    """

    def __init__(self, message: str, *, source: str, entry: str, field: str | None = None):
        super().__init__(message)
        self.source = source
        self.entry = entry
        self.field = field


class CatalogFileError(EventError, ValueError):
    """A catalog or event CSV file cannot be read (missing, not TOML/CSV, bad header)."""

    def __init__(self, message: str, *, path: str):
        super().__init__(message)
        self.path = path


class CalendarError(EventError, ValueError):
    """A date or timestamp falls outside the span the NYSE calendar covers (or a
    calendar file contradicts itself)."""


class TickerError(EventError, ValueError):
    """A value is not a ticker symbol (see :mod:`events.tickers` for the rule).

    The message names the value, what is wrong with it and what is allowed.
    """
