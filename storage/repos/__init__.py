"""Typed repositories over the store, one module per area; all share one session's connection.

Reached through an open session (:meth:`storage.Store.open`): ``db.market``, ``db.events``,
``db.study_runs``, ``db.backtest_runs``, ``db.studies``, ``db.refresh_log``, ``db.loads``;
people's own SQL through :meth:`storage.Store.open_sql`.

Records (events, runs, studies, refreshes, loads) come back as frozen dataclasses, without
importing polars; bulk data (prices, actions, factors, result tables) as polars frames whose
columns each method documents. Inputs are checked once, on the way in
(:class:`~storage.errors.StoreInputError`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.repos._upsert import UpsertCounts
    from storage.repos.backtest_runs import BacktestRunRecord, BacktestRunsRepo
    from storage.repos.events import EventRecord, EventsRepo, StoredEvent
    from storage.repos.loads import LoadRecord, LoadsRepo
    from storage.repos.market import MarketRepo, PriceSpan
    from storage.repos.refresh_log import (
        RefreshLogRepo,
        RefreshRun,
        RefreshStart,
        RefreshStatus,
        RefreshTicker,
        TickerStatus,
    )
    from storage.repos.sql import ColumnInfo, QueryResult, Relation, SqlRepo
    from storage.repos.studies import RegisteredStudy, StudiesRepo
    from storage.repos.study_runs import StudyRunRecord, StudyRunsRepo

#: Where each public name lives (imported on first use: ``import storage.repos`` is cheap).
_WHERE: dict[str, str] = {
    "BacktestRunRecord": "storage.repos.backtest_runs",
    "BacktestRunsRepo": "storage.repos.backtest_runs",
    "ColumnInfo": "storage.repos.sql",
    "EventRecord": "storage.repos.events",
    "EventsRepo": "storage.repos.events",
    "LoadRecord": "storage.repos.loads",
    "LoadsRepo": "storage.repos.loads",
    "MarketRepo": "storage.repos.market",
    "PriceSpan": "storage.repos.market",
    "QueryResult": "storage.repos.sql",
    "RefreshLogRepo": "storage.repos.refresh_log",
    "RefreshRun": "storage.repos.refresh_log",
    "RefreshStart": "storage.repos.refresh_log",
    "RefreshStatus": "storage.repos.refresh_log",
    "RefreshTicker": "storage.repos.refresh_log",
    "RegisteredStudy": "storage.repos.studies",
    "Relation": "storage.repos.sql",
    "SqlRepo": "storage.repos.sql",
    "StoredEvent": "storage.repos.events",
    "StudiesRepo": "storage.repos.studies",
    "StudyRunRecord": "storage.repos.study_runs",
    "StudyRunsRepo": "storage.repos.study_runs",
    "TickerStatus": "storage.repos.refresh_log",
    "UpsertCounts": "storage.repos._upsert",
}


__all__ = [
    "BacktestRunRecord",
    "BacktestRunsRepo",
    "ColumnInfo",
    "EventRecord",
    "EventsRepo",
    "LoadRecord",
    "LoadsRepo",
    "MarketRepo",
    "PriceSpan",
    "QueryResult",
    "RefreshLogRepo",
    "RefreshRun",
    "RefreshStart",
    "RefreshStatus",
    "RefreshTicker",
    "RegisteredStudy",
    "Relation",
    "SqlRepo",
    "StoredEvent",
    "StudiesRepo",
    "StudyRunRecord",
    "StudyRunsRepo",
    "TickerStatus",
    "UpsertCounts",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
