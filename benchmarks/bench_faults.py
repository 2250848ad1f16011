"""Fault benchmark: hostile inputs tried, stored data lost: zero.

Builds a store in a temporary folder from the shared data (``prices_daily.csv`` and
``dividends.csv`` through ``jobs.services.ingest.import_price_files``, plus
``ff_factors_daily.csv``), takes a fingerprint of the stored data, then feeds a list of
hostile inputs and faults, each of which must be refused with an error:

* price files with ``inf``, ``-inf`` and ``1e308`` closes, a close above the high, a Saturday
  row, a weekday holiday row (2025-11-27), an SQL-injection ticker, a missing close, a
  duplicate (ticker, date) and an unreadable number; each is imported together with a good
  file, so a refusal must leave out the good file too (``storage.errors.ImportFileError``);
* people's SQL through ``jobs.services.sql.run_sql`` on a read-only store: COPY, EXPORT,
  ATTACH, ``read_csv``, ``glob``, INSTALL, LOAD, SET and writes (``jobs.errors.SqlError``);
* catalog files with a naive timestamp and an unknown category (``events.EventError``);
* study definitions with an unknown model and a window that starts after it ends
  (``jobs.errors.UsageError``).

After each one the fingerprint is taken again and compared. The fingerprint is a SHA-256 of
``SELECT * FROM <view> ORDER BY ALL`` for the views of the stored data: ``prices``,
``actions``, ``factors``, ``events``, ``sessions``, ``studies``, ``study_runs`` and
``refresh_runs``. The ``loads`` log is left out on purpose: a refused import is recorded
there as a failed load (by design), which is not stored data. ``leaked_files`` counts the
files the SQL statements were asked to write (``leak.csv``, the EXPORT folder, the ATTACH
file) that exist afterwards.

Prints one JSON line::

    {"tried": N, "refused": R, "changed_store": C, "leaked_files": L, "seconds": S}

and exits non-zero unless ``refused == tried``, ``changed_store == 0`` and
``leaked_files == 0``.

Run: ``.venv/bin/python benchmarks/bench_faults.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from _common import data_dir  # the benchmarks folder is on sys.path when run as a script

if TYPE_CHECKING:
    from storage.store import Store

VIEWS = (
    "prices",
    "actions",
    "factors",
    "events",
    "sessions",
    "studies",
    "study_runs",
    "refresh_runs",
)
HEADER = "date,ticker,open,high,low,close,adj_close,volume\n"
# a good row of a ticker the store does not hold: it must not be stored when its batch fails
GOOD_ROW = "2025-11-03,ZZZZ,10.0,11.0,9.0,10.5,,1000\n"

HOSTILE_ROWS = {
    "inf close": "2025-11-04,ZZZZ,1,2,1,inf,,5",
    "-inf close": "2025-11-04,ZZZZ,1,2,1,-inf,,5",
    "1e308 close": "2025-11-04,ZZZZ,1,2,1,1e308,,5",
    "close above high": "2025-11-04,ZZZZ,1,2,1,2.5,,5",
    "Saturday row": "2025-11-01,ZZZZ,1,2,1,1.5,,5",
    "weekday holiday row (2025-11-27)": "2025-11-27,ZZZZ,1,2,1,1.5,,5",
    "SQL in the ticker": "2025-11-04,x'; drop table prices; --,1,2,1,1.5,,5",
    "missing close": "2025-11-04,ZZZZ,1,2,1,,,5",
    "duplicate (ticker, date)": "2025-11-03,ZZZZ,1,2,1,1.5,,5",
    "unreadable number": "2025-11-04,ZZZZ,1,2,1,abc,,5",
}

CATALOG = """
[[event]]
id = "bench-event"
title = "Bench event"
category = "{category}"
announced = {announced}
tickers = ["AMZN"]
"""


def fingerprint(store: Store) -> dict[str, str]:
    """SHA-256 of every stored-data view's rows, in a fixed order."""
    from jobs.services.sql import run_sql

    out: dict[str, str] = {}
    for view in VIEWS:
        result = run_sql(store, f"SELECT * FROM {view} ORDER BY ALL").result
        digest = hashlib.sha256(repr(result.columns).encode())
        for row in result.rows:
            digest.update(repr(row).encode())
        out[view] = f"{len(result.rows)}:{digest.hexdigest()}"
    return out


def build_store(tmp: Path) -> Store:
    from jobs.services import ingest
    from storage.store import Store

    data = data_dir()
    store = Store(tmp / "store.duckdb")
    with ingest.open_ready(store) as db:
        ingest.import_price_files(db, [data / "prices_daily.csv", data / "dividends.csv"])
        ingest.import_factor_files(db, [data / "ff_factors_daily.csv"])
    return store


def faults(store: Store, tmp: Path) -> list[tuple[str, Callable[[], object], type[Exception]]]:
    """(name, the attempt, the error it must raise)."""
    from events import EventError, load_catalog
    from jobs.definitions.study import parse_study
    from jobs.errors import SqlError, UsageError
    from jobs.services import ingest
    from jobs.services.sql import run_sql
    from storage.errors import ImportFileError

    good = tmp / "good.csv"
    good.write_text(HEADER + GOOD_ROW)
    cases: list[tuple[str, Callable[[], object], type[Exception]]] = []

    def price_file(row: str) -> Callable[[], object]:
        path = tmp / f"hostile-{len(cases)}.csv"
        path.write_text(HEADER + GOOD_ROW + row + "\n")

        def attempt() -> object:
            with ingest.open_ready(store) as db:
                return ingest.import_price_files(db, [good, path])

        return attempt

    for name, row in HOSTILE_ROWS.items():
        cases.append((f"price file: {name}", price_file(row), ImportFileError))

    statements = [
        f"COPY prices TO '{tmp / 'leak.csv'}'",
        f"EXPORT DATABASE '{tmp / 'export'}'",
        f"ATTACH '{tmp / 'other.duckdb'}' AS other",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/*')",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "DELETE FROM prices",
        "DROP VIEW prices",
        "CREATE TABLE t AS SELECT 1",
    ]
    for statement in statements:
        cases.append((f"sql: {statement}", lambda s=statement: run_sql(store, s), SqlError))

    def catalog(name: str, category: str, announced: str) -> Callable[[], object]:
        path = tmp / f"{name}.toml"
        path.write_text(CATALOG.format(category=category, announced=announced))

        def attempt() -> object:
            events = load_catalog(path)
            with ingest.open_ready(store) as db:
                return ingest.store_events(db, events, catalog=name)

        return attempt

    cases.append(
        ("catalog: naive timestamp", catalog("naive", "deal", "2025-11-03T07:30:00"), EventError)
    )
    cases.append(
        ("catalog: unknown category", catalog("gossip", "gossip", "2025-11-03"), EventError)
    )

    studies = {
        "study: unknown model": {"model": {"name": "garch"}},
        "study: window starts after it ends": {"model": {"windows": [[2, -2]]}},
    }
    for name, data in studies.items():
        cases.append((name, lambda d=data: parse_study(d, source="<bench>"), UsageError))
    return cases


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as folder:
        tmp = Path(folder)
        store = build_store(tmp)
        before = fingerprint(store)
        assert int(before["prices"].split(":")[0]) > 0, "the store holds no prices"
        tried = refused = changed = 0
        for name, attempt, expected in faults(store, tmp):
            tried += 1
            try:
                attempt()
            except expected:
                refused += 1
            except Exception as exc:  # refused, but not with the documented error
                print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            else:
                print(f"{name}: accepted", file=sys.stderr)
            after = fingerprint(store)
            if after != before:
                changed += 1
                diff = sorted(v for v in VIEWS if after[v] != before[v])
                print(f"{name}: changed {', '.join(diff)}", file=sys.stderr)
                before = after
        leaked = sum((tmp / name).exists() for name in ("leak.csv", "export", "other.duckdb"))
    line = {
        "tried": tried,
        "refused": refused,
        "changed_store": changed,
        "leaked_files": leaked,
        "seconds": round(time.perf_counter() - started, 2),
    }
    print(json.dumps(line))
    return 0 if refused == tried and changed == 0 and leaked == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
