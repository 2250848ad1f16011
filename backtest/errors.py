"""Errors raised by ``backtest``.

Our exception hierarchy::

    BacktestError                          base of everything backtest raises
    ├── ConfigError (ValueError)           an EventStudyConfig parameter is invalid:
    │                                      names the parameter, the value and what is allowed
    └── InputSchemaError (ValueError)      an input frame lacks a column, has the wrong dtype
                                           or duplicate keys: names the frame, the column and
                                           what to do

Observations that cannot be measured are *not* errors: they stay in the output
with a status code (see ``docs/statistics.md``, "Status codes").
"""

from __future__ import annotations


class BacktestError(Exception):
    """Base class of every error raised by :mod:`backtest`."""


class ConfigError(BacktestError, ValueError):
    """An :class:`~backtest.EventStudyConfig` parameter is invalid.

    ``parameter`` is the name of the offending parameter (``"windows"``,
    ``"min_obs"``, ...), or ``None`` when several are involved.
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class InputSchemaError(BacktestError, ValueError):
    """An input frame does not have the documented schema.

    ``frame`` names the argument (``"events"``, ``"returns"``, ``"factors"``,
    ``"catalog"``, ``"sessions"``, ``"prices"``, ``"actions"``) and ``column`` the
    offending column when there is one.
    """

    def __init__(self, message: str, *, frame: str, column: str | None = None) -> None:
        super().__init__(message)
        self.frame = frame
        self.column = column
