"""Stored spillover results of a study run: the matrix, the per-role tests, the controls.

==================== ============================================== ===========================
table                one row per                                    key
==================== ============================================== ===========================
spillover_cells      benchmark, event and measured ticker           event_id, ticker (+ bench)
spillover_role_tests role, window and test (main benchmark)         role, start, end, test
spillover_controls   event and control ticker                       event_id, ticker
==================== ============================================== ===========================

(every key also starts with ``run_id``; the run's ``study_runs`` row must exist, so these are
written in the transaction that stores the run). ``docs/sql.md`` documents the views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from storage.errors import StoreInputError
from storage.repos._db import Db
from storage.repos._results import append, shape

if TYPE_CHECKING:
    import polars as pl

#: Every spillover table's columns, in table order (``run_id`` first).
SPILLOVER_COLUMNS: dict[str, tuple[str, ...]] = {
    "spillover_cells": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "role",
        "day0",
        "own",
        "start",
        "end",
        "status",
        "car",
        "t",
        "p",
        "q",
        "confounded_by",
    ),
    "spillover_role_tests": (
        "run_id",
        "role",
        "start",
        "end",
        "test",
        "n",
        "caar",
        "stat",
        "p",
        "distribution",
        "note",
    ),
    "spillover_controls": (
        "run_id",
        "event_id",
        "ticker",
        "day0",
        "start",
        "end",
        "window_ret",
        "day0_ret",
    ),
}

SPILLOVER_KEYS: dict[str, tuple[str, ...]] = {
    "spillover_cells": ("run_id", "benchmark", "event_id", "ticker", "role", "start", "end"),
    "spillover_role_tests": ("run_id", "role", "start", "end", "test"),
    "spillover_controls": ("run_id", "event_id", "ticker", "start", "end"),
}


class SpilloverRepo:
    """The spillover tables of stored study runs."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def insert(self, run_id: str, frames: Mapping[str, pl.DataFrame]) -> int:
        """Append one run's spillover rows (all or nothing); returns the rows written.

        ``frames[table]`` has that table's columns (:data:`SPILLOVER_COLUMNS`) except
        ``run_id``; extra columns are left out, absent non-key columns are null.
        """
        unknown = sorted(set(frames) - SPILLOVER_COLUMNS.keys())
        if unknown:
            raise StoreInputError(
                f"study run {run_id!r}: there is no spillover table {', '.join(unknown)}"
            )
        written = 0
        what = f"store the spillover results of {run_id}"
        with self._db.atomic(what):
            for table, frame in frames.items():
                shaped = shape(
                    frame,
                    SPILLOVER_COLUMNS[table],
                    SPILLOVER_KEYS[table],
                    {"run_id": run_id},
                    table=table,
                )
                written += append(self._db, table, shaped, what=what)
        return written

    def frames(self, run_id: str) -> dict[str, pl.DataFrame]:
        """A stored run's spillover rows, table by table (sorted by every column; empty for a
        run that is not a spillover study)."""
        out = {}
        for table, cols in SPILLOVER_COLUMNS.items():
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[table] = self._db.frame(
                f"SELECT {quoted} FROM {table} WHERE run_id = ? ORDER BY ALL",
                [run_id],
                what=f"read the spillover results of {run_id}",
            )
        return out
