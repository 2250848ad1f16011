"""Errors raised by ``backtest``.

Our exception hierarchy::

    BacktestError                          base of everything backtest raises
    ├── ConfigError (ValueError)           an EventStudyConfig parameter is invalid:
    │                                      names the parameter, the value and what is allowed
    ├── InputSchemaError (ValueError)      an input frame lacks a column, has the wrong dtype
    │                                      or duplicate keys: names the frame, the column and
    │                                      what to do
    ├── TradingError (ValueError)          a TradeRule field or a trading argument is
    │   │                                  invalid; ``field`` names it
    │   └── LookaheadError                 an entry or a signal uses information that is not
    │                                      yet public; ``field`` and ``event_id`` name them
    └── OutputError (ValueError)           the chunked engine's output directory cannot be
                                           used (not empty, a file, unreadable parts); ``path``

Observations that cannot be measured are *not* errors: they stay in the output
with a status code (see ``docs/statistics.md``, "Status codes"). Recoverable
oddities that a report should show are :class:`backtest.notices.Notice` values,
not exceptions.
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
    ``"catalog"``, ``"sessions"``, ``"prices"``, ``"actions"``, ``"betas"``,
    ``"signals"``) and ``column`` the offending column when there is one.
    """

    def __init__(self, message: str, *, frame: str, column: str | None = None) -> None:
        super().__init__(message)
        self.frame = frame
        self.column = column


class TradingError(BacktestError, ValueError):
    """A :class:`~backtest.trading.TradeRule` field or a trading argument is invalid.

    ``field`` names the rule field (``"entry"``, ``"cost_bps"``, ...) or the
    argument (``"signals"``, ``"holding_periods"``, ...), or is ``None`` when
    several are involved.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LookaheadError(TradingError):
    """An entry before the news is public, or a signal not yet known at entry.

    ``field`` is the rule field or argument (``"entry"``, ``"direction"``,
    ``"entry_offsets"``) and ``event_id`` the first offending event.
    """

    def __init__(self, message: str, *, field: str, event_id: str) -> None:
        super().__init__(message, field=field)
        self.event_id = event_id


class OutputError(BacktestError, ValueError):
    """The chunked engine (:mod:`backtest.chunked`) cannot use its output directory.

    ``path`` is the directory (or the file in it) that is the problem.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path
