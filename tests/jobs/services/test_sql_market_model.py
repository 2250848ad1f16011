"""The SQL market model (``market_model_ar()``) and the engine agree to 1e-10 on the seed data.

Both estimate the same OLS on the same sessions from the same total returns, by different code:
DuckDB's ``regr_*`` aggregates over the ``returns`` view, and the engine's batched least squares
over ``backtest.total_returns``. If either drifts, this fails.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from jobs.definitions.study import parse_study
from jobs.services import ingest
from jobs.services.sql import run_sql
from jobs.services.study import run_study
from storage.store import Store

pytestmark = pytest.mark.shared_data

DEFINITION = {
    "study": {"id": "sql-check"},
    "select": {"tags": ["seed"]},
    "measure": {"own_tickers": True},
    "model": {
        "name": "market_model",
        "benchmarks": ["SPY"],
        "windows": [[-5, 10]],
        "clean_estimation": False,  # the SQL macro does not clean estimation windows
    },
}


def test_sql_market_model_matches_engine(shared_data: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "r.duckdb")
    with ingest.open_ready(store) as db:  # created and seeded
        ingest.import_price_files(
            db, [shared_data / "prices_daily.csv", shared_data / "dividends.csv"]
        )
    run = run_study(
        store,
        parse_study(DEFINITION, source="<test>"),
        now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        offline=True,
        save=False,
    )
    engine = run.results["SPY"]
    sql = run_sql(store, "SELECT * FROM market_model_ar()").frame
    assert sql is not None
    ok = engine.diagnostics.filter(pl.col("status") == "ok")
    assert ok.height >= 20
    # the same observations are measurable in both (CRWV lacks history in both)
    assert set(sql.select("event_id", "ticker").unique().rows()) == set(
        ok.select("event_id", "ticker").rows()
    )
    params = ok.join(
        sql.select("event_id", "ticker", "alpha", "beta", "sigma", "n_est").unique(),
        on=["event_id", "ticker"],
        suffix="_sql",
    )
    assert params.height == ok.height
    for col in ("alpha", "beta", "sigma"):
        worst = (params[col] - params[f"{col}_sql"]).abs().max()
        assert worst is not None and worst < 1e-10, (col, worst)
    assert (params["n_est"] == params["n_est_sql"]).all()
    ars = engine.ar.join(
        sql.select("event_id", "ticker", "rel_day", "ar"),
        on=["event_id", "ticker", "rel_day"],
        suffix="_sql",
    )
    assert ars.height == ok.height * 16  # rel days -5..+10
    worst_ar = (ars["ar"] - ars["ar_sql"]).abs().max()
    assert worst_ar is not None and worst_ar < 1e-10
