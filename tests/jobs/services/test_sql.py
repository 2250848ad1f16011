"""``reaction sql``: read-only by default, three modes, output formats, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from jobs.cli import app
from jobs.errors import SqlError
from jobs.services.sql import run_sql
from storage.store import Store

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "r.duckdb"
    result = runner.invoke(app, ["--db", str(path), "status"])  # creates and seeds the store
    assert result.exit_code == 0, result.stderr
    return path


def _sql(db: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["--db", str(db), "sql", *args], input=stdin, env={"COLUMNS": "200"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_query_formats(db: Path, tmp_path: Path) -> None:
    code, stdout, _ = _sql(
        db, "--format", "csv", "SELECT event_id, day0 FROM events WHERE event_id = 'amzn-q3'"
    )
    assert code == 0
    assert stdout.splitlines() == ["event_id,day0", "amzn-q3,2025-10-31"]
    code, stdout, _ = _sql(db, "--format", "json", "SELECT count(*) AS n FROM events")
    assert json.loads(stdout) == [{"n": 14}]
    out = tmp_path / "e.parquet"
    code, _, stderr = _sql(db, "--format", "parquet", "-o", str(out), "SELECT * FROM events")
    assert code == 0, stderr
    assert pl.read_parquet(out).height == 14
    code, stdout, _ = _sql(db, "SELECT event_id FROM events WHERE category = 'layoffs' ORDER BY 1")
    assert "amzn-layoffs-14k" in stdout and "2 row(s)" in stdout
    # a one-column table still says its row count on one line (it used to wrap to "row(s")
    code, stdout, _ = _sql(db, "SELECT 1")
    assert code == 0 and stdout.splitlines()[-1] == "1 row(s)"


def test_a_wide_result_folds_its_cells_and_cuts_none(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobs.cli import _common

    monkeypatch.setattr(_common.out(), "width", 80)  # as in an 80-column terminal
    title = "AWS and OpenAI announce a seven-year, ~$38B compute partnership"
    query = (
        "SELECT event_id, day0, category, tickers, title, title AS again FROM events "
        "WHERE event_id = 'openai-aws'"
    )
    result = runner.invoke(app, ["--db", str(db), "sql", query])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    # the title is all there, in order, across the folded lines of its column
    cells = [line.split("│")[5] for line in lines if line.startswith("│")]
    assert "".join(cells).replace(" ", "") == title.replace(" ", "")


def test_file_mode(db: Path, tmp_path: Path) -> None:
    script = tmp_path / "q.sql"
    script.write_text(
        "-- two statements; the last one's rows are shown\nSELECT 1;\nSELECT 41 + 1 AS answer;\n"
    )
    code, stdout, _ = _sql(db, "-f", str(script), "--format", "csv")
    assert code == 0
    assert stdout.splitlines() == ["answer", "42"]


def test_writes_are_refused_by_default(db: Path) -> None:
    for statement, kind in [
        ("CREATE TABLE x (a INT)", "CREATE"),
        ("INSERT INTO core.loads (kind) VALUES ('x')", "INSERT"),
        ("DROP VIEW prices", "DROP"),
    ]:
        code, _, stderr = _sql(db, statement)
        assert code == 1
        assert f"read-only, so {kind} is refused; add --write" in stderr
    code, _, stderr = _sql(db, "--write", "CREATE TABLE main.notes (a INT)")
    assert code == 0, stderr
    code, stdout, _ = _sql(db, "--format", "csv", "SELECT count(*) AS n FROM notes")
    assert stdout.splitlines() == ["n", "0"]


def test_files_are_out_of_reach_unless_allowed(db: Path, tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("a\n1\n2\n")
    query = f"SELECT sum(a) AS s FROM read_csv('{data}')"
    code, _, stderr = _sql(db, query)
    assert code == 1
    assert "reaches outside the store" in stderr and "add --allow-external" in stderr
    code, stdout, stderr = _sql(db, "--allow-external", "--format", "csv", query)
    assert code == 0, stderr
    assert stdout.splitlines() == ["s", "3"]


def test_errors_are_one_line_with_position(db: Path) -> None:
    # "SELECT * FROM events WHER " is 26 characters, so "day0" starts in column 27
    code, _, stderr = _sql(db, "SELECT * FROM events WHER day0 > '2025-01-01'")
    assert code == 1
    assert 'Parser Error: syntax error at or near "day0" (line 1, column 27)' in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_interactive_prompt(db: Path) -> None:
    session = ".tables\nSELECT event_id\nFROM events\nWHERE event_id = 'openai-aws';\n.schema returns\nSELEC 1;\n.quit\n"
    code, stdout, stderr = _sql(db, stdin=session)
    assert code == 0
    assert "market_model_ar" in stdout and "event_returns" in stdout  # .tables
    assert "openai-aws" in stdout  # the multi-line statement
    assert "benchmark_ret" in stdout  # .schema
    assert "syntax error" in stderr  # an error does not end the session


def test_run_sql_api(db: Path) -> None:
    store = Store(db)
    result = run_sql(store, "SELECT car('AMZN', DATE '2025-10-31', -1, 1) AS c")
    assert result.frame is not None and result.frame.item() is None  # no prices imported yet
    with pytest.raises(SqlError, match="empty"):
        run_sql(store, "  ")


def test_csv_of_list_columns_and_bracketed_errors(db: Path, tmp_path: Path) -> None:
    code, stdout, stderr = _sql(
        db, "--format", "csv", "SELECT event_id, tickers FROM events WHERE event_id = 'openai-aws'"
    )
    assert code == 0, stderr
    assert stdout.splitlines() == ["event_id,tickers", "openai-aws,AMZN;NVDA;MSFT"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[events]]\nid = "x"\n')
    result = runner.invoke(app, ["--db", str(db), "events", "import", str(bad)])
    assert result.exit_code == 1
    assert "[[event]] tables (and an optional [catalog] table)" in result.stderr
