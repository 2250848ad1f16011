"""Errors raised by ``jobs`` (the wiring layer and the CLI).

Our exception hierarchy::

    JobError                      base of everything jobs raises
    ├── UsageError (ValueError)   an option or argument is invalid
    └── MissingDataError          a study needs prices the store does not have
"""

from __future__ import annotations


class JobError(Exception):
    """Base class of every error raised by :mod:`jobs`."""


class UsageError(JobError, ValueError):
    """An option or argument is invalid; the message names it and says what is allowed."""


class MissingDataError(JobError, LookupError):
    """The store lacks prices that a computation needs; the message says how to add them."""
