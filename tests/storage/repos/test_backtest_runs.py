"""Backtest runs: the run row, trades, statistics and sweep cells."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pytest

from storage.errors import NotFoundError, StoreInputError
from storage.repos import BacktestRunRecord
from storage.repos.backtest_runs import RESULT_COLUMNS, RUN_COLUMNS
from storage.session import OpenStore
from storage.store import Store


def _run(run_id: str = "amzn-1", *, swept: bool = True) -> BacktestRunRecord:
    return BacktestRunRecord(
        run_id=run_id,
        rule_id="amzn-events",
        title="AMZN around events",
        created_at=dt.datetime(2025, 11, 22, tzinfo=dt.UTC),
        package_version="0.1.0",
        definition=json.dumps({"rule": {"id": "amzn-events"}}),
        data_stamp="[]",
        input_hash="h",
        n_candidates=2,
        n_trades=1,
        n_overlapping=0,
        perfect_foresight=False,
        swept=swept,
    )


TRADES = pl.DataFrame(
    {
        "event_id": ["e1", "e2"],
        "ticker": ["AMZN", "AMZN"],
        "status": ["ok", "no_entry_price"],
        "entry_date": [dt.date(2025, 10, 31), None],
        "net": [0.05, float("nan")],
        "leg": ["long", "long"],  # not a column of the table: left out
    }
)
STATS = pl.DataFrame({"series": ["net", "hedged"], "n": [1, 1], "mean": [0.05, 0.04]})
CELLS = pl.DataFrame(
    {"entry_offset": [0, 1], "holding": [5, 5], "n": [1, 1], "enough": [False, False]}
)


def test_the_column_lists_are_the_tables_columns(store: Store) -> None:
    with store.open(write=True):
        pass  # created at the latest schema
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        for table, columns in {"backtest_runs": RUN_COLUMNS, **RESULT_COLUMNS}.items():
            got = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'core' "
                "AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            assert tuple(r[0] for r in got) == columns, table
    finally:
        con.close()


def test_insert_and_load(db: OpenStore) -> None:
    n = db.backtest_runs.insert(
        _run(), {"trades": TRADES, "backtest_stats": STATS, "sweep_cells": CELLS}
    )
    assert n == 6
    assert db.backtest_runs.get("amzn-1") == _run()
    frames = db.backtest_runs.load_frames("amzn-1")
    assert list(frames) == [
        "backtest_runs",
        "trades",
        "backtest_stats",
        "sweep_cells",
        "backtest_portfolio",
    ]
    trades = frames["trades"]
    assert trades.columns == list(RESULT_COLUMNS["trades"])
    assert trades.select("event_id", "status", "net", "hedged").rows() == [
        ("e1", "ok", 0.05, None),
        ("e2", "no_entry_price", None, None),
    ]
    assert frames["sweep_cells"].select("entry_offset", "holding").rows() == [(0, 5), (1, 5)]
    assert [r.run_id for r in db.backtest_runs.list(rule_id="amzn-events")] == ["amzn-1"]


def test_checks(db: OpenStore) -> None:
    with pytest.raises(StoreInputError, match="has sweep cells but swept is false"):
        db.backtest_runs.insert(_run(swept=False), {"sweep_cells": CELLS})
    with pytest.raises(StoreInputError, match="no result table"):
        db.backtest_runs.insert(_run(), {"trade": TRADES})
    with pytest.raises(StoreInputError, match="trades rows have no ticker"):
        db.backtest_runs.insert(
            _run(), {"trades": TRADES.with_columns(pl.lit(None, pl.String).alias("ticker"))}
        )
    assert db.backtest_runs.list() == []
    with pytest.raises(NotFoundError, match="no stored backtest run 'x'"):
        db.backtest_runs.load_frames("x")


def test_the_portfolio_series_is_stored_and_in_its_view(store: Store) -> None:
    days = [dt.date(2025, 11, 3), dt.date(2025, 11, 4)]
    book = pl.DataFrame(
        {
            "book": ["portfolio", "portfolio", "benchmark", "benchmark"],
            "date": days + days,
            "ret": [-0.001, 0.02, 0.0, float("nan")],
            "equity": [99_900.0, 101_898.0, 100_000.0, 100_000.0],
            "positions": [1, 0, 1, 0],
        }
    )
    with store.open(write=True) as db:
        n = db.backtest_runs.insert(
            _run(swept=False), {"trades": TRADES, "backtest_portfolio": book}
        )
        assert n == 2 + 4
        stored = db.backtest_runs.load_frames("amzn-1")["backtest_portfolio"]
        assert stored.columns == list(RESULT_COLUMNS["backtest_portfolio"])
        bench = stored.filter(pl.col("book") == "benchmark").sort("date")
        assert bench.get_column("ret").to_list() == [0.0, None]  # NaN stored as null
        with pytest.raises(StoreInputError, match="backtest_portfolio rows have no date"):
            db.backtest_runs.insert(
                _run("amzn-2", swept=False),
                {"backtest_portfolio": book.with_columns(pl.lit(None, pl.Date).alias("date"))},
            )
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        rows = con.execute(
            "SELECT book, date, equity FROM main.backtest_portfolio ORDER BY book DESC, date"
        ).fetchall()
    finally:
        con.close()
    assert rows[:2] == [("portfolio", days[0], 99_900.0), ("portfolio", days[1], 101_898.0)]
