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
