"""People's own SQL on the store: run statements, list the relations, describe one.

Opened with :meth:`storage.Store.open_sql`. The default schema is ``main`` (the documented
views of ``docs/sql.md``). Two switches, both off by default:

``write``
    Off: the file is opened read-only, so ``CREATE``, ``INSERT``, ``DROP`` ... are refused
    with a sentence (:class:`~storage.errors.ReadOnlyQueryError`). Temporary tables live in
    memory and are allowed.
``allow_external``
    Off: DuckDB's ``enable_external_access`` is false and the configuration is locked, so
    nothing but the store is reachable: ``COPY ... TO``, ``EXPORT``/``IMPORT DATABASE``,
    ``ATTACH``, ``read_csv``/``read_parquet``/``glob`` of any path, ``INSTALL``/``LOAD``
    of extensions that are not built in, persistent secrets, and every ``SET``/``RESET`` of
    a global option (``SET enable_external_access = true`` included) are refused with a
    sentence (:class:`~storage.errors.ExternalAccessError`). ``SET schema``/``USE`` still
    work. On: all of that is allowed (the store itself stays read-only unless ``write``).

Results come back as plain rows (:class:`QueryResult`), without importing polars;
:meth:`QueryResult.to_polars` makes a frame when one is needed (file outputs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from storage._duck import one_line
from storage.errors import ExternalAccessError, QueryError, ReadOnlyQueryError
from storage.repos._db import Db

if TYPE_CHECKING:
    import polars as pl

__all__ = ["ColumnInfo", "QueryResult", "Relation", "SqlRepo", "one_line_error"]

_READ_ONLY = re.compile(
    r"read-only mode|read only mode|attached in read-only|in-memory database in read-only",
    re.IGNORECASE,
)
_EXTERNAL = re.compile(
    r"disabled by configuration|disabled through configuration|external access", re.IGNORECASE
)
_LOCKED = re.compile(r"configuration has been locked", re.IGNORECASE)
_STATEMENT = re.compile(r'statement of type "?(\w+)"?', re.IGNORECASE)
_WRITE_HINT = "pass write=True (reaction sql --write) if you mean to change it"
_EXTERNAL_HINT = "Pass allow_external=True (reaction sql --allow-external) to allow it"


def one_line_error(exc: BaseException | str, *, line_offset: int = 0) -> str:
    """DuckDB's error message on one line, ``<first line> (line L, column C) - <hints>``."""
    return one_line(exc, line_offset=line_offset)


@dataclass(frozen=True)
class QueryResult:
    """The last statement's outcome.

    ``columns``/``types`` (DuckDB type names such as ``BIGINT`` or ``VARCHAR[]``) and
    ``rows`` (tuples of Python values) are empty for statements that return no rows;
    ``changed`` is the row count of ``INSERT``/``UPDATE``/``DELETE``/``COPY``/``CREATE
    TABLE AS`` when DuckDB reports one. ``truncated`` is true when ``max_rows`` cut the
    rows short.
    """

    statement: str
    columns: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    changed: int | None = None
    truncated: bool = False

    @property
    def has_rows(self) -> bool:
        """Whether the statement returns a table (possibly with no rows)."""
        return bool(self.columns)

    def to_polars(self) -> pl.DataFrame:
        """The rows as a polars frame, with dtypes from the DuckDB types where they map
        one to one (integers incl. HUGEINT, floats, DECIMAL, text, dates, times, booleans,
        lists of those); other columns are inferred from the values."""
        import polars as pl

        names = _unique(self.columns)
        series = [
            pl.Series(name, [r[i] for r in self.rows], dtype=_polars_type(t), strict=False)
            for i, (name, t) in enumerate(zip(names, self.types, strict=True))
        ]
        return pl.DataFrame(series)


@dataclass(frozen=True)
class Relation:
    """A documented view, table or macro of schema ``main``."""

    name: str
    kind: str  # "view", "table" (one a user made with --write) or "macro"


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a relation: name and DuckDB type."""

    name: str
    type: str


class SqlRepo:
    """Runs people's SQL on one connection (see the module docstring for the two switches)."""

    def __init__(self, db: Db, *, allow_external: bool) -> None:
        self._db = db
        self.allow_external = allow_external

    @property
    def read_only(self) -> bool:
        return self._db.read_only

    def run(self, query: str, *, max_rows: int | None = None) -> QueryResult:
        """Run ``query`` (one or more statements separated by ``;``, in order); the last one's
        outcome is returned. ``max_rows`` keeps only that many rows (``truncated`` then says so).

        Raises
        ------
        QueryError
            with DuckDB's message on one line and the position (line and column of the
            whole query); :class:`ReadOnlyQueryError` and :class:`ExternalAccessError`
            for refused statements, naming the switch that would allow them.
        """
        con = self._db.con
        try:
            statements = con.extract_statements(query)
        except duckdb.Error as exc:
            raise QueryError(one_line(exc)) from exc
        if not statements:
            raise QueryError("the query is empty")
        offset = 0
        result = QueryResult(statement="")
        for i, statement in enumerate(statements):
            kind = statement.type.name
            try:
                # the statement's own text: DuckDB then points at the right column
                cursor = con.execute(statement.query)
                if i < len(statements) - 1:
                    con.complete()
                else:
                    result = _outcome(con, cursor, statement, kind, max_rows)
            except duckdb.Error as exc:
                raise self._refusal(exc, kind, offset) from exc
            offset += statement.query.count("\n")
        return result

    def relations(self) -> list[Relation]:
        """The views and tables of schema ``main`` and its macros: views first, by name."""
        rows = self._db.rows(
            "SELECT table_name AS name, lower(table_type) AS kind FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_catalog = current_database() UNION ALL "
            "SELECT DISTINCT function_name, 'macro' FROM duckdb_functions() "
            "WHERE schema_name = 'main' AND function_type IN ('macro', 'table_macro') "
            "AND NOT internal AND database_name = current_database() "
            "ORDER BY kind DESC, name",
            what="list the views",
        )
        return [Relation(r[0], "table" if r[1] == "base table" else r[1]) for r in rows]

    def describe(self, name: str) -> list[ColumnInfo]:
        """Columns and types of a view or table (``main.<name>``, or ``schema.name``)."""
        schema, _, table = name.rpartition(".")
        schema = schema or "main"
        rows = self._db.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? AND table_catalog = current_database() "
            "ORDER BY ordinal_position",
            [schema, table],
            what=f"describe {name}",
        )
        if not rows:
            raise QueryError(f"no view or table {name!r}; '.tables' lists them")
        return [ColumnInfo(r[0], r[1]) for r in rows]

    def _refusal(self, exc: duckdb.Error, kind: str, line_offset: int) -> QueryError:
        message = one_line(exc, line_offset=line_offset)
        text = str(exc)
        if self.read_only and _READ_ONLY.search(text):
            m = _STATEMENT.search(text)
            what = m.group(1).upper() if m else kind
            return ReadOnlyQueryError(
                f"the store is opened read-only, so {what} is refused; {_WRITE_HINT}",
                statement=what,
            )
        if not self.allow_external and _LOCKED.search(text):
            return ExternalAccessError(
                f"settings are locked while file and network access is off for SQL on the "
                f"store, so this {kind} is refused: {message}. {_EXTERNAL_HINT}",
                statement=kind,
            )
        if not self.allow_external and (
            isinstance(exc, duckdb.PermissionException) or _EXTERNAL.search(text)
        ):
            return ExternalAccessError(
                f"file, network and extension access is off for SQL on the store, so this "
                f"{kind} is refused: {message}. {_EXTERNAL_HINT}",
                statement=kind,
            )
        return QueryError(message, statement=kind)


def _outcome(
    con: duckdb.DuckDBPyConnection,
    cursor: duckdb.DuckDBPyConnection,
    statement: Any,
    kind: str,
    max_rows: int | None,
) -> QueryResult:
    description = cursor.description or []
    columns = tuple(str(d[0]) for d in description)
    types = tuple(str(d[1]) for d in description)
    expected = statement.expected_result_type[0].name if statement.expected_result_type else ""
    if not columns or expected == "NOTHING":
        con.complete()
        return QueryResult(statement=kind)
    if expected == "CHANGED_ROWS" and columns == ("Count",) and types == ("BIGINT",):
        counted = cursor.fetchall()
        return QueryResult(statement=kind, changed=int(counted[0][0]) if counted else None)
    if max_rows is None:
        return QueryResult(kind, columns, types, cursor.fetchall())
    rows = cursor.fetchmany(max_rows + 1)
    truncated = len(rows) > max_rows
    if truncated:
        con.abort()
    return QueryResult(kind, columns, types, rows[:max_rows], truncated=truncated)


def _unique(names: tuple[str, ...]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k}")
    return out


_SIMPLE = {
    "BOOLEAN": "Boolean",
    "TINYINT": "Int8",
    "SMALLINT": "Int16",
    "INTEGER": "Int32",
    "BIGINT": "Int64",
    "HUGEINT": "Int128",
    "UTINYINT": "UInt8",
    "USMALLINT": "UInt16",
    "UINTEGER": "UInt32",
    "UBIGINT": "UInt64",
    "FLOAT": "Float32",
    "DOUBLE": "Float64",
    "VARCHAR": "String",
    "DATE": "Date",
    "TIME": "Time",
    "BLOB": "Binary",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def _polars_type(duck: str) -> Any:
    """The polars dtype of a DuckDB type name, or ``None`` (infer from the values)."""
    import polars as pl

    if duck in _SIMPLE:
        return getattr(pl, _SIMPLE[duck])
    if duck == "TIMESTAMP":
        return pl.Datetime("us")
    m = _DECIMAL.match(duck)
    if m:
        return pl.Decimal(int(m.group(1)), int(m.group(2)))
    if duck.endswith("[]"):
        inner = _polars_type(duck[:-2])
        return pl.List(inner) if inner is not None else None
    return None
