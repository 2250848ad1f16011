"""The study document's answer and groups (docs/study-json.md), and ``reaction study show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import app
from jobs.definitions.study import TEST_NAMES
from jobs.report.study.files import write_report_files
from jobs.report.study.jsondoc import json_document
from jobs.runs import StudyRun

pytestmark = pytest.mark.shared_data

ANSWER_KEYS = {
    "event_id",
    "ticker",
    "start",
    "end",
    "car",
    "t",
    "p",
    "q",
    "robust",
    "confounded_by",
    "verdict",
}


def test_answer_and_groups_in_the_document(seed_run: StudyRun) -> None:
    doc = json.loads(json.dumps(json_document(seed_run), allow_nan=False))
    assert doc["question"].startswith("How did AMZN, NVDA and MSFT react")
    assert doc["answer_window"] == {"start": -1, "end": 1}
    rows = doc["answer"]
    assert [(r["event_id"], r["ticker"]) for r in rows] == [
        ("amzn-layoffs-14k", "AMZN"),
        ("amzn-q3", "AMZN"),
        ("openai-aws", "AMZN"),
        ("openai-aws", "NVDA"),
        ("nvda-q3fy26", "NVDA"),
        ("msft-fy26q1", "MSFT"),
        ("openai-aws", "MSFT"),
    ]
    for r in rows:
        assert set(r) >= ANSWER_KEYS
        assert (r["start"], r["end"]) == (-1, 1)
        assert {"test", "stat", "p"} <= set(r["robust"])
        assert r["q"] >= r["p"]
    groups = {g["id"]: g for g in doc["groups"]}
    assert next(iter(groups)) == "all"
    assert (groups["all"]["n"], groups["all"]["n_duplicates_merged"]) == (47, 9)
    assert {"id", "label", "n", "n_duplicates_merged", "windows", "daily"} <= set(groups["all"])
    assert [(w["start"], w["end"]) for w in groups["all"]["windows"]] == sorted(
        [(0, 0), (-1, 1), (0, 1), (-2, 2), (-5, 5), (0, 10)]
    )
    assert set(groups["all"]["windows"][0]["tests"]) == set(TEST_NAMES)
    daily = groups["all"]["daily"]
    assert [d["rel_day"] for d in daily] == list(range(-5, 11))
    assert set(daily[5]["tests"]) == set(TEST_NAMES)  # every test per day for "all"
    assert {"stat", "p", "distribution", "note"} == set(daily[5]["tests"]["csect_t"])
    # the intervals: the point estimate, no p, and their bounds around it
    for where in (groups["all"]["windows"][1]["tests"], daily[5]["tests"]):
        for name in ("bootstrap_ci", "wilcoxon_ci"):
            entry = where[name]
            assert set(entry) == {"stat", "p", "distribution", "note", "ci"}
            assert entry["p"] is None and entry["ci"]["level"] == 0.95
            assert entry["ci"]["low"] < entry["stat"] < entry["ci"]["high"], (name, entry)
    assert "ci" not in groups["all"]["windows"][1]["tests"]["csect_t"]
    assert doc["config"]["model"]["conventions"] == "default"
    assert doc["config"]["model"]["seed"] == 20261201
    # a study this small has every test per day in every group, families included
    event = groups["event:openai-aws"]
    assert set(event["daily"][0]["tests"]) == set(TEST_NAMES)
    assert event["daily_note"] is None
    assert {"aggregate", "events", "warnings", "warning_details"} <= set(doc)
    assert {w["code"] for w in doc["warning_details"]} >= {"confounded", "duplicates"}


def test_study_show_prints_one_event(
    seed_run: StudyRun, tmp_path: Path, report_store: object
) -> None:
    folder = tmp_path / "reports" / "seed"
    write_report_files(seed_run, folder, html=False)
    runner = CliRunner()
    db = str(report_store.path)  # type: ignore[attr-defined]
    result = runner.invoke(
        app,
        ["--db", db, "study", "show", "crwv-openai", "--out", str(folder)],
        env={"COLUMNS": "100"},
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "crwv-openai: observations" in text and seed_run.run_id in text
    assert "insufficient estimation" in text  # CRWV's own observation, with its reason
    for ticker in ("CRWV", "AMZN", "NVDA", "MSFT"):
        assert ticker in text
    assert "CAR[-1,+1]" in text and "abnormal return per day" in text
    missing = runner.invoke(app, ["--db", db, "study", "show", "no-such", "--out", str(folder)])
    assert missing.exit_code == 1
    assert "no event 'no-such'" in missing.stderr
