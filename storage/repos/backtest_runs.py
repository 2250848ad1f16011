"""Stored event-time trading runs: one ``backtest_runs`` row, its trades, statistics and sweep.

==============  ======================================================  ==========================
table           one row per                                             key
==============  ======================================================  ==========================
trades          candidate (event, ticker): entry, exit, returns, hedge  event_id, ticker
backtest_stats  return series (gross, net, hedged, benchmark)           series
sweep_cells     entry offset x holding period of a sweep                entry_offset, holding
backtest_       book (``portfolio`` or ``benchmark``) and session: the  book, date
portfolio       calendar-time portfolio's return, equity, exposure
==============  ======================================================  ==========================

(every key also starts with ``run_id``). The columns are defined once, in
:data:`RESULT_COLUMNS` (checked against the migrations by the tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.errors import StoreInputError
from storage.repos._db import Db
from storage.repos._results import check_json, insert_run, load_run, shape

if TYPE_CHECKING:
    import polars as pl

#: Columns of ``core.backtest_runs``, in table order.
RUN_COLUMNS = (
    "run_id",
    "rule_id",
    "title",
    "created_at",
    "package_version",
    "definition",
    "data_stamp",
    "input_hash",
    "n_candidates",
    "n_trades",
    "n_overlapping",
    "perfect_foresight",
    "swept",
)

#: Every result table's columns, in table order (``run_id`` first).
RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "trades": (
        "run_id",
        "event_id",
        "ticker",
        "timing",
        "direction",
        "status",
        "entry_date",
        "entry_price",
        "exit_date",
        "exit_price",
        "dividends",
        "gross",
        "cost",
        "net",
        "hedge_ratio",
        "benchmark_return",
        "hedge_cost",
        "hedged",
        "weight",
        "perfect_foresight",
    ),
    "backtest_stats": (
        "run_id",
        "series",
        "n",
        "mean",
        "median",
        "sd",
        "hit_rate",
        "t",
        "ci_low",
        "ci_high",
        "compounded",
        "max_drawdown",
    ),
    "sweep_cells": (
        "run_id",
        "entry_offset",
        "holding",
        "exit_offset",
        "n",
        "mean_net",
        "t_net",
        "mean_hedged",
        "sd_hedged",
        "t_hedged",
        "enough",
    ),
    "backtest_portfolio": (
        "run_id",
        "book",
        "date",
        "ret",
        "equity",
        "gross_exposure",
        "net_exposure",
        "positions",
        "traded",
        "costs",
    ),
}

#: Each result table's primary key.
RESULT_KEYS: dict[str, tuple[str, ...]] = {
    "trades": ("run_id", "event_id", "ticker"),
    "backtest_stats": ("run_id", "series"),
    "sweep_cells": ("run_id", "entry_offset", "holding"),
    "backtest_portfolio": ("run_id", "book", "date"),
}


@dataclass(frozen=True, kw_only=True)
class BacktestRunRecord:
    """A ``backtest_runs`` row. ``definition`` is the rule's canonical JSON, ``data_stamp`` the
    JSON stamp of the data used; ``swept`` says whether ``sweep_cells`` rows exist."""

    run_id: str
    rule_id: str
    title: str
    created_at: dt.datetime
    package_version: str
    definition: str
    data_stamp: str
    input_hash: str
    n_candidates: int
    n_trades: int
    n_overlapping: int
    perfect_foresight: bool
    swept: bool

    def __post_init__(self) -> None:
        if not self.run_id:
            raise StoreInputError("a backtest run needs a run id")
        if self.created_at.utcoffset() is None:
            raise StoreInputError(f"backtest run {self.run_id!r}: created_at has no time zone")
        check_json(self.definition, field="definition", key=f"backtest run {self.run_id!r}")
        check_json(self.data_stamp, field="data_stamp", key=f"backtest run {self.run_id!r}")


class BacktestRunsRepo:
    """Backtest runs with their trades, statistics and sweep cells."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def insert(self, run: BacktestRunRecord, results: Mapping[str, pl.DataFrame]) -> int:
        """Store ``run`` and its frames (all or nothing); returns the result rows written.

        ``results[table]`` has that table's columns (:data:`RESULT_COLUMNS`) except
        ``run_id``, which is set here; extra columns are left out, absent non-key columns are
        null, NaN is stored as null. ``sweep_cells`` only for a swept run.
        """
        unknown = sorted(set(results) - RESULT_COLUMNS.keys())
        if unknown:
            raise StoreInputError(
                f"backtest run {run.run_id!r}: no result table(s) {', '.join(unknown)}"
            )
        if "sweep_cells" in results and not run.swept:
            raise StoreInputError(f"backtest run {run.run_id!r} has sweep cells but swept is false")
        shaped = [
            (
                table,
                shape(
                    frame,
                    RESULT_COLUMNS[table],
                    RESULT_KEYS[table],
                    {"run_id": run.run_id},
                    table=table,
                ),
            )
            for table, frame in results.items()
        ]
        return insert_run(
            self._db,
            "backtest_runs",
            RUN_COLUMNS,
            [getattr(run, c) for c in RUN_COLUMNS],
            shaped,
            what=f"store backtest run {run.run_id}",
        )

    def get(self, run_id: str) -> BacktestRunRecord | None:
        """One run's ``backtest_runs`` row, or ``None``."""
        found = self._db.rows(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM backtest_runs WHERE run_id = ?",
            [run_id],
            what="read a backtest run",
        )
        return _record(found[0]) if found else None

    def list(self, limit: int = 20, *, rule_id: str | None = None) -> list[BacktestRunRecord]:
        """The latest runs (of one rule, when given), newest first."""
        where = "WHERE rule_id = ? " if rule_id is not None else ""
        params: list[object] = [rule_id] if rule_id is not None else []
        rows = self._db.rows(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM backtest_runs {where}"
            "ORDER BY created_at DESC, run_id DESC LIMIT ?",
            [*params, int(limit)],
            what="list backtest runs",
        )
        return [_record(r) for r in rows]

    def load_frames(self, run_id: str) -> dict[str, pl.DataFrame]:
        """A stored run's rows: ``backtest_runs`` (one row) then each result table (sorted by
        every column). Raises :class:`NotFoundError`."""
        return load_run(
            self._db, "backtest_runs", RUN_COLUMNS, RESULT_COLUMNS, run_id, kind="backtest run"
        )


def _record(r: tuple[Any, ...]) -> BacktestRunRecord:
    return BacktestRunRecord(**dict(zip(RUN_COLUMNS, r, strict=True)))
