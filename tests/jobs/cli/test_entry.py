"""jobs.cli.run, the installed ``reaction`` script: it ends the process without the
interpreter's teardown, and loses nothing by it (output, exit code, exit handlers,
threads still at work)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import duckdb

#: ``run()`` as the installed script calls it, after an exit handler and (optionally) a
#: thread that is still working when the command returns.
SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
# left in stdout's buffer (no newline, so not even a line-buffered stream flushes it):
# the script must flush it
atexit.register(lambda: sys.stdout.write("exit handler ran"))
if sys.argv[1] != "-":
    marker = Path(sys.argv[1])
    def late() -> None:
        time.sleep(2.0)
        marker.write_text("done")
    threading.Thread(target=late).start()
sys.argv = ["reaction", *sys.argv[2:]]
from jobs.cli import run
run()
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # buffered streams, as for a user (this machine sets PYTHONUNBUFFERED)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_the_script_is_run() -> None:
    """The console script ``reaction`` is :func:`jobs.cli.run` (as installed)."""
    (script,) = entry_points(group="console_scripts", name="reaction")
    assert script.value == "jobs.cli:run"


def test_every_line_of_a_long_output_arrives_and_the_exit_handlers_run(tmp_path: Path) -> None:
    """200,000 CSV lines through a pipe, then an exit handler's line left in stdout's
    buffer: every line arrives (the buffers are flushed before the process ends)."""
    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()
    out = _run(
        "-", "--db", str(db), "sql", "SELECT range AS i FROM range(200000)", "--format", "csv"
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "i"
    assert lines[1:-1] == [str(i) for i in range(200_000)]
    assert lines[-1] == "exit handler ran"


def test_a_failure_keeps_its_exit_code_and_message(tmp_path: Path) -> None:
    """A store that cannot be opened: exit code 1, the one-sentence error on stderr."""
    out = _run("-", "--db", str(tmp_path / "no" / "such" / "dir" / "s.duckdb"), "status")
    assert out.returncode == 1
    assert "cannot open the store" in out.stderr
    assert out.stdout.splitlines() == ["exit handler ran"]


def test_a_thread_still_at_work_is_waited_for(tmp_path: Path) -> None:
    """With another thread still alive when the command returns, the process ends the
    usual way, after the thread (which writes its file two seconds later)."""
    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()
    marker = tmp_path / "late.txt"
    out = _run(str(marker), "--db", str(db), "sql", "SELECT 1 AS one", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert marker.read_text() == "done"
    assert out.stdout.splitlines()[-1] == "exit handler ran"


GC_SCRIPT = """
import atexit, gc, sys
atexit.register(lambda: sys.stdout.write(",".join(map(str, gc.get_threshold()))))
sys.argv = ["reaction", "--db", sys.argv[1], "sql", "SELECT 1 AS one", "--format", "csv"]
from jobs.cli import run
run()
"""


def test_a_command_runs_with_the_collectors_thresholds(tmp_path: Path) -> None:
    from jobs.cli import GC_THRESHOLDS

    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()
    out = subprocess.run(
        [sys.executable, "-c", GC_SCRIPT, str(db)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == ",".join(map(str, GC_THRESHOLDS))


def test_cyclic_garbage_waits_for_no_more_than_the_first_threshold() -> None:
    """Under GC_THRESHOLDS a reference cycle is freed once that many new objects exist."""
    import gc
    import weakref

    from jobs.cli import GC_THRESHOLDS

    class Node:
        other: object = None

    before = gc.get_threshold()
    gc.collect()
    try:
        gc.set_threshold(*GC_THRESHOLDS)
        a, b = Node(), Node()
        a.other, b.other = b, a
        freed = weakref.finalize(a, lambda: None)
        del a, b
        keep = [[] for _ in range(GC_THRESHOLDS[0] + 100)]  # tracked objects: a collection
        assert not freed.alive
        del keep
    finally:
        gc.set_threshold(*before)
