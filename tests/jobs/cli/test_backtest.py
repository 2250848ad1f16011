"""``reaction backtest`` on the shared data: the seed rules end to end, JSON, guards, storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import app

runner = CliRunner()
pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bt") / "r.duckdb"
    for args in (
        [
            "prices",
            "import",
            str(shared_data / "prices_daily.csv"),
            str(shared_data / "dividends.csv"),
        ],
        ["events", "import", str(shared_data / "earnings_dates.csv")],
    ):
        result = runner.invoke(app, ["--db", str(path), *args])
        assert result.exit_code == 0, result.stderr
    return path


def _bt(db: Path, out: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        ["--db", str(db), "backtest", *args, "--offline", "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    return result.exit_code, result.stdout, result.stderr


def test_amzn_rule_json(db: Path, tmp_path: Path) -> None:
    code, stdout, stderr = _bt(
        db,
        tmp_path,
        "amzn-events",
        "--event",
        "amzn-q3",
        "--event",
        "openai-aws",
        "--entry",
        "close:0",
        "--exit",
        "close:+1",
        "--cost-bps",
        "5",
        "--hedge",
        "benchmark",
        "--format",
        "json",
    )
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert {"run_id", "trades", "summary"} <= set(doc)
    by_event = {t["event_id"]: t for t in doc["trades"]}
    # amzn-q3: bought at the close of 2025-10-31 (244.22), sold at the close of 11-03 (254.00)
    q3 = by_event["amzn-q3"]
    assert (q3["entry_date"], q3["entry_price"], q3["exit_date"], q3["exit_price"]) == (
        "2025-10-31",
        244.22,
        "2025-11-03",
        254.00,
    )
    assert q3["gross"] == pytest.approx(254.00 / 244.22 - 1, abs=1e-12)
    assert q3["net"] == pytest.approx(254.00 / 244.22 - 1 - 2 * 5e-4, abs=1e-12)
    spy = 683.34 / 682.06 - 1  # SPY closes on 2025-10-31 and 2025-11-03 (prices_daily.csv)
    assert q3["hedge"] == pytest.approx(spy, abs=1e-9)
    assert q3["hedged"] == pytest.approx(254.00 / 244.22 - 1 - spy - 4 * 5e-4, abs=1e-9)
    assert {"n", "mean_net", "hit_rate", "t"} <= set(doc["summary"])
    assert doc["summary"]["n"] == 2
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "trades.parquet").is_file()


def test_lookahead_guard_and_foresight_label(db: Path, tmp_path: Path) -> None:
    code, _, stderr = _bt(db, tmp_path, "amzn-events", "--entry", "close:-1")
    assert code == 1
    assert "entry" in stderr and "before the news" in stderr
    code, stdout, stderr = _bt(
        db,
        tmp_path,
        "amzn-events",
        "--event",
        "amzn-q3",
        "--entry",
        "close:-1",
        "--allow-lookahead",
        "--format",
        "json",
    )
    assert code == 0, stderr
    assert json.loads(stdout)["perfect_foresight"] is True


def test_earnings_drift_with_sweep(db: Path, tmp_path: Path) -> None:
    code, stdout, stderr = _bt(db, tmp_path, "earnings-drift", "--sweep")
    assert code == 0, stderr
    assert "PERFECT FORESIGHT" not in stdout
    assert "best cell of a sweep is optimistic" in stdout
    stored = runner.invoke(
        app,
        [
            "--db",
            str(db),
            "sql",
            "--format",
            "json",
            "SELECT count(*) AS runs, sum(n_trades) AS trades FROM backtest_runs WHERE rule_id = 'earnings-drift'",
        ],
    )
    row = json.loads(stored.stdout)[0]
    assert row["runs"] == 1
    assert row["trades"] > 300  # nine tickers' earnings since 2005
    cells = runner.invoke(
        app, ["--db", str(db), "sql", "--format", "json", "SELECT count(*) AS n FROM sweep_cells"]
    )
    assert json.loads(cells.stdout)[0]["n"] == 4 * 6


def test_bad_rule_file(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[trade]\nhedge = "gold"\n')
    code, _, stderr = _bt(db, tmp_path, str(bad))
    assert code == 1
    assert "field 'trade.hedge'" in stderr
