"""The loads log: one row per data load (a file import, a fetch, a catalog) with its counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from storage.errors import StoreInputError
from storage.repos._db import Db
from storage.repos._upsert import UpsertCounts

_NO_ROWS = UpsertCounts()

_COLUMNS = (
    "load_id",
    "kind",
    "target",
    "started_at",
    "finished_at",
    "rows_inserted",
    "rows_updated",
    "rows_unchanged",
    "rows_rejected",
    "outcome",
    "error",
)


@dataclass(frozen=True, kw_only=True)
class LoadRecord:
    """A ``loads`` row. ``kind`` is e.g. ``prices-file``, ``fetch``, ``factors``, ``events``;
    ``target`` the file, ticker or catalog; ``outcome`` ``ok``, ``ok-with-rejections`` or
    ``failed`` (then ``error`` says why)."""

    load_id: int
    kind: str
    target: str
    started_at: dt.datetime
    finished_at: dt.datetime
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    outcome: str
    error: str | None


class LoadsRepo:
    """Record data loads and read them back."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def record(
        self,
        *,
        kind: str,
        target: str,
        started_at: dt.datetime,
        counts: UpsertCounts = _NO_ROWS,
        rejected: int = 0,
        outcome: str = "ok",
        error: str | None = None,
        finished_at: dt.datetime | None = None,
    ) -> int:
        """Record one load (in the open transaction, if any, so it commits with the data);
        returns its ``load_id``. ``finished_at`` defaults to now."""
        if not kind or not outcome:
            raise StoreInputError("a load needs a kind and an outcome")
        if rejected < 0:
            raise StoreInputError(f"rejected rows cannot be negative ({rejected})")
        what = f"record the {kind} load of {target}"
        self._db.require_write(what)
        row = self._db.row(
            "INSERT INTO loads (kind, target, started_at, finished_at, rows_inserted, rows_updated, "
            "rows_unchanged, rows_rejected, outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING load_id",
            [
                kind,
                target,
                started_at,
                finished_at or self._db.clock(),
                counts.inserted,
                counts.updated,
                counts.unchanged,
                rejected,
                outcome,
                error,
            ],
            what=what,
        )
        assert row is not None  # RETURNING gives the inserted row
        return int(row[0])

    def recent(self, limit: int = 10, *, kind: str | None = None) -> list[LoadRecord]:
        """The latest loads (of one kind, when given), newest first."""
        where = "WHERE kind = ? " if kind is not None else ""
        params: list[object] = [kind] if kind is not None else []
        rows = self._db.rows(
            f"SELECT {', '.join(_COLUMNS)} FROM loads {where}ORDER BY load_id DESC LIMIT ?",
            [*params, int(limit)],
            what="read the loads log",
        )
        return [_record(r) for r in rows]

    def has(self, kind: str, target: str | None = None) -> bool:
        """Whether a load of ``kind`` (for ``target``, when given) was ever recorded."""
        sql = "SELECT count(*) FROM loads WHERE kind = ?"
        params: list[object] = [kind]
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        return bool(self._db.value(sql, params, what="look up the loads log"))


def _record(r: tuple[Any, ...]) -> LoadRecord:
    return LoadRecord(**dict(zip(_COLUMNS, r, strict=True)))
