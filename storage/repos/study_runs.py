"""Stored event-study runs: one ``study_runs`` row and its result tables.

The result tables and their columns are defined here once (:data:`RESULT_COLUMNS`,
checked against the migrations by the tests). Per run and benchmark:

==================  ================================================  =========================
table               one row per                                       key
==================  ================================================  =========================
event_diagnostics   event and ticker: fit, status, day-0 moves         event_id, ticker
abnormal_returns    event, ticker and event day                        event_id, ticker, rel_day
cars                event, ticker and window                           event_id, ticker, start, end
car_paths           event, ticker and event day (cumulative)           event_id, ticker, rel_day
aar                 event day (average over observations)              rel_day
tests               window and cross-event test                        start, end, test
answer              answer row (main benchmark only)                   event_id, ticker
group_tests         group, window and test (main benchmark only)       group_id, start, end, test
group_daily         group, event day and test (main benchmark only)    group_id, rel_day, test
group_members       group and observation, merged ones included        group_id, event_id, ticker
volume_daily        event, ticker and event day: abnormal log volume   event_id, ticker, rel_day
volume_windows      event, ticker and window: cumulated, its z         event_id, ticker, start, end
volume_tests        window and cross-event test of abnormal volume     start, end, test
volatility_daily    event, ticker and event day: U = SAR²              event_id, ticker, rel_day
volatility_windows  event, ticker and window: variance ratio, its z    event_id, ticker, start, end
volatility_tests    window and cross-event test of abnormal volatility start, end, test
==================  ================================================  =========================

(every key also starts with ``run_id, benchmark``). See ``docs/sql.md`` for the meaning of
each column.

The volume and volatility tables hold rows only for runs that measure them (``[measure]
measures``), for the run's main benchmark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.errors import StoreInputError
from storage.repos._db import Db
from storage.repos._results import check_json, insert_run, load_run, shape

if TYPE_CHECKING:
    import polars as pl

#: Columns of ``core.study_runs``, in table order.
RUN_COLUMNS = (
    "run_id",
    "study_id",
    "title",
    "created_at",
    "package_version",
    "model",
    "benchmarks",
    "definition",
    "data_stamp",
    "input_hash",
    "n_observations",
    "n_ok",
    "registered",
)

#: Columns of the cross-event tests of a measure beyond returns (``mean``: the mean over the
#: observations of the window's cumulated abnormal value).
MEASURE_TEST_COLUMNS = (
    "run_id",
    "benchmark",
    "start",
    "end",
    "test",
    "n",
    "mean",
    "stat",
    "p",
    "distribution",
    "note",
)

#: Every result table's columns, in table order (``run_id, benchmark`` first).
RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "event_diagnostics": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "day0",
        "status",
        "model",
        "alpha",
        "beta",
        "r2",
        "sigma",
        "n_est",
        "n_dropped_clean",
        "dof",
        "params",
        "confounded_by",
        "timing",
        "own",
        "gap",
        "open_to_close",
        "close_to_close",
    ),
    "abnormal_returns": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "rel_day",
        "date",
        "ret",
        "expected",
        "ar",
        "var_ar",
        "t",
        "p",
    ),
    "cars": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "start",
        "end",
        "status",
        "car",
        "var_car",
        "car_t",
        "car_p",
        "bhar",
        "bhar_model",
        "confounded_by",
    ),
    "car_paths": ("run_id", "benchmark", "event_id", "ticker", "rel_day", "car", "var_car"),
    "aar": ("run_id", "benchmark", "rel_day", "n", "aar", "caar", "t", "p"),
    "tests": (
        "run_id",
        "benchmark",
        "start",
        "end",
        "test",
        "n",
        "caar",
        "mean_bhar",
        "stat",
        "p",
        "distribution",
        "note",
        "ci_low",
        "ci_high",
    ),
    "answer": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "day0",
        "own",
        "start",
        "end",
        "status",
        "car",
        "t",
        "p",
        "q",
        "robust_test",
        "robust_stat",
        "robust_p",
        "robust_n",
        "confounded_by",
        "verdict",
    ),
    "group_tests": (
        "run_id",
        "benchmark",
        "group_id",
        "label",
        "start",
        "end",
        "test",
        "n",
        "caar",
        "mean_bhar",
        "stat",
        "p",
        "distribution",
        "df",
        "note",
        "ci_low",
        "ci_high",
    ),
    "group_daily": (
        "run_id",
        "benchmark",
        "group_id",
        "label",
        "rel_day",
        "n",
        "aar",
        "caar",
        "test",
        "stat",
        "p",
        "distribution",
        "df",
        "note",
        "ci_low",
        "ci_high",
    ),
    "group_members": (
        "run_id",
        "benchmark",
        "group_id",
        "label",
        "event_id",
        "ticker",
        "day0",
        "own",
        "merged_into",
    ),
    "volume_daily": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "rel_day",
        "date",
        "log_volume",
        "expected",
        "av",
        "var_av",
        "z",
    ),
    "volume_windows": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "start",
        "end",
        "status",
        "cav",
        "var_cav",
        "z",
        "p",
        "confounded_by",
    ),
    "volume_tests": MEASURE_TEST_COLUMNS,
    "volatility_daily": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "rel_day",
        "date",
        "sar2",
        "level",
        "excess",
        "z",
    ),
    "volatility_windows": (
        "run_id",
        "benchmark",
        "event_id",
        "ticker",
        "start",
        "end",
        "status",
        "ratio",
        "excess",
        "z",
        "p",
        "confounded_by",
    ),
    "volatility_tests": MEASURE_TEST_COLUMNS,
}

#: Each result table's primary key.
RESULT_KEYS: dict[str, tuple[str, ...]] = {
    "event_diagnostics": ("run_id", "benchmark", "event_id", "ticker"),
    "abnormal_returns": ("run_id", "benchmark", "event_id", "ticker", "rel_day"),
    "cars": ("run_id", "benchmark", "event_id", "ticker", "start", "end"),
    "car_paths": ("run_id", "benchmark", "event_id", "ticker", "rel_day"),
    "aar": ("run_id", "benchmark", "rel_day"),
    "tests": ("run_id", "benchmark", "start", "end", "test"),
    "answer": ("run_id", "benchmark", "event_id", "ticker"),
    "group_tests": ("run_id", "benchmark", "group_id", "start", "end", "test"),
    "group_daily": ("run_id", "benchmark", "group_id", "rel_day", "test"),
    "group_members": ("run_id", "benchmark", "group_id", "event_id", "ticker"),
    "volume_daily": ("run_id", "benchmark", "event_id", "ticker", "rel_day"),
    "volume_windows": ("run_id", "benchmark", "event_id", "ticker", "start", "end"),
    "volume_tests": ("run_id", "benchmark", "start", "end", "test"),
    "volatility_daily": ("run_id", "benchmark", "event_id", "ticker", "rel_day"),
    "volatility_windows": ("run_id", "benchmark", "event_id", "ticker", "start", "end"),
    "volatility_tests": ("run_id", "benchmark", "start", "end", "test"),
}


@dataclass(frozen=True, kw_only=True)
class StudyRunRecord:
    """A ``study_runs`` row: what ran, on which data, with what outcome.

    ``definition`` is the study's canonical JSON; ``data_stamp`` a JSON array with, per
    ticker, the first and last session used, rows, source and load time; ``registered``
    marks runs of exactly a registered study (they feed the ``latest_*`` views).
    """

    run_id: str
    study_id: str
    title: str
    created_at: dt.datetime
    package_version: str
    model: str
    benchmarks: tuple[str, ...]
    definition: str
    data_stamp: str
    input_hash: str
    n_observations: int
    n_ok: int
    registered: bool = False

    def __post_init__(self) -> None:
        if not self.run_id:
            raise StoreInputError("a study run needs a run id")
        if not self.benchmarks:
            raise StoreInputError(f"study run {self.run_id!r} has no benchmarks")
        if self.created_at.utcoffset() is None:
            raise StoreInputError(f"study run {self.run_id!r}: created_at has no time zone")
        check_json(self.definition, field="definition", key=f"study run {self.run_id!r}")
        check_json(self.data_stamp, field="data_stamp", key=f"study run {self.run_id!r}")


class StudyRunsRepo:
    """Study runs with their results, stored and read back."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def insert(self, run: StudyRunRecord, results: Mapping[str, Mapping[str, pl.DataFrame]]) -> int:
        """Store ``run`` and its result frames (all or nothing); returns the result rows written.

        ``results[benchmark][table]`` holds the rows of one result table for one benchmark,
        with that table's columns (:data:`RESULT_COLUMNS`) except ``run_id`` and
        ``benchmark``, which are set here. Extra columns are left out, absent non-key
        columns are null, NaN is stored as null. Every benchmark must be one of the run's.
        """
        problems = [
            f"benchmark {b!r} is not one of the run's" for b in results if b not in run.benchmarks
        ]
        problems += [
            f"there is no result table {t!r}"
            for t in sorted({t for frames in results.values() for t in frames})
            if t not in RESULT_COLUMNS
        ]
        if problems:
            raise StoreInputError(f"study run {run.run_id!r}: {'; '.join(problems)}")
        shaped = [
            (
                table,
                shape(
                    frame,
                    RESULT_COLUMNS[table],
                    RESULT_KEYS[table],
                    {"run_id": run.run_id, "benchmark": bench},
                    table=table,
                ),
            )
            for bench, frames in results.items()
            for table, frame in frames.items()
        ]
        return insert_run(
            self._db,
            "study_runs",
            RUN_COLUMNS,
            [list(run.benchmarks) if c == "benchmarks" else getattr(run, c) for c in RUN_COLUMNS],
            shaped,
            what=f"store study run {run.run_id}",
        )

    def get(self, run_id: str) -> StudyRunRecord | None:
        """One run's ``study_runs`` row, or ``None``."""
        found = self._db.rows(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM study_runs WHERE run_id = ?",
            [run_id],
            what="read a study run",
        )
        return _record(found[0]) if found else None

    def list(self, limit: int = 20, *, study_id: str | None = None) -> list[StudyRunRecord]:
        """The latest runs (of one study, when given), newest first."""
        where = "WHERE study_id = ? " if study_id is not None else ""
        params: list[object] = [study_id] if study_id is not None else []
        rows = self._db.rows(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM study_runs {where}"
            "ORDER BY created_at DESC, run_id DESC LIMIT ?",
            [*params, int(limit)],
            what="list study runs",
        )
        return [_record(r) for r in rows]

    def load_frames(self, run_id: str) -> dict[str, pl.DataFrame]:
        """A stored run's rows, table by table: ``study_runs`` (one row) then each result table
        (:data:`RESULT_COLUMNS`, sorted by every column). Raises :class:`NotFoundError`."""
        return load_run(
            self._db, "study_runs", RUN_COLUMNS, RESULT_COLUMNS, run_id, kind="study run"
        )


def _record(r: tuple[Any, ...]) -> StudyRunRecord:
    values = dict(zip(RUN_COLUMNS, r, strict=True))
    values["benchmarks"] = tuple(values["benchmarks"])
    return StudyRunRecord(**values)
