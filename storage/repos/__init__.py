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
