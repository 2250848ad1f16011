"""Fixtures of the report tests: one store with the shared data, and runs made on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobs.definitions.study import StudyDefinition, parse_study, seed_study
from jobs.runs import StudyRun
from jobs.services import ingest
from jobs.services.study import run_study
from storage.store import Store

LOADED = dt.datetime(2026, 11, 20, 23, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def report_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store with the shared prices, dividends and factors and the seed catalog."""
    store = Store(tmp_path_factory.mktemp("report") / "r.duckdb", clock=lambda: LOADED)
    with ingest.open_ready(store) as db:
        ingest.import_price_files(
            db, [shared_data / "prices_daily.csv", shared_data / "dividends.csv"]
        )
        ingest.import_factor_files(db, [shared_data / "ff_factors_daily.csv"])
    return store


@pytest.fixture(scope="session")
def seed_run(report_store: Store) -> StudyRun:
    return run_study(report_store, seed_study(), now=NOW, offline=True, save=False)


@pytest.fixture(scope="session")
def make_run(report_store: Store) -> Callable[[dict[str, Any]], StudyRun]:
    """A run (not stored) of the study described by a parsed TOML document."""

    def make(data: dict[str, Any]) -> StudyRun:
        definition: StudyDefinition = parse_study(data, source="<test>")
        return run_study(report_store, definition, now=NOW, offline=True, save=False)

    return make
