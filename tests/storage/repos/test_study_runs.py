"""Study runs: the run row and its result tables, stored whole and read back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import duckdb
import polars as pl
import pytest

from storage.errors import NotFoundError, StoreError, StoreInputError
from storage.repos import StudyRunRecord
from storage.repos.study_runs import RESULT_COLUMNS, RESULT_KEYS, RUN_COLUMNS
from storage.session import OpenStore
from storage.store import Store

CREATED = dt.datetime(2025, 11, 22, 1, 0, tzinfo=dt.UTC)


def _run(run_id: str = "seed-1", **kw: object) -> StudyRunRecord:
    values: dict[str, object] = {
        "run_id": run_id,
        "study_id": "seed",
        "title": "Seed",
        "created_at": CREATED,
        "package_version": "0.1.0",
        "model": "market_model",
        "benchmarks": ("SPY", "QQQ"),
        "definition": json.dumps({"study": {"id": "seed"}}),
        "data_stamp": json.dumps([{"ticker": "AMZN", "rows": 250}]),
        "input_hash": "abc123",
        "n_observations": 2,
        "n_ok": 1,
    }
    values.update(kw)
    return StudyRunRecord(**values)  # type: ignore[arg-type]


def _results() -> dict[str, pl.DataFrame]:
    """Engine-like frames: extra columns, a missing optional column, a NaN."""
    return {
        "event_diagnostics": pl.DataFrame(
            {
                "event_id": ["e1", "e1"],
                "ticker": ["AMZN", "MSFT"],
                "day0": [dt.date(2025, 10, 31)] * 2,
                "status": ["ok", "insufficient_estimation"],
                "beta": [1.3, float("nan")],
                "param_alpha": [0.0, 0.0],  # not a column of the table: left out
                "confounded_by": [["e2"], []],
            }
        ),
        "cars": pl.DataFrame(
            {
                "event_id": ["e1"],
                "ticker": ["AMZN"],
                "start": [-1],
                "end": [1],
                "status": ["ok"],
                "car": [0.12],
            }
        ),
        "aar": pl.DataFrame({"rel_day": [0, 1], "n": [2, 2], "aar": [0.01, -0.002]}),
    }


def test_the_column_lists_are_the_tables_columns(store: Store) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        for table, columns in {"study_runs": RUN_COLUMNS, **RESULT_COLUMNS}.items():
            got = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'core' "
                "AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            assert tuple(r[0] for r in got) == columns, table
        for table, keys in RESULT_KEYS.items():
            # no key index (migration 0010: the repository checks the key), but every key
            # column is NOT NULL
            kinds = con.execute(
                "SELECT constraint_type, constraint_column_names FROM duckdb_constraints() "
                "WHERE schema_name = 'core' AND table_name = ?",
                [table],
            ).fetchall()
            assert "PRIMARY KEY" not in {k for k, _ in kinds}, table
            not_null = {c for k, cols in kinds if k == "NOT NULL" for c in cols}
            assert set(keys) <= not_null, table
    finally:
        con.close()


def test_insert_and_load_a_run(db: OpenStore) -> None:
    written = db.study_runs.insert(_run(), {"SPY": _results(), "QQQ": {"aar": _results()["aar"]}})
    assert written == 2 + 1 + 2 + 2
    assert db.study_runs.get("seed-1") == _run()
    frames = db.study_runs.load_frames("seed-1")
    assert list(frames) == ["study_runs", *RESULT_COLUMNS]
    assert frames["study_runs"].columns == list(RUN_COLUMNS)
    diag = frames["event_diagnostics"]
    assert diag.columns == list(RESULT_COLUMNS["event_diagnostics"])
    assert diag.select("benchmark", "ticker", "beta", "model").rows() == [
        ("SPY", "AMZN", 1.3, None),
        ("SPY", "MSFT", None, None),  # NaN stored as null; a missing column is null
    ]
    assert diag.get_column("confounded_by").to_list() == [["e2"], []]
    assert frames["aar"].select("benchmark", "rel_day").rows() == [
        ("QQQ", 0), ("QQQ", 1), ("SPY", 0), ("SPY", 1),
    ]  # fmt: skip
    assert frames["tests"].height == 0 and frames["tests"].columns == list(RESULT_COLUMNS["tests"])


def test_a_failed_insert_leaves_nothing(db: OpenStore) -> None:
    db.study_runs.insert(_run(), {"SPY": _results()})
    with pytest.raises(StoreError, match=r"could not store study run seed-1 .*Duplicate key"):
        db.study_runs.insert(_run(), {"SPY": _results()})
    bad = {"SPY": {"cars": _results()["cars"].drop("start")}}
    with pytest.raises(StoreInputError, match="cars rows lack the key column"):
        db.study_runs.insert(_run("seed-2"), bad)
    with pytest.raises(StoreInputError, match="benchmark 'IWM' is not one of the run's"):
        db.study_runs.insert(_run("seed-2"), {"IWM": _results()})
    with pytest.raises(StoreInputError, match="there is no result table 'cards'"):
        db.study_runs.insert(_run("seed-2"), {"SPY": {"cards": _results()["cars"]}})
    assert [r.run_id for r in db.study_runs.list()] == ["seed-1"]
    assert db.study_runs.load_frames("seed-1")["cars"].height == 1


def test_a_failure_inside_the_insert_rolls_back_the_run_row(db: OpenStore) -> None:
    clash = _results()["cars"].vstack(_results()["cars"])  # the same key twice
    with pytest.raises(StoreError, match=r"2 cars rows share their key \(event_id, ticker, start"):
        db.study_runs.insert(_run("seed-3"), {"SPY": {"aar": _results()["aar"], "cars": clash}})
    assert db.study_runs.get("seed-3") is None
    assert db.study_runs.list() == []


def test_list_newest_first_and_by_study(db: OpenStore) -> None:
    for i in range(3):
        db.study_runs.insert(
            _run(
                f"r{i}", study_id="a" if i < 2 else "b", created_at=CREATED + dt.timedelta(hours=i)
            ),
            {},
        )
    assert [r.run_id for r in db.study_runs.list()] == ["r2", "r1", "r0"]
    assert [r.run_id for r in db.study_runs.list(1)] == ["r2"]
    assert [r.run_id for r in db.study_runs.list(study_id="a")] == ["r1", "r0"]


def test_records_are_checked() -> None:
    with pytest.raises(StoreInputError, match="definition is not JSON"):
        _run(definition="{nope")
    with pytest.raises(StoreInputError, match="created_at has no time zone"):
        _run(created_at=dt.datetime(2025, 1, 1))
    with pytest.raises(StoreInputError, match="has no benchmarks"):
        _run(benchmarks=())
    assert dataclasses.replace(_run(), registered=True).registered


def test_loading_an_unknown_run(db: OpenStore) -> None:
    with pytest.raises(NotFoundError, match="no stored study run 'nope'") as info:
        db.study_runs.load_frames("nope")
    assert info.value.key == "nope" and isinstance(info.value, LookupError)
