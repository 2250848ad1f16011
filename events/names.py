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
Timing = Literal["before_open", "intraday", "after_close", "unknown"]

CATEGORIES: tuple[str, ...] = get_args(Category)
TIMINGS: tuple[str, ...] = get_args(Timing)

#: Categories whose date is known in advance by default (a scheduled release: the date of an
#: earnings report is public weeks ahead; a deal or a layoff is news on the day). An event's
#: own ``scheduled`` field overrides it (``events.model.Event.known_in_advance``).
SCHEDULED_CATEGORIES: tuple[Category, ...] = ("earnings",)
