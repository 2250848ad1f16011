"""The earlier Store API (raw connections, per-call opens): migrations, upsert counting, rollback,
the file lock. Goes when that API does; tests/storage/test_session.py covers sessions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from storage.errors import SchemaVersionError, StoreError, StoreLockedError
from storage.schema import LATEST_VERSION
from storage.store import Store, UpsertCounts

FIXED = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)


def _prices(values: list[float], start: int = 1) -> pl.DataFrame:
    closes = [float(v) for v in values]
    n = len(closes)
    return pl.DataFrame(
        {
            "ticker": ["AMZN"] * n,
            "date": [dt.date(2025, 10, start + i) for i in range(n)],
            "open": closes,
            "high": [c + 1 for c in closes],
            "low": [c - 1 for c in closes],
            "close": closes,
            "adj_close": [None] * n,
            "volume": [100] * n,
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.duckdb", clock=lambda: FIXED)


def test_migrations_create_schema_once(store: Store) -> None:
    assert store.init() == LATEST_VERSION
    assert store.init() == LATEST_VERSION
    versions = store.query("SELECT version FROM schema_version ORDER BY version")
    assert versions.get_column("version").to_list() == list(range(1, LATEST_VERSION + 1))


def test_newer_schema_is_refused(store: Store) -> None:
    store.init()
    con = duckdb.connect(str(store.path))
    con.execute("INSERT INTO core.schema_version VALUES (999, 'future', now())")
    con.close()
    with pytest.raises(SchemaVersionError, match="schema version 999, newer than"):
        store.init()


def test_upsert_counts_and_idempotence(store: Store) -> None:
    with store.transaction() as con:
        assert store.upsert_prices(con, _prices([10, 11, 12]), source="a") == UpsertCounts(3, 0, 0)
    with store.transaction() as con:
        assert store.upsert_prices(con, _prices([10, 11, 12]), source="a") == UpsertCounts(0, 0, 3)
    with store.transaction() as con:
        # one revised close, one new day
        assert store.upsert_prices(con, _prices([10, 11.5, 12, 13]), source="b") == UpsertCounts(
            1, 1, 2
        )
    stored = store.prices(["amzn"])
    assert stored.get_column("close").to_list() == [10, 11.5, 12, 13]
    assert stored.get_column("source").to_list() == ["a", "b", "a", "b"]


def test_failed_transaction_leaves_store_unchanged(store: Store) -> None:
    with store.transaction() as con:
        store.upsert_prices(con, _prices([10, 11]), source="a")
    before = store.prices()

    class BoomError(Exception):
        pass

    def failing_write() -> None:
        with store.transaction() as con:
            store.upsert_prices(con, _prices([99, 98, 97]), source="bad")
            raise BoomError

    with pytest.raises(BoomError):
        failing_write()
    after = store.prices()
    assert after.equals(before)


def test_memory_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="must be a file"):
        Store(":memory:")


def test_read_only_open_of_missing_store_says_how_to_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no store at .*reaction prices import"):
        Store(tmp_path / "none.duckdb").query("SELECT 1")


HOLDER = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_locked_store_fails_with_a_sentence(store: Store) -> None:
    store.init()
    proc = _hold(store.path, 5)
    try:
        with pytest.raises(StoreLockedError, match="in use by another process"):
            store.query("SELECT 1")
    finally:
        proc.kill()
        proc.communicate()


def test_locked_store_waits_then_succeeds(tmp_path: Path) -> None:
    messages: list[str] = []
    store = Store(tmp_path / "w.duckdb", lock_timeout=20, on_wait=messages.append)
    store.init()
    proc = _hold(store.path, 1.5)
    try:
        started = time.monotonic()
        assert store.query("SELECT 42 AS x").item() == 42
        assert time.monotonic() - started > 0.5
        assert messages
        assert "busy" in messages[0]
    finally:
        proc.communicate()
