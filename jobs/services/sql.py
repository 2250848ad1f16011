"""Ad-hoc SQL against the store: run a query, shape the answer, explain failures in one line.

The connection is read-only unless the caller asks for ``write``, and reaches nothing but the
store unless ``allow_external``; each query opens and closes its own connection, so a refresh
can take the file between two queries of an interactive session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobs.errors import SqlError
from storage.errors import ExternalAccessError, QueryError, ReadOnlyQueryError

if TYPE_CHECKING:
    import polars as pl

    from storage.repos.sql import QueryResult
    from storage.store import Store


@dataclass(frozen=True)
class SqlResult:
    """The last statement's outcome: rows as tuples (``result``), or a polars ``frame``."""

    result: QueryResult

    @property
    def frame(self) -> pl.DataFrame | None:
        """The rows as a polars frame (``None`` for statements that return no table)."""
        return self.result.to_polars() if self.result.has_rows else None


def run_sql(
    store: Store, query: str, *, write: bool = False, allow_external: bool = False
) -> SqlResult:
    """Run ``query`` (one or more statements; the last one's rows are returned).

    Read-only unless ``write``; no file, network or extension access and no settings changes
    unless ``allow_external`` (:meth:`storage.Store.open_sql`).
    """
    if not query.strip():
        raise SqlError("the query is empty")
    with store.open_sql(write=write, allow_external=allow_external) as sql:
        try:
            return SqlResult(sql.run(query))
        except ReadOnlyQueryError as exc:
            raise SqlError(
                f"the store is opened read-only, so {exc.statement or 'this statement'} is "
                "refused; add --write if you mean to change the store"
            ) from exc
        except ExternalAccessError as exc:
            raise SqlError(
                f"this {exc.statement or 'statement'} reaches outside the store (files, the "
                "network, extensions or settings), which 'reaction sql' refuses; add "
                f"--allow-external if you mean it ({str(exc).split(': ', 1)[-1].split('. Pass')[0]})"
            ) from exc
        except QueryError as exc:
            raise SqlError(str(exc)) from exc


def list_relations(store: Store) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The documented views and macros (schema ``main``) with their kind: columns and rows."""
    with store.open_sql() as sql:
        return ["name", "kind"], [(r.name, r.kind) for r in sql.relations()]


def describe(store: Store, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns and types of a view or table: columns and rows."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        raise SqlError(f"{name!r} is not a view name")
    with store.open_sql() as sql:
        try:
            columns = sql.describe(name)
        except QueryError as exc:
            raise SqlError(str(exc)) from exc
    return ["column_name", "column_type"], [(c.name, c.type) for c in columns]


def write_output(frame: pl.DataFrame, fmt: str, path: Path | None) -> str | None:
    """Write ``frame`` as csv/json/parquet to ``path``, or return csv/json text for stdout.

    DuckDB's wide numbers (HUGEINT, and DECIMAL from ``sum`` of integers) would be written as
    JSON strings; they become 64-bit integers (scale 0, when they fit) or floats.
    """
    import polars as pl

    for c, t in frame.schema.items():
        if t in (pl.Int128, pl.UInt64) or (isinstance(t, pl.Decimal) and (t.scale or 0) == 0):
            narrowed = frame.get_column(c).cast(pl.Int64, strict=False)
            if narrowed.null_count() == frame.get_column(c).null_count():
                frame = frame.with_columns(narrowed.alias(c))
        elif isinstance(t, pl.Decimal):
            frame = frame.with_columns(pl.col(c).cast(pl.Float64))
    if fmt == "parquet":
        if path is None:
            raise SqlError("--format parquet needs --output FILE")
        frame.write_parquet(path)
        return None
    if fmt == "csv":
        flat = frame.with_columns(
            [
                pl.col(c).cast(pl.List(pl.String)).list.join(";")
                for c, t in frame.schema.items()
                if isinstance(t, pl.List)
            ]
        )
        nested = [c for c, t in flat.schema.items() if isinstance(t, pl.Struct | pl.Array)]
        if nested:
            raise SqlError(
                f"column(s) {', '.join(nested)} are nested (struct/array): CSV cannot hold them; "
                "use --format json or parquet, or select their fields"
            )
        text = flat.write_csv()
    elif fmt == "json":
        text = frame.write_json()
    else:
        raise SqlError(f"--format {fmt!r} is not one of table, csv, json, parquet")
    if path is not None:
        path.write_text(text, encoding="utf-8")
        return None
    return text
