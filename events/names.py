"""The event option sets, spelled once: categories and timings (no dependencies, cheap to import)."""

from __future__ import annotations

from typing import Literal, get_args

Category = Literal[
    "earnings",
    "layoffs",
    "deal",
    "investment",
    "restructuring",
    "product",
    "regulatory",
    "macro",
    "other",
]
Timing = Literal[
    "before_open",
    "intraday",
    "after_close",
    "unknown",
    "inferred_after_close",
    "inferred_during_session",
]
#: The timings a catalog states (the clock, or ``unknown``); the ``inferred_*`` ones are only
#: ever set by the timing inference (``backtest.timing``) for events stated as ``unknown``.
STATED_TIMINGS: tuple[str, ...] = ("before_open", "intraday", "after_close", "unknown")
#: The timings whose time of day nobody stated: inference may (re)decide them.
UNSTATED_TIMINGS: tuple[str, ...] = ("unknown", "inferred_after_close", "inferred_during_session")

CATEGORIES: tuple[str, ...] = get_args(Category)
TIMINGS: tuple[str, ...] = get_args(Timing)

#: Categories whose date is known in advance by default (a scheduled release: the date of an
#: earnings report is public weeks ahead; a deal or a layoff is news on the day). An event's
#: own ``scheduled`` field overrides it (``events.model.Event.known_in_advance``).
SCHEDULED_CATEGORIES: tuple[Category, ...] = ("earnings",)
