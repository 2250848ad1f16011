"""Registered studies are recomputed by the refresh only when their inputs changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from jobs.cli import app
from jobs.services import ingest
from jobs.services.recompute import recompute_registered
from jobs.services.registry import register_study, registered_studies, remove_study
from jobs.services.sql import run_sql
from storage.store import Store

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
STUDY = """
[study]
id = "aws"
title = "OpenAI-AWS on AMZN"

[select]
events = ["openai-aws"]

[measure]
tickers = ["AMZN"]
own_tickers = false

[model]
benchmarks = ["SPY"]
windows = [[-1, 1]]
"""

pytestmark = pytest.mark.shared_data


@pytest.fixture
def store(tmp_path: Path, shared_data: Path) -> Store:
    prices = pl.read_csv(shared_data / "prices_daily.csv", infer_schema=False)
    part = tmp_path / "upto.csv"
    prices.filter(
        pl.col("ticker").is_in(["AMZN", "SPY"]) & (pl.col("date") <= "2026-05-28")
    ).write_csv(part)
    s = Store(tmp_path / "r.duckdb")
    (tmp_path / "aws.toml").write_text(STUDY)
    with ingest.open_ready(s) as db:  # created and seeded
        ingest.import_price_files(db, [part])
        register_study(db, tmp_path / "aws.toml")
    return s


def test_recompute_only_when_inputs_change(store: Store, tmp_path: Path, shared_data: Path) -> None:
    reports = tmp_path / "reports"
    assert recompute_registered(store, set(), now=NOW, reports_dir=reports, html=False) == ["aws"]
    assert (reports / "aws" / "report.md").is_file()
    with store.open() as db:
        ((definition, last_hash),) = registered_studies(db)
    assert definition.study.id == "aws"
    assert last_hash is not None
    # nothing changed: nothing recomputed, nothing stored
    assert recompute_registered(store, set(), now=NOW, reports_dir=reports, html=False) == []
    with store.open() as db:
        assert len(db.study_runs.list()) == 1
    # a new session for AMZN changes the inputs (the stamp's last session) even though the
    # event window is long past
    with store.open(write=True) as db:
        ingest.import_price_files(db, [shared_data / "prices_daily.csv"], ticker="AMZN")
    assert recompute_registered(store, {"AMZN"}, now=NOW, reports_dir=reports, html=False) == [
        "aws"
    ]
    with store.open() as db:
        runs = db.study_runs.list()
    assert len(runs) == 2
    assert len({r.input_hash for r in runs}) == 2
    latest = run_sql(store, "SELECT count(*) FROM latest_runs").result.rows[0][0]
    assert latest == 1


def test_unregistered_study_is_not_recomputed(store: Store) -> None:
    with store.open(write=True) as db:
        remove_study(db, "aws")
    assert recompute_registered(store, {"AMZN"}, now=NOW) == []


def test_cli_register_list_remove(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "c.duckdb"
    study = tmp_path / "aws.toml"
    study.write_text(STUDY)
    assert runner.invoke(app, ["--db", str(db), "study", "register", str(study)]).exit_code == 0
    listed = runner.invoke(app, ["--db", str(db), "study", "list"], env={"COLUMNS": "200"})
    assert "aws" in listed.stdout
    gone = runner.invoke(app, ["--db", str(db), "study", "remove", "nope"])
    assert gone.exit_code == 1
    assert "no registered study 'nope'" in gone.stderr
    assert runner.invoke(app, ["--db", str(db), "study", "remove", "aws"]).exit_code == 0


def test_a_new_event_alone_triggers_a_recompute(store: Store, tmp_path: Path) -> None:
    from events import Event

    assert recompute_registered(store, set(), now=NOW) == ["aws"]
    assert recompute_registered(store, set(), now=NOW) == []
    # an AMZN event inside openai-aws's estimation window: its sessions leave the (clean)
    # estimation window, so the numbers change although no price did
    with store.open(write=True) as db:
        ingest.store_events(
            db,
            [
                Event(
                    id="amzn-june",
                    title="x",
                    category="other",
                    announced=dt.date(2025, 6, 2),
                    timing="before_open",
                    tickers=("AMZN",),
                )
            ],
            catalog="test",
        )
    assert recompute_registered(store, set(), now=NOW) == ["aws"]
    diag = run_sql(
        store,
        "SELECT n_dropped_clean FROM event_diagnostics "
        "WHERE run_id = (SELECT last_run_id FROM studies WHERE study_id = 'aws')",
    ).frame
    assert diag is not None
    assert diag.item() == 3  # the study's widest window, [-1, +1], around 2025-06-02


def test_a_study_run_of_a_registered_study_is_marked_registered(
    store: Store, tmp_path: Path
) -> None:
    """``reaction study FILE`` looks the registration up in the study's own session: the same
    definition is the registered study's run (its last run), another one is not."""
    other = tmp_path / "other.toml"
    other.write_text(STUDY.replace("windows = [[-1, 1]]", "windows = [[0, 1]]"))
    runner = CliRunner()
    for path in (tmp_path / "aws.toml", other):
        done = runner.invoke(
            app,
            ["--db", str(store.path), "study", str(path), "--offline", "--no-html"],
            env={"COLUMNS": "120"},
        )
        assert done.exit_code == 0, done.output
    rows = run_sql(
        store, "SELECT registered, count(*) FROM study_runs GROUP BY ALL ORDER BY ALL"
    ).result.rows
    assert [tuple(r) for r in rows] == [(False, 1), (True, 1)]
    with store.open() as db:
        (record,) = db.studies.list()
        (registered_run,) = [r for r in db.study_runs.list() if r.registered]
    assert record.last_run_id == registered_run.run_id
