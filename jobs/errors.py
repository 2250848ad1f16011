"""Errors raised by ``jobs`` (the wiring layer and the CLI).

Our exception hierarchy::

    JobError                      base of everything jobs raises
    ├── UsageError (ValueError)   an option or argument is invalid
    ├── MissingDataError          a study needs prices the store does not have
    ├── SqlError                  people's own SQL failed (the message is DuckDB's, one line)
    └── AlreadyRunningError       another process holds a pid lock next to the store
        ├── RefreshRunningError   a refresh of the same store is running
        └── SchedulerRunningError a scheduler for the same store is running

Errors of the lower layers (:mod:`events`, :mod:`storage`, :mod:`backtest`) keep their own
trees; the CLI prints any of them as one sentence.
"""

from __future__ import annotations


class JobError(Exception):
    """Base class of every error raised by :mod:`jobs`."""


class UsageError(JobError, ValueError):
    """An option or argument is invalid; the message names it and says what is allowed."""


class MissingDataError(JobError, LookupError):
    """The store lacks prices that a computation needs; the message says how to add them."""


class SqlError(JobError):
    """A user's SQL statement failed; the message is DuckDB's, cut to the useful line."""


class AlreadyRunningError(JobError):
    """Another process holds a pid lock file next to the store (``pid``/``started`` when known)."""

    def __init__(self, message: str, *, pid: int | None = None, started: str | None = None):
        super().__init__(message)
        self.pid = pid
        self.started = started


class RefreshRunningError(AlreadyRunningError):
    """A refresh of the same store is already running in another process."""


class SchedulerRunningError(AlreadyRunningError):
    """A scheduler for the same store is already running in another process."""
