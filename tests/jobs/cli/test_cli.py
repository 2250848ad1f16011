"""The ``reaction`` command line: exit codes, JSON output, error sentences."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import app

runner = CliRunner()


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_events_list_json_on_a_fresh_store(tmp_path: Path) -> None:
    code, stdout, _ = _run(tmp_path / "r.duckdb", "events", "list", "--json")
    assert code == 0
    events = json.loads(stdout)
    assert len(events) == 14
    by_id = {e["id"]: e for e in events}
    assert by_id["amzn-q3"]["day0"] == "2025-10-31"
    assert by_id["amzn-q3"]["timing"] == "after_close"
    assert by_id["openai-aws"]["tickers"] == ["AMZN", "NVDA", "MSFT"]
    assert by_id["crwv-openai"]["timing_assumed"] is True


def test_status_and_show(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    code, stdout, _ = _run(db, "status")
    assert code == 0
    assert "14 events" in stdout
    code, stdout, _ = _run(db, "events", "show", "openai-aws")
    assert code == 0
    assert "2025-11-03" in stdout
    code, stdout, _ = _run(db, "status", "--json")
    assert code == 0
    doc = json.loads(stdout)
    assert (doc["db"], doc["events"], doc["tickers"]) == (str(db), 14, [])
    (seeded,) = [r for r in doc["loads"] if r["kind"] == "events"]
    assert seeded["target"] == "<package>/seed/seed-events.toml"
    assert seeded["rows_inserted"] == 14
    # times as ISO 8601, as everywhere in the JSON
    assert dt.datetime.fromisoformat(seeded["finished_at"]).tzinfo is not None
    assert "T" in seeded["finished_at"]


def test_unknown_event_is_one_sentence(tmp_path: Path) -> None:
    code, _, stderr = _run(tmp_path / "r.duckdb", "events", "show", "no-such-event")
    assert code == 1
    assert "no event with id 'no-such-event'" in stderr
    assert "Traceback" not in stderr


def test_price_import_and_bad_file(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    good = tmp_path / "AMZN.csv"
    good.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n2025-10-31,250.1,250.5,243.98,244.22,244.22,166275600\n"
    )
    code, _, stderr = _run(db, "prices", "import", str(good))
    assert code == 0, stderr
    assert "yahoo layout, 1 rows read: 1 inserted" in stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,ticker,open,high,low,close,adj_close,volume\n2025-11-03,AMZN,1,2,3,254,,1\n"
    )
    code, _, stderr = _run(db, "prices", "import", str(bad))
    assert code == 1
    assert "line 2: high 2.0 is below low 3.0" in stderr
    assert "Traceback" not in stderr
    code, _, stderr = _run(db, "prices", "import", str(tmp_path / "missing.csv"))
    assert code == 1
    assert "no such file" in stderr


def test_events_add_and_invalid_add(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    code, _, stderr = _run(
        db,
        "events",
        "add",
        "--id",
        "nvda-q4",
        "--title",
        "NVDA Q4",
        "--category",
        "earnings",
        "--announced",
        "2026-02-25T16:20:00-05:00",
        "-t",
        "NVDA",
    )
    assert code == 0, stderr
    assert "day 0 2026-02-26 (timestamp)" in stderr
    code, _, stderr = _run(
        db,
        "events",
        "add",
        "--id",
        "x",
        "--title",
        "X",
        "--category",
        "gossip",
        "--announced",
        "2026-02-25",
        "-t",
        "NVDA",
    )
    assert code == 1
    assert "field 'category'" in stderr


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["events"],
        ["prices"],
        ["prices", "import"],
        ["events", "list"],
        ["factors", "import"],
    ],
)
def test_help_has_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    if command[-1] in {"status", "import", "list"}:
        assert "Example: reaction" in result.stdout


@pytest.mark.shared_data
def test_latest_views_answer_after_the_readme_route(tmp_path: Path, shared_data: Path) -> None:
    """Import, run the seed study offline (nothing registered): the latest_* views have it."""
    db = tmp_path / "r.duckdb"
    for args in (
        [
            "prices",
            "import",
            str(shared_data / "prices_daily.csv"),
            str(shared_data / "dividends.csv"),
        ],
        ["study", "--offline", "--no-html", "--out", str(tmp_path / "reports")],
    ):
        result = runner.invoke(app, ["--db", str(db), *args], env={"COLUMNS": "120"})
        assert result.exit_code == 0, result.stderr
    code, stdout, _ = _run(
        db,
        "sql",
        "SELECT r.study_id, r.registered, count(*) AS n FROM latest_cars c "
        "JOIN latest_runs r USING (run_id) GROUP BY ALL",
        "--format",
        "csv",
    )
    assert code == 0
    assert stdout.splitlines()[0] == "study_id,registered,n"
    study_id, registered, n = stdout.splitlines()[1].split(",")
    assert (study_id, registered) == ("seed", "false")
    assert int(n) > 0


@pytest.mark.shared_data
def test_a_window_past_the_last_session_says_so(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "r.duckdb"
    code, _, stderr = _run(
        db,
        "prices",
        "import",
        str(shared_data / "prices_daily.csv"),
        str(shared_data / "dividends.csv"),
    )
    assert code == 0, stderr
    code, _, stderr = _run(db, "study", "--offline", "--no-save", "--window", "-1:5000")
    assert code == 1
    assert "the window [-1,+5000] of" in stderr
    assert "ends after the last completed session" in stderr
    assert "shorten the window" in stderr


def test_a_benchmark_setting_follows_the_ticker_rule(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["--db", str(tmp_path / "r.duckdb"), "events", "list"],
        env={"COLUMNS": "200", "REACTION_BENCHMARKS": '["SPY", "x\'; drop"]'},
    )
    assert result.exit_code == 1
    assert "is not a ticker symbol" in result.stderr
    assert not (tmp_path / "r.duckdb").exists()


def test_refused_catalogs_and_sql_leave_the_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    code, before, _ = _run(db, "events", "list", "--json")
    assert code == 0
    naive = tmp_path / "naive.toml"
    naive.write_text(
        '[[event]]\nid = "x"\ntitle = "x"\ncategory = "earnings"\n'
        'announced = 2025-10-30T16:05:00\ntickers = ["AMZN"]\n'
    )
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        '[[event]]\nid = "y"\ntitle = "y"\ncategory = "gossip"\n'
        'announced = 2025-10-30\ntickers = ["AMZN"]\n'
    )
    for path, words in (
        (
            naive,
            "naive.toml: event #1 ('x'): field '(entry)': announced: a datetime needs a UTC offset",
        ),
        (unknown, "unknown.toml: event #1 ('y'): field 'category': Input should be 'earnings'"),
    ):
        code, _, stderr = _run(db, "events", "import", str(path))
        assert code == 1
        assert words in stderr
    for statement, words in (
        ("DELETE FROM core.events", "read-only, so DELETE is refused"),
        ("DROP VIEW events", "read-only"),
        (f"COPY events TO '{tmp_path / 'leak.csv'}'", "--allow-external"),
    ):
        code, _, stderr = _run(db, "sql", statement)
        assert code == 1
        assert words in stderr
    assert not (tmp_path / "leak.csv").exists()
    code, after, _ = _run(db, "events", "list", "--json")
    assert code == 0
    assert json.loads(after) == json.loads(before)


def test_events_list_folds_long_ids_at_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobs.cli import _common

    db = tmp_path / "r.duckdb"
    catalog = tmp_path / "e.toml"
    long_id = "amzn-layoffs-14k-as-reported-by-the-letter-to-staff"
    catalog.write_text(
        f'[[event]]\nid = "{long_id}"\ntitle = "t"\ncategory = "layoffs"\n'
        'announced = 2025-10-28\ntickers = ["AMZN"]\n'
    )
    result = runner.invoke(app, ["--db", str(db), "--no-seed", "events", "import", str(catalog)])
    assert result.exit_code == 0, result.stderr
    monkeypatch.setattr(_common.out(), "width", 80)
    result = runner.invoke(app, ["--db", str(db), "--no-seed", "events", "list"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    cells = [line.split("│")[1] for line in lines if line.startswith("│")]
    assert "".join(c.strip() for c in cells) == long_id  # folded, every character there
