"""Sessions: one connection per unit of work, transactions, snapshots, errors in sentences."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

import storage._duck
from storage.errors import ReadOnlyError, SchemaVersionError, StoreError, StoreLockedError
from storage.repos import UpsertCounts
from storage.schema import LATEST_VERSION
from storage.store import Store

FIXED = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)


def _prices(closes: list[float], ticker: str = "AMZN") -> pl.DataFrame:
    n = len(closes)
    return pl.DataFrame(
        {
            "ticker": [ticker] * n,
            "date": [dt.date(2025, 10, 1) + dt.timedelta(days=i) for i in range(n)],
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "adj_close": [None] * n,
            "volume": [1] * n,
        },
        schema_overrides={
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
        },
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.duckdb", clock=lambda: FIXED)


class _Counting:
    """Counts ``duckdb.connect`` calls made by the store."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = duckdb.connect

        def connect(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(storage._duck.duckdb, "connect", connect)


def test_one_connection_per_session(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    opened = _Counting(monkeypatch)
    with store.open(write=True) as db:
        db.market.ensure_sessions([dt.date(2025, 10, 1) + dt.timedelta(days=i) for i in range(10)])
        db.market.upsert_prices(_prices([1, 2, 3]), source="a")
        db.loads.record(kind="prices-file", target="x", started_at=FIXED)
        db.studies.register("seed", definition="x = 1")
    with store.open() as db:
        db.market.prices()
        db.market.coverage()
        db.events.list()
        db.study_runs.list()
        db.refresh_log.history()
        db.loads.recent()
    assert opened.calls == 2


def test_migrations_are_applied_on_the_first_write_open_only(store: Store) -> None:
    with store.open(write=True) as db:
        assert db.schema_version == LATEST_VERSION and db.writable
    with store.open(write=True) as db:
        assert db.schema_version == LATEST_VERSION
    with store.open_sql() as sql:
        rows = sql.run("SELECT version, applied_at FROM core.schema_version ORDER BY version").rows
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))
    with store.open() as db:
        assert db.schema_version == LATEST_VERSION and not db.writable


def test_a_newer_schema_is_refused_by_every_open(store: Store) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    con = duckdb.connect(str(store.path))
    con.execute("INSERT INTO core.schema_version VALUES (999, 'future', now())")
    con.close()
    for write in (False, True):
        with pytest.raises(SchemaVersionError, match="schema version 999, newer than"):
            store.open(write=write).__enter__()


def test_reading_a_missing_or_empty_store_says_what_to_do(store: Store) -> None:
    with pytest.raises(StoreError, match=r"no store at .*reaction prices import"):
        store.open().__enter__()
    duckdb.connect(str(store.path)).close()  # a DuckDB file, but not ours (yet)
    with pytest.raises(StoreError, match="has no market-reaction tables yet; any write"):
        store.open().__enter__()


def test_a_transaction_commits_or_rolls_back_whole(store: Store) -> None:
    class BoomError(Exception):
        pass

    with store.open(write=True) as db:
        with db.transaction():
            assert db.in_transaction
            db.market.upsert_prices(_prices([1, 2]), source="a")
            db.loads.record(kind="prices-file", target="a", started_at=FIXED)
        assert not db.in_transaction

        def failing() -> None:
            with db.transaction():
                db.market.upsert_prices(_prices([9, 9, 9]), source="b")
                db.loads.record(kind="prices-file", target="b", started_at=FIXED)
                raise BoomError

        with pytest.raises(BoomError):
            failing()
        assert db.market.prices().get_column("close").to_list() == [1, 2]
        assert [r.target for r in db.loads.recent()] == ["a"]


def test_a_failed_transaction_leaves_the_store_as_it_was_for_the_next_session(
    store: Store,
) -> None:
    class BoomError(Exception):
        pass

    with store.open(write=True) as db:
        db.market.upsert_prices(_prices([10, 11]), source="a")
    with store.open() as db:
        before = db.market.prices()

    def failing_write() -> None:
        with store.open(write=True) as db, db.transaction():
            db.market.upsert_prices(_prices([99, 98, 97]), source="bad")
            raise BoomError

    with pytest.raises(BoomError):
        failing_write()
    with store.open() as db:
        assert db.market.prices().equals(before)


def test_an_in_memory_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="must be a file"):
        Store(":memory:")


def test_transactions_do_not_nest(store: Store) -> None:
    with store.open(write=True) as db, db.transaction():
        with pytest.raises(StoreError, match="transactions do not nest"), db.transaction():
            pass
        db.loads.record(kind="x", target="still usable", started_at=FIXED)
    with store.open() as db:
        assert [r.target for r in db.loads.recent()] == ["still usable"]


def test_a_caught_failure_inside_a_transaction_still_rolls_it_back(store: Store) -> None:
    def body() -> None:
        with db.transaction():
            db.market.upsert_prices(_prices([1]), source="a")
            db.study_runs.insert(_run("r1"), {})
            with pytest.raises(
                StoreError, match=r"could not store study run r1 .*(?i:duplicate key)"
            ):
                db.study_runs.insert(_run("r1"), {})
            with pytest.raises(StoreError, match="an earlier statement of this transaction failed"):
                db.loads.record(kind="x", target="y", started_at=FIXED)

    with store.open(write=True) as db:
        with pytest.raises(
            StoreError, match="nothing was written: the transaction was rolled back"
        ):
            body()
        assert db.market.prices().height == 0
        assert db.study_runs.list() == []


def _run(run_id: str) -> Any:
    from storage.repos import StudyRunRecord

    return StudyRunRecord(
        run_id=run_id,
        study_id="seed",
        title="",
        created_at=FIXED,
        package_version="0",
        model="market_model",
        benchmarks=("SPY",),
        definition="{}",
        data_stamp="[]",
        input_hash="h",
        n_observations=0,
        n_ok=0,
    )


def test_read_sessions_refuse_writes_and_read_one_snapshot(store: Store) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    with store.open() as db:
        with pytest.raises(
            ReadOnlyError,
            match=r"read-only, so it cannot open a write transaction; open it with store.open\(write=True\)",
        ):
            db.transaction().__enter__()
        with pytest.raises(ReadOnlyError, match="cannot store prices"):
            db.market.upsert_prices(_prices([1]), source="a")
        first = db._db.value("SELECT txid_current()", what="read the transaction id")
        db.market.prices()
        db.events.list()
        assert db._db.value("SELECT txid_current()", what="read the transaction id") == first
        with pytest.raises(
            StoreError, match=r"could not read a thing in the store .*Catalog Error"
        ):
            db._db.rows("SELECT * FROM no_such_table", what="read a thing")
        assert db.events.list() == []  # a failed read does not end the session


def test_no_duckdb_error_leaves_storage(store: Store) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    with store.open() as db, pytest.raises(StoreError) as info:
        db._db.rows("SELEC 1", what="parse nonsense")
    assert isinstance(info.value.__cause__, duckdb.Error)
    assert "\n" not in str(info.value)
    with pytest.raises(StoreError, match="is closed; open a new one"):
        db.events.list()


def test_an_open_with_other_settings_in_the_same_process_is_explained(store: Store) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    with (
        store.open(write=True),
        pytest.raises(StoreError, match="already open in this process with other settings"),
    ):
        store.open().__enter__()


def test_upserts_outside_a_transaction_are_atomic_each(store: Store) -> None:
    with store.open(write=True) as db:
        assert db.market.upsert_prices(_prices([1, 2]), source="a") == UpsertCounts(2, 0, 0)
        assert not db.in_transaction


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


def test_a_locked_store_fails_with_a_sentence(store: Store) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    proc = _hold(store.path, 5)
    try:
        for write in (False, True):
            with pytest.raises(
                StoreLockedError,
                match=r"in use by another process \(probably a running refresh\)\. Try again",
            ):
                store.open(write=write).__enter__()
        with pytest.raises(StoreLockedError, match="in use by another process"):
            store.open_sql().__enter__()
    finally:
        proc.kill()
        proc.communicate()


def test_a_locked_store_is_waited_for(tmp_path: Path) -> None:
    messages: list[str] = []
    store = Store(tmp_path / "w.duckdb", lock_timeout=20, on_wait=messages.append)
    with store.open(write=True):
        pass  # created at the latest schema
    proc = _hold(store.path, 1.5)
    try:
        started = time.monotonic()
        with store.open() as db:
            assert db.events.count() == 0
        assert time.monotonic() - started > 0.5
        assert len(messages) == 1 and "busy" in messages[0] and "waiting up to 20 s" in messages[0]
    finally:
        proc.communicate()


WRITE_THROUGH = """
import os, sys, datetime as dt
import polars as pl
from storage.store import Store
store = Store(__import__("pathlib").Path(sys.argv[1]))
n = 5000
close = [float(i + 1) for i in range(n)]
frame = pl.DataFrame({
    "ticker": ["AMZN"] * n,
    "date": [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(n)],
    **dict.fromkeys(["open", "high", "low", "close"], close),
    "adj_close": [None] * n,
    "volume": [1] * n,
}, schema_overrides={"adj_close": pl.Float64})
with store.open(write=True) as db:
    if sys.argv[2] == "through":
        db.write_through()
    db.market.upsert_prices(frame, source="test")
    wal = __import__("pathlib").Path(sys.argv[1] + ".wal")
    print(wal.stat().st_size if wal.exists() else 0, flush=True)
    os._exit(0)  # killed after the commit: no checkpoint at close
"""


@pytest.mark.parametrize("mode", ["through", "default"])
def test_a_commit_survives_a_kill_with_or_without_write_through(tmp_path: Path, mode: str) -> None:
    """write_through puts a commit in the file itself (no log left to replay); either way
    a killed process loses nothing it committed."""
    path = tmp_path / "s.duckdb"
    Store(path).open(write=True).__enter__().close()  # the schema, checkpointed
    done = subprocess.run(
        [sys.executable, "-c", WRITE_THROUGH, str(path), mode],
        capture_output=True,
        text=True,
        check=True,
    )
    wal_bytes = int(done.stdout.split()[-1])
    if mode == "through":
        assert wal_bytes == 0
    else:
        assert wal_bytes > 0  # 5,000 rows are below a row group: they sit in the log
    with Store(path).open() as db:
        prices = db.market.prices(["AMZN"])
    assert prices.height == 5000
    assert prices.get_column("close").sum() == 5000 * 5001 / 2


def test_write_through_is_refused_on_a_read_session(store: Store) -> None:
    with store.open(write=True):
        pass
    with store.open() as db, pytest.raises(ReadOnlyError, match="write through"):
        db.write_through()
