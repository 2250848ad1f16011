"""Real second processes: a refresh killed mid-ticker, the DuckDB file lock, two refreshes at once.

The child is ``refresh_worker.py``; it writes a marker file when it reaches the
point where the parent acts, so nothing here waits on a guess.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from jobs.errors import RefreshRunningError
from jobs.services.refresh import run_refresh
from jobs.services.sql import run_sql
from storage.errors import StoreLockedError
from storage.store import Store

WORKER_PATH = Path(__file__).with_name("refresh_worker.py")
REPO = Path(__file__).resolve().parents[3]
VALUE_COLUMNS = ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume"]


def _load_worker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_worker", WORKER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


worker = _load_worker()


class Children:
    """Processes started by a test; any still alive at the end are killed (by their own pid)."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[str]] = []

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REACTION_")}
        proc = subprocess.Popen(
            [sys.executable, str(WORKER_PATH), *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)


@pytest.fixture
def children() -> Iterator[Children]:
    c = Children()
    try:
        yield c
    finally:
        c.close()


def wait_for(marker: Path, proc: subprocess.Popen[str], timeout: float = 60) -> str:
    """Wait until the child writes ``marker`` (fail at once if the child dies first)."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"worker exited with {proc.returncode} before {marker.name}:\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"worker did not reach {marker.name} within {timeout} s")
        time.sleep(0.01)
    return marker.read_text()


def values(store: Store) -> tuple[pl.DataFrame, pl.DataFrame]:
    with store.open() as db:
        return (
            db.market.prices().select(VALUE_COLUMNS),
            db.market.actions().select("ticker", "date", "kind", "value"),
        )


def query(store: Store, sql: str) -> pl.DataFrame:
    """``sql`` on the documented views, as a reader in another process runs it."""
    frame = run_sql(store, sql).frame
    assert frame is not None
    return frame


def uninterrupted(path: Path) -> Store:
    reference = Store(path)
    result = run_refresh(
        worker.make_settings(path), as_of=worker.AS_OF, source=worker.make_source(), store=reference
    )
    assert result.status == "ok"
    return reference


@pytest.mark.parametrize(
    "mode",
    ["block-fetch", "block-write"],
    ids=["killed-while-fetching-ticker-3", "killed-inside-ticker-3-transaction"],
)
def test_sigkill_mid_refresh_leaves_no_partial_batch_and_the_next_run_completes(
    tmp_path: Path, children: Children, mode: str
) -> None:
    db = tmp_path / "store.duckdb"
    proc = children.spawn(mode, str(db), str(tmp_path), "CCC")
    marker = wait_for(tmp_path / "blocked", proc)

    if mode == "block-write":
        # CCC's prices are in the open transaction (visible to it) ...
        n_sessions = len(worker.nyse().sessions_in_range(worker.HISTORY_START, worker.AS_OF.date()))
        assert int(marker) == n_sessions
        # ... and while the write is open nobody else can open the file
        with pytest.raises(StoreLockedError, match="in use by another process"):
            query(Store(db, lock_timeout=0.2), "SELECT 1")
    else:
        # between two tickers' writes the refresh holds no DuckDB connection: readers get in
        done = query(
            Store(db, lock_timeout=0.2),
            "SELECT ticker, count(*) AS n FROM prices GROUP BY ticker ORDER BY ticker",
        )
        assert done.get_column("ticker").to_list() == ["AAA", "BBB"]

    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store = Store(db, lock_timeout=5)
    counts = query(
        store,
        "SELECT ticker, count(*) AS n, count(DISTINCT date) AS d FROM prices "
        "GROUP BY ticker ORDER BY ticker",
    )
    # tickers 1-2 committed completely, ticker 3 not at all, no duplicates
    assert counts.get_column("ticker").to_list() == ["AAA", "BBB"]
    assert counts.get_column("n").to_list() == counts.get_column("d").to_list()
    reference = uninterrupted(tmp_path / "reference.duckdb")
    expected_prices, expected_actions = values(reference)
    got_prices, got_actions = values(store)
    assert got_prices.equals(expected_prices.filter(pl.col("ticker").is_in(["AAA", "BBB"])))
    assert got_actions.equals(expected_actions)  # BBB's dividend came with BBB's prices
    (dead,) = query(store, "SELECT refresh_id, status, finished_at FROM refresh_runs").rows()
    assert dead == (1, "running", None)

    # the next refresh (the lock died with the process) completes the job
    result = run_refresh(
        worker.make_settings(db),
        as_of=worker.AS_OF,
        source=worker.make_source(),
        store=store,
        recompute=lambda s, tickers: sorted(tickers),
    )
    assert result.status == "ok"
    assert [t.ticker for t in result.tickers if t.status == "ok"] == ["CCC", "DDD", "EEE"]
    # the studies are recomputed for what the dead run stored too
    assert result.studies_recomputed == worker.TICKERS
    assert values(store)[0].equals(expected_prices)
    assert values(store)[1].equals(expected_actions)
    statuses = query(store, "SELECT refresh_id, status FROM refresh_runs ORDER BY 1").rows()
    assert statuses == [(1, "interrupted"), (2, "ok")]


STUDY = """
[study]
id = "during-refresh"

[select]
catalog = "{catalog}"

[model]
name = "market_model"
benchmarks = ["AAA"]
estimation = {{ start = -100, end = -11, min_obs = 60 }}
windows = [[0, 0], [-1, 1]]
"""
CATALOG = """
[[event]]
id = "ccc-news"
title = "CCC news"
category = "product"
announced = 2025-10-15
timing = "before_open"
tickers = ["CCC"]
"""


def test_a_study_started_during_a_refresh_waits_for_it_then_reads_one_snapshot(
    tmp_path: Path, children: Children
) -> None:
    from jobs.definitions.study import load_study
    from jobs.services.study import run_study

    db = tmp_path / "store.duckdb"
    proc = children.spawn("pause-write", str(db), str(tmp_path), "CCC")
    wait_for(tmp_path / "blocked", proc)  # CCC's prices are in the refresh's open transaction
    (tmp_path / "ccc.toml").write_text(CATALOG)
    study = tmp_path / "study.toml"
    study.write_text(STUDY.format(catalog=tmp_path / "ccc.toml"))
    definition = load_study(study)
    waits: list[str] = []

    def on_wait(message: str) -> None:
        waits.append(message)
        (tmp_path / "release").write_text("")  # the refresh goes on once the study waits

    run = run_study(
        Store(db, lock_timeout=30, on_wait=on_wait),
        definition,
        now=worker.AS_OF,
        offline=True,
        save=False,
        seed=False,
    )
    # the study waited for the refresh's write of CCC ...
    assert waits == [f"the store {db} is busy (another process holds it); waiting up to 30 s"]
    proc.wait(timeout=60)
    assert proc.returncode == 0, proc.communicate()[1]
    assert query(Store(db), "SELECT refresh_id, status FROM refresh_runs").rows() == [(1, "ok")]
    # ... and then read every input in one snapshot with CCC whole: the same inputs (hash)
    # as the study on a store that no refresh was writing to
    assert run.observations.get_column("ticker").to_list() == ["CCC"]
    assert [s["ticker"] for s in run.stamp] == ["AAA", "CCC"]
    for used in run.stamp:  # every session through the target, none missing
        first, last = (dt.date.fromisoformat(used[k]) for k in ("first_used", "last_used"))
        assert last == worker.AS_OF.date()
        assert used["rows"] == len(worker.nyse().sessions_in_range(first, last))
    reference = uninterrupted(tmp_path / "reference.duckdb")
    again = run_study(reference, definition, now=worker.AS_OF, offline=True, save=False, seed=False)
    assert run.input_hash == again.input_hash
    assert run.main.diagnostics.get_column("status").to_list() == ["ok"]


def test_a_reader_waits_for_a_store_held_by_another_process(
    tmp_path: Path, children: Children
) -> None:
    db = tmp_path / "store.duckdb"
    with Store(db).open(write=True):
        pass  # created
    proc = children.spawn("hold-store", str(db), str(tmp_path))
    wait_for(tmp_path / "holding", proc)

    started = time.monotonic()
    with pytest.raises(StoreLockedError) as caught:
        query(Store(db, lock_timeout=0.2), "SELECT 1")
    assert time.monotonic() - started >= 0.2
    assert str(caught.value) == (
        f"the store {db} is in use by another process (probably a running refresh); "
        "waited 0.2 s. Try again when it has finished."
    )

    waits: list[str] = []

    def on_wait(message: str) -> None:
        # the holder lets go only once we are known to be waiting
        waits.append(message)
        (tmp_path / "release").write_text("")

    reader = Store(db, lock_timeout=10, on_wait=on_wait)
    assert query(reader, "SELECT 42 AS x").item() == 42
    assert waits == [f"the store {db} is busy (another process holds it); waiting up to 10 s"]
    proc.wait(timeout=30)
    assert proc.returncode == 0


def test_two_refreshes_at_once_one_runs_the_other_is_refused(
    tmp_path: Path, children: Children
) -> None:
    db = tmp_path / "store.duckdb"
    proc = children.spawn("block-fetch", str(db), str(tmp_path), "AAA")
    pid = int(wait_for(tmp_path / "blocked", proc))
    assert pid == proc.pid
    with pytest.raises(RefreshRunningError) as caught:
        run_refresh(
            worker.make_settings(db),
            as_of=worker.AS_OF,
            source=worker.make_source(),
            store=Store(db),
        )
    assert caught.value.pid == proc.pid
    message = str(caught.value)
    assert message.startswith(f"a refresh is already running (pid {proc.pid}, started 20")
    assert message.endswith(f"stop it with 'kill -TERM {proc.pid}'")
    # the refused run recorded nothing; the running one is still the only run
    assert query(Store(db), "SELECT status FROM refresh_runs").rows() == [("running",)]
    started = dt.datetime.fromisoformat(str(caught.value.started))
    assert started.tzinfo is not None
