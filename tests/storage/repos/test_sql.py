"""People's SQL: read-only means read-only, no file or network access unless asked, one-line errors.

The refusals below are DuckDB 2's own (``enable_external_access = false`` with the
configuration locked, and a read-only file); each is checked to leave the store unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from storage.errors import (
    ExternalAccessError,
    QueryError,
    ReadOnlyError,
    ReadOnlyQueryError,
    StoreError,
)
from storage.repos import ColumnInfo, Relation
from storage.store import Store


@pytest.fixture
def filled(store: Store, prices: Callable[..., pl.DataFrame]) -> Store:
    with store.open(write=True) as db:
        db.market.upsert_prices(prices("AMZN", [10, 11, 12]), source="a")
    return store


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(store: Store, tmp_path: Path, allow_write: bool = False) -> list[tuple[str, str]]:
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n")
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "x.parquet")
    return [
        (f"COPY prices TO '{tmp_path / 'out.csv'}'", "COPY"),
        (f"COPY (SELECT 1) TO '{tmp_path / 'out.parquet'}' (FORMAT parquet)", "COPY"),
        (f"EXPORT DATABASE '{tmp_path / 'dump'}'", "EXPORT"),
        (f"IMPORT DATABASE '{tmp_path / 'dump'}'", "PRAGMA"),
        (f"ATTACH '{tmp_path / 'other.duckdb'}' AS other", "ATTACH"),
        ("SELECT * FROM read_csv('/etc/passwd')", "SELECT"),
        (f"SELECT * FROM '{secret}'", "SELECT"),
        (f"SELECT * FROM read_parquet('{tmp_path / 'x.parquet'}')", "SELECT"),
        ("SELECT * FROM glob('/*')", "SELECT"),
        ("SELECT * FROM read_text('/etc/hostname')", "SELECT"),
        ("INSTALL httpfs", "LOAD"),
        ("LOAD httpfs", "LOAD"),
        ("SET enable_external_access = true", "SET"),
        ("RESET enable_external_access", "SET"),
        ("SET lock_configuration = false", "SET"),
        ("SET allowed_directories = ['/']", "SET"),
        ("CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "CREATE"),
    ]


@pytest.mark.parametrize("write", [False, True], ids=["read-only", "write"])
def test_outside_access_is_refused_with_a_sentence(
    filled: Store, tmp_path: Path, write: bool
) -> None:
    before = _digest(filled.path)
    with filled.open_sql(write=write) as sql:
        for statement, kind in _refused(filled, tmp_path):
            with pytest.raises(ExternalAccessError) as info:
                sql.run(statement)
            message = str(info.value)
            assert f"so this {kind} is refused" in message, statement
            assert "allow_external=True (reaction sql --allow-external)" in message
            assert "\n" not in message
        assert sql.run("SELECT count(*) FROM prices").rows == [(3,)]  # the session goes on
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "dump").exists()
    assert not (tmp_path / "other.duckdb").exists()
    if not write:
        assert _digest(filled.path) == before
    with filled.open() as db:
        assert db.market.prices().height == 3


def test_read_only_refuses_every_write(filled: Store) -> None:
    before = _digest(filled.path)
    with filled.open_sql() as sql:
        for statement, kind in [
            ("CREATE TABLE x (a INT)", "CREATE"),
            (
                "INSERT INTO core.prices (ticker, date, close, source, fetched_at) VALUES ('X', DATE '2025-01-02', 1, 's', now())",
                "INSERT",
            ),
            ("UPDATE core.prices SET close = 0", "UPDATE"),
            ("DELETE FROM core.prices", "DELETE"),
            ("DROP VIEW prices", "DROP"),
            ("ALTER TABLE core.prices ADD COLUMN x INT", "ALTER"),
            ("CREATE OR REPLACE VIEW prices AS SELECT 1", "CREATE"),
            ("ATTACH ':memory:' AS m", "ATTACH"),
        ]:
            with pytest.raises(
                ReadOnlyQueryError, match=f"opened read-only, so {kind} is refused; pass write=True"
            ):
                sql.run(statement)
        for harmless in (
            "CHECKPOINT",
            "VACUUM",
            "SET schema = 'core'",
            "CREATE TEMP TABLE t AS SELECT 1 AS a",
        ):
            sql.run(harmless)
        assert sql.run("SELECT count(*) FROM prices").rows == [(3,)]  # core.prices, via SET schema
    assert _digest(filled.path) == before
    assert issubclass(ReadOnlyQueryError, ReadOnlyError)


def test_write_mode_writes(filled: Store) -> None:
    with filled.open_sql(write=True) as sql:
        assert sql.run("CREATE TABLE notes (a INT)").statement == "CREATE"
        assert sql.run("INSERT INTO notes VALUES (1), (2)").changed == 2
        assert sql.run("INSERT INTO notes VALUES (3) RETURNING a").rows == [(3,)]
    with filled.open_sql() as sql:
        assert sql.run("SELECT sum(a) AS s FROM main.notes").rows == [(6,)]
        assert Relation("notes", "table") in sql.relations()


def test_allow_external_opens_files(filled: Store, tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_text("a,b\n1,2\n")
    with filled.open_sql(allow_external=True) as sql:
        assert sql.run(f"SELECT a + b FROM read_csv('{data}')").rows == [(3,)]
        assert sql.run(f"COPY (SELECT * FROM prices) TO '{tmp_path / 'out.csv'}'").changed == 3
        with pytest.raises(ReadOnlyQueryError):
            sql.run("CREATE TABLE x (a INT)")  # the store itself stays read-only
    assert (tmp_path / "out.csv").read_text().startswith("ticker,date")


def test_results_are_plain_rows_and_the_last_statement_counts(filled: Store) -> None:
    with filled.open_sql() as sql:
        result = sql.run(
            "SELECT 1;\nSELECT ticker, count(*) AS n, max(date) AS last FROM prices GROUP BY ticker"
        )
        assert (result.statement, result.columns, result.types) == (
            "SELECT",
            ("ticker", "n", "last"),
            ("VARCHAR", "BIGINT", "DATE"),
        )
        assert result.rows == [("AMZN", 3, dt.date(2025, 10, 3))]
        assert sql.run("SET schema = 'main'").has_rows is False
        cut = sql.run("SELECT * FROM range(10)", max_rows=3)
        assert cut.rows == [(0,), (1,), (2,)] and cut.truncated
        assert sql.run("SELECT 7").rows == [(7,)]  # the connection is free again
        assert sql.run("SELECT * FROM range(2)", max_rows=3).truncated is False


def test_to_polars_keeps_duckdb_types(filled: Store) -> None:
    with filled.open_sql() as sql:
        frame = sql.run(
            "SELECT sum(volume) AS total, 1.25::DECIMAL(10, 2) AS d, ['a', 'b'] AS l, "
            "{'k': 1} AS s, DATE '2025-01-02' AS day, NULL::DOUBLE AS x, 1 AS a, 2 AS a FROM prices"
        ).to_polars()
    assert frame.schema == pl.Schema(
        {
            "total": pl.Int128,
            "d": pl.Decimal(10, 2),
            "l": pl.List(pl.String),
            "s": pl.Struct({"k": pl.Int64}),
            "day": pl.Date,
            "x": pl.Float64,
            "a": pl.Int32,
            "a_1": pl.Int32,
        }
    )
    assert frame.row(0)[:2] == (300, Decimal("1.25"))


def test_errors_are_one_line_with_the_position_in_the_whole_query(filled: Store) -> None:
    with filled.open_sql() as sql:
        with pytest.raises(
            QueryError,
            match=r'^Parser Error: syntax error at or near "day0" \(line 1, column 27\)$',
        ):
            sql.run("SELECT * FROM events WHER day0 > '2025-01-01'")
        with pytest.raises(QueryError) as info:
            sql.run("-- first\nSELECT 1;\n\nSELECT\n  nope FROM prices")
        assert str(info.value).startswith(
            'Binder Error: Referenced column "nope" not found in FROM clause! (line 5, column 3)'
        )
        assert info.value.statement == "SELECT"
        with pytest.raises(QueryError, match="the query is empty"):
            sql.run("  -- nothing\n")


def test_relations_and_describe(filled: Store) -> None:
    with filled.open_sql() as sql:
        relations = sql.relations()
        assert (
            Relation("prices", "view") in relations
            and Relation("market_model_ar", "macro") in relations
        )
        assert [r.kind for r in relations] == sorted((r.kind for r in relations), reverse=True)
        assert sql.describe("sessions") == [
            ColumnInfo("date", "DATE"),
            ColumnInfo("session_no", "INTEGER"),
        ]
        assert sql.describe("core.sessions")[1].name == "session_no"
        with pytest.raises(QueryError, match="no view or table 'nope'"):
            sql.describe("nope")


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    store = Store(tmp_path / "none.duckdb")
    for write in (False, True):
        with pytest.raises(StoreError, match="no store at"):
            store.open_sql(write=write).__enter__()
    assert not store.path.exists()
