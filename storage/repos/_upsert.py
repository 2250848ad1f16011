"""Counting upserts: insert new keys, update changed rows, leave identical rows alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage._frames import strictly_increasing
from storage.repos._db import Db

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class UpsertCounts:
    """What an upsert did: rows new to the store, rows whose values changed, the rest."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


@dataclass(frozen=True)
class Table:
    """A base table as an upsert sees it: key columns, value columns, provenance stamps."""

    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    stamp: tuple[str, ...]  # provenance columns set on insert/update

    @property
    def columns(self) -> tuple[str, ...]:
        """Keys then values (the columns a caller's frame provides)."""
        return (*self.keys, *self.values)


def upsert(
    db: Db, table: Table, frame: pl.DataFrame, stamp: Sequence[object], *, what: str
) -> UpsertCounts:
    """Upsert ``frame`` (``table.columns``, already cast) into ``table`` and count what changed.

    Rows are deduplicated on the keys first (the last duplicate wins: DuckDB would keep
    the first). A row counts as updated when any value column differs (``IS DISTINCT
    FROM``, so nulls compare); only new and changed rows are written, so re-loading the
    same data leaves the provenance stamps alone. Changed rows are updated in place and new
    keys inserted by an anti-join, so the table needs no key index (``prices`` has none since
    migration 0016) and keeps its keys unique. Atomic: one transaction (or the open one).
    """
    if frame.height == 0:
        return UpsertCounts()
    staged = (  # a frame in key order without repeats (as files are read) is kept as it is
        frame
        if strictly_increasing(frame, table.keys)
        else frame.unique(subset=list(table.keys), keep="last", maintain_order=True)
    )
    with db.atomic(what), db.registered("_staged", staged, what=what):
        return upsert_from(db, table, "_staged", stamp, what=what)


def upsert_from(
    db: Db, table: Table, relation: str, stamp: Sequence[object], *, what: str
) -> UpsertCounts:
    """Upsert the rows of ``relation`` into ``table`` and count what changed (see :func:`upsert`).

    ``relation`` names a registered frame or a temporary table with ``table.columns``, of
    the table's types and without repeated keys.
    """
    on = " AND ".join(f"s.{k} = t.{k}" for k in table.keys)
    diff = " OR ".join(f"s.{v} IS DISTINCT FROM t.{v}" for v in table.values)
    first_key = table.keys[0]
    with db.atomic(what):
        counts = db.row(
            f"SELECT count(*) FILTER (WHERE t.{first_key} IS NULL), "
            f"count(*) FILTER (WHERE t.{first_key} IS NOT NULL AND ({diff})), count(*) "
            f"FROM {relation} s LEFT JOIN {table.name} t ON {on}",
            what=what,
        )
        assert counts is not None  # an aggregate always returns one row
        inserted, updated, total = int(counts[0]), int(counts[1]), int(counts[2])
        if updated:
            sets = ", ".join(
                [f"{v} = s.{v}" for v in table.values] + [f"{c} = ?" for c in table.stamp]
            )
            db.execute(
                f"UPDATE {table.name} t SET {sets} FROM {relation} s WHERE {on} AND ({diff})",
                list(stamp),
                what=what,
            )
        if inserted:
            cols = table.columns
            select = ", ".join(f"s.{c}" for c in cols)
            placeholders = ", ".join("?" for _ in table.stamp)
            db.execute(
                f"INSERT INTO {table.name} ({', '.join((*cols, *table.stamp))}) "
                f"SELECT {select}, {placeholders} FROM {relation} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} t WHERE {on})",
                list(stamp),
                what=what,
            )
    return UpsertCounts(inserted, updated, total - inserted - updated)
