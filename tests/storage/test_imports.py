"""The light paths stay light: opening the store, people's SQL and the event listing import
neither polars nor pyarrow nor pandas; the curated names are exported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import storage
import storage.repos
from storage.store import Store

LIGHT = """
import sys
from storage import Store
store = Store(sys.argv[1])
with store.open_sql() as sql:
    assert sql.run("SELECT 1").rows == [(1,)]
with store.open() as db:
    db.events.list(tickers=["AMZN"])
    db.loads.recent()
    db.studies.list()
    db.study_runs.list()
    db.refresh_log.history()
    db.market.spans()
    db.market.ensure_sessions(db.market.sessions())
heavy = sorted(m for m in ("polars", "pyarrow", "pandas", "numpy") if m in sys.modules)
print(",".join(heavy) or "none")
"""


def test_sessions_sql_and_listings_do_not_import_frames(tmp_path: Path) -> None:
    import datetime as dt

    store = Store(tmp_path / "s.duckdb")
    with store.open(write=True) as db:
        db.market.ensure_sessions([dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(5)])
    out = subprocess.run(
        [sys.executable, "-c", LIGHT, str(store.path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "none", out.stderr


def test_importing_the_errors_imports_no_duckdb() -> None:
    code = (
        "import sys, storage.errors; print('duckdb' in sys.modules, 'storage.store' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_exported_names() -> None:
    for module in (storage, storage.repos):
        public = sorted(n for n in dir(module) if not n.startswith("_") and n[0].isupper())
        assert sorted(module.__all__) == module.__all__
        assert set(module.__all__) >= set(public) - {"TYPE_CHECKING", "Any"}
        for name in module.__all__:
            assert getattr(module, name) is not None


FRAMES = """
import sys
import datetime as dt
from storage import Store
store = Store(sys.argv[1])
with store.open(write=True) as db:
    db.market.ensure_sessions([dt.date(2025, 1, 2)])
with store.open() as db:
    frame = db.market.prices()  # a frame read
    with db._db.registered("_f", frame, what="scan a frame"):  # a frame scanned
        db._db.value("SELECT count(*) FROM _f", what="count")
print(",".join(sorted(m for m in ("pyarrow", "pandas") if m in sys.modules)) or "none")
"""


def test_frames_cross_without_pyarrow(tmp_path: Path) -> None:
    """Frames read from the store and frames the store scans cross as Arrow C streams:
    pyarrow (and the numpy it brings) is not imported for them."""
    out = subprocess.run(
        [sys.executable, "-c", FRAMES, str(tmp_path / "s.duckdb")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "none", out.stderr
