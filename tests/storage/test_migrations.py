"""Migrations as ``.sql`` files: the same schema as the Python list they replaced, and an
existing version-6 store opens and upgrades without losing anything."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from storage.repos.backtest_runs import RESULT_KEYS as BACKTEST_RESULT_KEYS
from storage.repos.market import UNINDEXED
from storage.repos.study_runs import RESULT_KEYS
from storage.schema import LATEST_VERSION, MIGRATIONS, Migration
from storage.store import Store

FIXED = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)


def _legacy() -> ModuleType:
    """``legacy_schema.py`` beside this file (tests are not a package: load it by path)."""
    path = Path(__file__).with_name("legacy_schema.py")
    spec = importlib.util.spec_from_file_location("legacy_schema", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


LEGACY = _legacy()


def _apply(path: Path, scripts: list[tuple[int, str, list[str]]]) -> None:
    """Build a store the way the store did before files: schema ``core``, one transaction each."""
    con = duckdb.connect(str(path), config={"storage_compatibility_version": "v1.5.0"})
    con.execute("CREATE SCHEMA core")
    con.execute("SET schema = 'core'")
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, "
        "applied_at TIMESTAMPTZ)"
    )
    for version, description, statements in scripts:
        con.execute("BEGIN TRANSACTION")
        for statement in statements:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [version, description, FIXED])
        con.execute("COMMIT")
    con.close()


def _legacy_store(path: Path) -> Path:
    _apply(path, [(m.version, m.description, list(m.statements)) for m in LEGACY.MIGRATIONS])
    return path


def _files_store(path: Path, migrations: tuple[Migration, ...]) -> Path:
    _apply(path, [(m.version, m.description, [m.sql]) for m in migrations])
    return path


def _squash(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip()


def _schema(path: Path, *, view_sql: bool) -> dict[str, Any]:
    """Everything about a store's schema that a reader or writer can see (not the data)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        out: dict[str, Any] = {
            "columns": q(
                "SELECT schema_name, table_name, column_index, column_name, data_type, "
                "is_nullable, column_default FROM duckdb_columns() "
                "WHERE database_name = current_database() ORDER BY ALL"
            ),
            "tables": q(
                "SELECT schema_name, table_name, has_primary_key, column_count, index_count "
                "FROM duckdb_tables() WHERE database_name = current_database() ORDER BY ALL"
            ),
            "constraints": q(
                "SELECT schema_name, table_name, constraint_type, constraint_text, "
                "constraint_column_names FROM duckdb_constraints() "
                "WHERE database_name = current_database() ORDER BY ALL"
            ),
            "sequences": q(
                "SELECT schema_name, sequence_name, start_value, increment_by, min_value, "
                "max_value, cycle FROM duckdb_sequences() "
                "WHERE database_name = current_database() ORDER BY ALL"
            ),
            "macros": q(
                "SELECT schema_name, function_name, function_type, parameters, macro_definition "
                "FROM duckdb_functions() WHERE database_name = current_database() "
                "AND NOT internal ORDER BY ALL"
            ),
            "views": q(
                "SELECT schema_name, view_name, column_count FROM duckdb_views() "
                "WHERE database_name = current_database() AND NOT internal ORDER BY ALL"
            ),
            "versions": q("SELECT version, description FROM core.schema_version ORDER BY 1"),
        }
        if view_sql:
            out["view_sql"] = [
                (s, n, _squash(sql))
                for s, n, sql in q(
                    "SELECT schema_name, view_name, sql FROM duckdb_views() "
                    "WHERE database_name = current_database() AND NOT internal ORDER BY ALL"
                )
            ]
        return out
    finally:
        con.close()


def test_files_1_to_6_build_exactly_the_old_schema(tmp_path: Path) -> None:
    old = _schema(_legacy_store(tmp_path / "old.duckdb"), view_sql=True)
    new = _schema(_files_store(tmp_path / "new.duckdb", MIGRATIONS[:6]), view_sql=True)
    assert len(old["columns"]) > 200 and len(old["views"]) == 29
    for part in old:
        assert new[part] == old[part], part


#: Columns later migrations add to old tables and views: (table or view, column).
ADDED_COLUMNS = {
    (t, c) for t in ("tests", "latest_tests") for c in ("ci_low", "ci_high")
}  # 0014: the interval tests' bounds


def _without_added(schema: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The schema without :data:`ADDED_COLUMNS` (the column counts reduced to match)."""
    out = dict(schema)
    out["columns"] = [c for c in schema["columns"] if (c[1], c[3]) not in ADDED_COLUMNS]
    extra = {}
    for c in schema["columns"]:
        if (c[1], c[3]) in ADDED_COLUMNS:
            extra[(c[0], c[1])] = extra.get((c[0], c[1]), 0) + 1
    out["views"] = [(s, n, k - extra.get((s, n), 0)) for s, n, k in schema["views"]]
    out["tables"] = [
        (s, n, pk, k - extra.get((s, n), 0), ix) for s, n, pk, k, ix in schema["tables"]
    ]
    return out


def test_the_latest_schema_has_the_old_tables_views_and_columns(tmp_path: Path) -> None:
    old = _schema(_legacy_store(tmp_path / "old.duckdb"), view_sql=False)
    store = Store(tmp_path / "latest.duckdb", clock=lambda: FIXED)
    with store.open(write=True) as db:
        assert db.schema_version == LATEST_VERSION
    new = _schema(store.path, view_sql=False)
    # migration 0010 removed the key indexes of the run result tables (their repositories
    # check the keys), 0016 that of prices (the upsert keeps its keys unique); everything
    # else of the old schema stays as it was
    unkeyed = set(RESULT_KEYS) | set(BACKTEST_RESULT_KEYS) | set(UNINDEXED)

    def without_keys(part: str, rows: list[Any]) -> list[Any]:
        if part == "constraints":
            return [r for r in rows if not (r[1] in unkeyed and r[2] == "PRIMARY KEY")]
        if part == "tables":
            return [(*r[:2], False, r[3], 0) if r[1] in unkeyed else r for r in rows]
        return rows

    for part in ("columns", "tables", "constraints", "sequences", "macros", "views"):
        # later migrations add tables, views and columns (0012: the timing evidence columns
        # on core.events, and event_aliases); every old one stays as it was, at its old
        # position (a table's column count grows with its columns: compared column by column)
        key = {"tables": 2, "views": 2}.get(part)
        rows = without_keys(part, old[part])
        have = [row[:key] if key else row for row in new[part]]
        missing = [row for row in rows if (row[:key] if key else row) not in have]
        assert not missing, (part, missing[:5])
    assert new["versions"][:6] == old["versions"]


def test_public_views_name_their_columns(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    with store.open(write=True):
        pass  # created at the latest schema
    con = duckdb.connect(str(store.path), read_only=True)
    views = con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
    ).fetchall()
    con.close()
    starred = [name for name, sql in views if re.search(r"(SELECT|\w\.|,)\s*\*", sql)]
    assert starred == []


def test_descriptions_and_numbers_of_the_files() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert [m.description for m in MIGRATIONS[:6]] == [m.description for m in LEGACY.MIGRATIONS]
    assert all(re.fullmatch(r"\d{4}_[a-z0-9_]+\.sql", m.name) for m in MIGRATIONS)
    assert MIGRATIONS[6].name == "0007_explicit_view_columns.sql"


@pytest.fixture
def version6(tmp_path: Path) -> Path:
    """A store as the previous release left it (version 6), with a few rows in it."""
    path = _legacy_store(tmp_path / "v6.duckdb")
    con = duckdb.connect(str(path))
    con.execute("SET schema = 'core'")
    con.execute(
        "INSERT INTO prices VALUES ('AMZN', DATE '2025-10-31', 1, 2, 0.5, 1.5, NULL, 10, 'x', ?)",
        [FIXED],
    )
    con.execute(
        "INSERT INTO events VALUES ('e1', 'T', 'deal', DATE '2025-10-30', NULL, 'unknown', "
        "DATE '2025-10-30', 'assumed_same_session', TRUE, '', [], '', ?, ['AMZN'])",
        [FIXED],
    )
    con.execute("INSERT INTO event_tickers VALUES ('e1', 'AMZN', 0)")
    con.close()
    return path


def _view_columns(path: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT table_name, ordinal_position, column_name, data_type FROM "
            "information_schema.columns WHERE table_schema = 'main' ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def test_a_version_6_store_is_read_as_it_is(version6: Path) -> None:
    before = version6.read_bytes()
    with Store(version6).open() as db:
        assert db.schema_version == 6
        assert [e.event_id for e in db.events.list()] == ["e1"]
        assert db.market.spans()["AMZN"].rows == 1
    assert version6.read_bytes() == before  # a read-only open changes nothing


def test_a_version_6_store_upgrades_on_write_keeping_rows_and_columns(version6: Path) -> None:
    columns = _view_columns(version6)
    with Store(version6, clock=lambda: FIXED).open(write=True) as db:
        assert db.schema_version == LATEST_VERSION
        assert db.market.prices().get_column("close").to_list() == [1.5]
        assert db.events.get("e1") is not None
    after = _view_columns(version6)
    assert set(columns) <= set(after)  # every view column of version 6 is still there
    # the views added later are the only new ones, and the old views gain only ADDED_COLUMNS
    old_views = {c[0] for c in columns}
    assert {c for c in after if c[0] in old_views and (c[0], c[2]) not in ADDED_COLUMNS} == set(
        columns
    )
    assert {(c[0], c[2]) for c in after if (c[0], c[2]) in ADDED_COLUMNS} == ADDED_COLUMNS
    con = duckdb.connect(str(version6), read_only=True)
    assert con.execute("SELECT max(version) FROM core.schema_version").fetchall() == [
        (LATEST_VERSION,)
    ]
    assert con.execute("SELECT ticker, return_close FROM main.prices").fetchall() == [("AMZN", 1.5)]
    con.close()
