"""Report folders are replaced as a whole: a kill or an exception while writing leaves the
previous complete report; --no-save and --no-html leave stored reports alone."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import jobs.report.study.files as files
from backtest import TEST_NAMES
from jobs.cli import app
from jobs.report.study.files import write_report_files
from jobs.runs import StudyRun

pytestmark = pytest.mark.shared_data

KILLED_WRITER = """
import os, pickle, sys, time
from pathlib import Path
import jobs.report.study.files as files
from backtest import TEST_NAMES

run = pickle.loads(Path(sys.argv[1]).read_bytes())
target, ready = Path(sys.argv[2]), Path(sys.argv[3])
original = files._write_frame

def slow(frame, base):
    written = original(frame, base)
    ready.write_text(str(os.getpid()))
    time.sleep(60)  # killed here, half-way through the folder
    return written

files._write_frame = slow
files.write_report_files(run, target)
"""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _run_id(folder: Path) -> str:
    return str(json.loads((folder / "study.json").read_text())["run_id"])


def test_exception_while_writing_keeps_the_previous_report(
    seed_run: StudyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "reports" / "seed"
    write_report_files(seed_run, target)
    before = _snapshot(target)

    def broken(run: StudyRun, **_kwargs: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(files, "html_report", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report_files(seed_run, target)
    assert _snapshot(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["seed"]  # nothing left aside


def test_kill_while_writing_keeps_the_previous_report(seed_run: StudyRun, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "seed"
    write_report_files(seed_run, target)
    before = _snapshot(target)
    pickled, ready = tmp_path / "run.pickle", tmp_path / "ready"
    pickled.write_bytes(pickle.dumps(seed_run))
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(pickled), str(target), str(ready)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert child.poll() is None, "the writer ended before it was killed"
            assert time.monotonic() < deadline, "the writer never got to its first export"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    # the previous report is whole; the killed writer's half folder lies beside it
    assert _snapshot(target) == before
    leftovers = [p.name for p in target.parent.iterdir() if p.name != "seed"]
    assert leftovers == [f".seed.tmp-{child.pid}"]
    assert (target.parent / leftovers[0] / "report.md").exists()
    # the next writer clears it and replaces the report as a whole
    written = write_report_files(seed_run, target, html=False)
    assert sorted(p.name for p in target.parent.iterdir()) == ["seed"]
    assert {p.name for p in written} == {p.name for p in target.iterdir()}
    assert "report.html" not in {p.name for p in target.iterdir()}


def test_report_moved_aside_by_a_dead_writer_comes_back(
    seed_run: StudyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a writer killed between its two renames leaves no report and the old one at .old-<pid>
    target = tmp_path / "reports" / "seed"
    write_report_files(seed_run, target)
    before = _snapshot(target)
    aside = target.parent / ".seed.old-999999999"
    target.rename(aside)

    def broken(run: StudyRun, **_kwargs: object) -> str:
        raise RuntimeError("stop after recovering")

    monkeypatch.setattr(files, "markdown_report", broken)
    with pytest.raises(RuntimeError, match="stop after recovering"):
        write_report_files(seed_run, target)
    assert _snapshot(target) == before
    assert not aside.exists()


def test_report_exports(seed_run: StudyRun, tmp_path: Path) -> None:
    written = {p.name for p in write_report_files(seed_run, tmp_path / "r")}
    for name in ("answer", "group_tests", "group_daily", "group_members"):
        assert {f"{name}.csv", f"{name}.parquet"} <= written
    answer = pl.read_parquet(tmp_path / "r" / "answer.parquet")
    assert answer.height == 7
    assert set(answer.columns) >= {"event_id", "ticker", "car", "t", "p", "q", "verdict"}
    daily = pl.read_parquet(tmp_path / "r" / "group_daily.parquet")
    day0_all = daily.filter((pl.col("group_id") == "all") & (pl.col("rel_day") == 0))
    assert day0_all.height == len(TEST_NAMES)  # every test on day 0 for the group all
    ci = day0_all.filter(pl.col("test").is_in(["bootstrap_ci", "wilcoxon_ci"]))
    assert (
        ci.height == 2 and (ci["ci_low"] < ci["stat"]).all() and (ci["stat"] < ci["ci_high"]).all()
    )
    tests = pl.read_parquet(tmp_path / "r" / "group_tests.parquet")
    assert tests.filter(pl.col("test") == "csect_t").get_column("ci_low").null_count() == (
        tests.filter(pl.col("test") == "csect_t").height
    )
    members = pl.read_parquet(tmp_path / "r" / "group_members.parquet").filter(
        pl.col("group_id") == "all"
    )
    assert members.filter(pl.col("merged_into").is_not_null()).height == 9


def test_no_save_and_no_html_leave_stored_reports_alone(
    report_store: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(report_store.path)  # type: ignore[attr-defined]
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def study(*args: str) -> str:
        result = runner.invoke(
            app,
            ["--db", db, "study", "--offline", "--event", "openai-aws", *args],
            env={"COLUMNS": "120"},
        )
        assert result.exit_code == 0, result.output
        return result.stdout

    study()
    folder = tmp_path / "reports" / "seed-adhoc"
    before = _snapshot(folder)
    assert "report.html" in before
    out = study("--no-html")
    assert _snapshot(folder) == before
    assert "keeps the last one" in " ".join(out.split())
    study("--no-save")
    assert _snapshot(folder) == before
    # with --out the folder named is written, without report.html under --no-html
    study("--no-html", "--no-save", "--out", str(tmp_path / "elsewhere"))
    names = {p.name for p in (tmp_path / "elsewhere").iterdir()}
    assert "report.html" not in names and "study.json" in names
    assert _run_id(tmp_path / "elsewhere") != _run_id(folder)


def test_a_run_that_cannot_be_stored_publishes_no_report(
    report_store: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report files are built while the run is stored; if storing fails, the previous
    report stays as it was and nothing is left aside."""
    import jobs.services.study as study_service
    from storage.errors import StoreLockedError

    db = str(report_store.path)  # type: ignore[attr-defined]
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["--db", db, "study", "--offline", "--event", "openai-aws", "--no-html"]
    first = runner.invoke(app, [*args, "--out", "out"], env={"COLUMNS": "120"})
    assert first.exit_code == 0, first.output
    before = _snapshot(tmp_path / "out")
    threads: list[str] = []

    def locked(*_args: object, **_kwargs: object) -> None:
        import threading

        threads.append(threading.current_thread().name)
        time.sleep(0.2)  # the report files are being built meanwhile
        raise StoreLockedError("the store is locked by another process (test)")

    monkeypatch.setattr(study_service, "save_run", locked)
    failed = runner.invoke(app, [*args, "--out", "out"], env={"COLUMNS": "120"})
    assert failed.exit_code != 0
    assert "locked by another process" in failed.output
    assert threads and threads[0].startswith("store-run")  # stored on its own thread
    assert _snapshot(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no .tmp / .old folder


def test_the_report_published_beside_the_store_is_the_stored_run(
    report_store: object, tmp_path: Path
) -> None:
    import datetime as dt

    from jobs.definitions.study import seed_study
    from jobs.report.study.files import prepare_report_files
    from jobs.services.study import run_study
    from storage.store import Store

    store = Store(tmp_path / "copy.duckdb")
    store.path.write_bytes(report_store.path.read_bytes())  # type: ignore[attr-defined]
    prepared = []
    definition = seed_study().with_overrides(events=("openai-aws",), source="test")
    run = run_study(
        store,
        definition,
        now=dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC),
        offline=True,
        while_storing=lambda r: prepared.append(prepare_report_files(r, tmp_path / "rep")),
    )
    written = prepared[0].publish()
    assert (tmp_path / "rep" / "study.json") in written
    assert _run_id(tmp_path / "rep") == run.run_id
    with store.open() as db:
        assert db.study_runs.get(run.run_id) is not None
