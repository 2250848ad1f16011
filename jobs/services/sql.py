"""Ad-hoc SQL against the store: run a query, shape the answer, explain failures in one line.

The connection is read-only unless the caller asks for ``write``; each query
opens and closes its own connection, so a refresh can take the file between
two queries of an interactive session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from jobs.errors import SqlError
from storage.store import Store

_CARET = re.compile(r"^(\s*)\^+\s*$")
_LINE = re.compile(r"^LINE (\d+): ")
_READ_ONLY = re.compile(r"read-only mode|read only mode|attached in read-only", re.IGNORECASE)
_STATEMENT = re.compile(r'statement of type "?(\w+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class SqlResult:
    """The last statement's rows (``None`` for statements that return nothing)."""

    frame: pl.DataFrame | None


def one_line_error(exc: duckdb.Error) -> str:
    """DuckDB's message on one line: ``<first line> (line L, column C)`` when it points somewhere."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    position = ""
    extra: list[str] = []
    skip_next = False
    for i, text in enumerate(lines[1:], start=1):
        if skip_next:
            skip_next = False
            continue
        m = _LINE.match(text)
        if m:
            c = _CARET.match(lines[i + 1]) if i + 1 < len(lines) else None
            if c:
                column = len(c.group(1)) - len(m.group(0)) + 1
                position = f" (line {m.group(1)}, column {max(column, 1)})"
                skip_next = True
            continue
        extra.append(text.strip())
    return lines[0].strip() + position + (f" - {' '.join(extra)}" if extra else "")


def run_sql(store: Store, query: str, *, write: bool = False) -> SqlResult:
    """Run ``query`` (one or more statements; the last one's rows are returned)."""
    if not query.strip():
        raise SqlError("the query is empty")
    with store.connect_public(write=write) as con:
        try:
            rel = con.sql(query)
            return SqlResult(rel.pl() if rel is not None else None)
        except duckdb.Error as exc:
            message = str(exc)
            if not write and _READ_ONLY.search(message):
                kind = _STATEMENT.search(message)
                what = kind.group(1).upper() if kind else "this statement"
                raise SqlError(
                    f"the store is opened read-only, so {what} is refused; "
                    "add --write if you mean to change the store"
                ) from exc
            raise SqlError(one_line_error(exc)) from exc


def list_relations(store: Store) -> pl.DataFrame:
    """The documented views and macros (schema ``main``) with their kind."""
    frame = run_sql(
        store,
        "SELECT table_name AS name, lower(table_type) AS kind FROM information_schema.tables "
        "WHERE table_schema = 'main' UNION ALL "
        "SELECT DISTINCT function_name, 'macro' FROM duckdb_functions() "
        "WHERE schema_name = 'main' AND function_type IN ('macro', 'table_macro') AND NOT internal "
        "ORDER BY kind DESC, name",
    ).frame
    return frame if frame is not None else pl.DataFrame()


def describe(store: Store, name: str) -> pl.DataFrame:
    """Columns and types of a view or table."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        raise SqlError(f"{name!r} is not a view name")
    result = run_sql(store, f"DESCRIBE {name}").frame
    return (result if result is not None else pl.DataFrame()).select("column_name", "column_type")


def write_output(frame: pl.DataFrame, fmt: str, path: Path | None) -> str | None:
    """Write ``frame`` as csv/json/parquet to ``path``, or return csv/json text for stdout.

    DuckDB's wide numbers (HUGEINT, and DECIMAL from ``sum`` of integers) would be written as
    JSON strings; they become 64-bit integers (scale 0, when they fit) or floats.
    """
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
