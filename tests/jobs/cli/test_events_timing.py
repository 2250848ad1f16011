"""``reaction events import --timing``, ``reaction events infer``, ``--no-seed``: what users see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import app

runner = CliRunner()


def _run(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_a_store_without_the_seed_catalog(tmp_path: Path) -> None:
    code, stdout, _ = _run(tmp_path / "a.duckdb", "--no-seed", "events", "list", "--json")
    assert (code, json.loads(stdout)) == (0, [])
    code, stdout, _ = _run(
        tmp_path / "b.duckdb", "events", "list", "--json", env={"REACTION_SEED": "false"}
    )
    assert (code, json.loads(stdout)) == (0, [])
    # and a later command without the flag seeds it (the seed is loaded when never loaded)
    code, stdout, _ = _run(tmp_path / "a.duckdb", "events", "list", "--json")
    assert len(json.loads(stdout)) == 14


def test_a_file_wide_timing_and_other_date_headers(tmp_path: Path) -> None:
    csv = tmp_path / "e.csv"
    csv.write_text("ticker,event_date\nAMZN,2024-10-31\nIBM,2024-10-23\n", encoding="utf-8")
    db = tmp_path / "r.duckdb"
    code, _, stderr = _run(db, "--no-seed", "events", "import", str(csv), "--timing", "after_close")
    assert code == 0, stderr
    assert "2 events (2 new, 0 changed, 0 unchanged)" in stderr
    code, stdout, _ = _run(db, "--no-seed", "events", "list", "--json")
    rows = {e["id"]: e for e in json.loads(stdout)}
    # Thursday 2024-10-31 after the close -> Friday 11-01; Wednesday 10-23 -> Thursday 10-24
    assert rows["amzn-earnings-2024-10-31"]["day0"] == "2024-11-01"
    assert rows["ibm-earnings-2024-10-23"]["day0"] == "2024-10-24"
    assert rows["ibm-earnings-2024-10-23"]["timing_evidence"] is None
    code, _, stderr = _run(db, "events", "import", str(csv), "--timing", "evening")
    assert code == 1 and "--timing 'evening' is not one of" in stderr


@pytest.mark.shared_data
def test_import_with_inference_then_infer_again(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "r.duckdb"
    lines = (shared_data / "earnings_dates.csv").read_text(encoding="utf-8").splitlines()
    amzn = [line for line in lines if line.startswith("AMZN,2025-")]
    csv = tmp_path / "amzn.csv"
    csv.write_text("\n".join([lines[0], *amzn]) + "\n", encoding="utf-8")
    # without prices: nothing to infer from
    code, _, stderr = _run(db, "events", "import", str(csv), "--timing", "infer")
    assert code == 0, stderr
    assert "1 duplicate(s) of stored events linked as aliases" in stderr
    assert "amzn-earnings-2025-10-30 = amzn-q3" in stderr
    assert "3 without stored prices" in stderr
    code, _, stderr = _run(db, "prices", "import", str(shared_data / "prices_daily.csv"))
    assert code == 0, stderr
    code, _, stderr = _run(db, "events", "infer")
    assert code == 0, stderr
    # the three AMZN filings and the seed's crwv-openai (no time of day either)
    assert "timing inferred for 4 of 4 date-only events with prices" in stderr
    code, stdout, _ = _run(db, "events", "list", "--json", "--ticker", "AMZN")
    rows = {e["id"]: e for e in json.loads(stdout)}
    assert "amzn-earnings-2025-10-30" not in rows  # stored once, as amzn-q3
    ev = rows["amzn-earnings-2025-07-31"]
    assert set(ev["timing_evidence"]) == {
        "decision",
        "session",
        "abnormal_volume_0",
        "abnormal_volume_1",
        "abs_ar_0",
        "abs_ar_1",
        "gap_1",
        "score",
        "confidence",
        "n_est",
        "reason",
        "inferred_at",
    }
    assert ev["timing_evidence"]["session"] == "2025-07-31"
    assert ev["timing"] in ("inferred_after_close", "inferred_during_session", "unknown")
    assert rows["amzn-q3"]["timing_evidence"] is None  # stated: never inferred
    code, stdout, _ = _run(db, "events", "show", "amzn-earnings-2025-07-31")
    assert code == 0 and "timing_evidence decision" in stdout
