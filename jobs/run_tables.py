"""A study run as the store keeps it: one frame per result table and benchmark.

The columns come from the store's definition (:data:`storage.repos.study_runs.RESULT_COLUMNS`);
the engine's frames are stored for every benchmark, the answer and the groups
(:mod:`jobs.answer`, :mod:`jobs.groups`) under the main benchmark only. The report files
(CSV/Parquet) are written from the same frames, so what a reader downloads is what SQL shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from backtest.frames import nested
from storage.repos.study_runs import RESULT_COLUMNS

if TYPE_CHECKING:
    from jobs.answer import AnswerRow
    from jobs.runs import StudyRun

#: The result tables of a study run and their columns (without the ``run_id`` and ``benchmark``
#: keys, which :func:`result_frames` adds last).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(c for c in columns if c not in ("run_id", "benchmark"))
    for table, columns in RESULT_COLUMNS.items()
}
#: The tables made from the engine's result (every benchmark).
ENGINE_TABLES = ("event_diagnostics", "abnormal_returns", "cars", "car_paths", "aar", "tests")
#: The tables of the answer and the groups (main benchmark).
REPORT_TABLES = ("answer", "group_tests", "group_daily", "group_members")


def _clean_floats(frame: pl.DataFrame) -> pl.DataFrame:
    floats = [c for c, t in frame.schema.items() if t in (pl.Float64, pl.Float32)]
    return frame.with_columns(
        [pl.when(pl.col(c).is_nan()).then(None).otherwise(pl.col(c)).alias(c) for c in floats]
    )


def _params_json(diag: pl.DataFrame) -> pl.DataFrame:
    """``params`` as a JSON object text (``{"alpha": .., "beta": ..}``; NaN as null)."""
    param_cols = [c for c in diag.columns if c.startswith("param_")]
    if "params" in diag.columns:
        if diag.schema["params"] == pl.String:
            return diag
        return diag.with_columns(pl.col("params").struct.json_encode())
    if not param_cols:
        return diag.with_columns(pl.lit(None, pl.String).alias("params"))
    fields = [
        pl.when(pl.col(c).is_nan()).then(None).otherwise(pl.col(c)).alias(c.removeprefix("param_"))
        if diag.schema[c] in (pl.Float64, pl.Float32)
        else pl.col(c).alias(c.removeprefix("param_"))
        for c in param_cols
    ]
    return diag.with_columns(pl.struct(fields).struct.json_encode().alias("params"))


def _shaped(frame: pl.DataFrame, table: str, run_id: str, benchmark: str) -> pl.DataFrame:
    columns = TABLE_COLUMNS[table]
    present = [c for c in columns if c in frame.columns]
    missing = [pl.lit(None).alias(c) for c in columns if c not in frame.columns]
    return _clean_floats(
        frame.select(present)
        .with_columns(missing)
        .select(columns)
        .with_columns(pl.lit(run_id).alias("run_id"), pl.lit(benchmark).alias("benchmark"))
    )


def tests_with_df(tests: pl.DataFrame) -> pl.DataFrame:
    """The engine's tests with ``distribution`` spelled with its degrees of freedom, e.g. ``t(52)``."""
    if "df" not in tests.columns:
        return tests
    return tests.with_columns(
        pl.when(pl.col("df").is_not_null())
        .then(pl.format("{}({})", pl.col("distribution"), pl.col("df").round(0).cast(pl.Int64)))
        .otherwise(pl.col("distribution"))
        .alias("distribution")
    )


#: the ``answer`` table's columns, and the AnswerRow attribute of those named otherwise
_ANSWER_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "ticker": pl.String(),
    "day0": pl.Date(),
    "own": pl.Boolean(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "status": pl.String(),
    "car": pl.Float64(),
    "t": pl.Float64(),
    "p": pl.Float64(),
    "q": pl.Float64(),
    "robust_test": pl.String(),
    "robust_stat": pl.Float64(),
    "robust_p": pl.Float64(),
    "robust_n": pl.Int64(),
    "confounded_by": pl.List(pl.String),
    "verdict": pl.String(),
}
_ANSWER_ATTRIBUTES = {
    "robust_test": "robust.test",
    "robust_stat": "robust.stat",
    "robust_p": "robust.p",
    "robust_n": "robust.n",
}


def _confounded_by(rows: Sequence[AnswerRow]) -> pl.Series:
    """The answer rows' ``confounded_by`` tuples as one list column."""
    lists = [r.confounded_by for r in rows]
    return nested(
        np.repeat(np.arange(len(lists)), [len(x) for x in lists]),
        pl.Series("confounded_by", [v for x in lists for v in x], dtype=pl.String),
        len(lists),
    )


def report_tables(run: StudyRun) -> dict[str, pl.DataFrame]:
    """The answer and the groups as flat frames: ``answer`` (one row per answer row),
    ``group_tests`` (group, window, test), ``group_daily`` (group, event day, test) and
    ``group_members`` (the observations of each group, and the duplicates merged into them)."""
    rows = run.answer.rows if run.answer else ()
    answer = pl.DataFrame(  # column by column: no dictionary per row
        {
            name: (
                _confounded_by(rows)
                if name == "confounded_by"
                else list(map(attrgetter(_ANSWER_ATTRIBUTES.get(name, name)), rows))
            )
            for name in _ANSWER_SCHEMA
        },
        schema=_ANSWER_SCHEMA,
    )
    tests, daily, members = [], [], []
    for g in run.groups:
        tag = [pl.lit(g.id).alias("group_id"), pl.lit(g.label).alias("label")]
        tests.append(g.tests.select(*tag, pl.all()))
        daily.append(g.daily.select(*tag, pl.all()))
        members.append(
            g.members.select(*tag, pl.all(), pl.lit(None, pl.String).alias("merged_into")).vstack(
                g.merged.select(
                    *tag,
                    "event_id",
                    "ticker",
                    "day0",
                    pl.lit(None, pl.Boolean).alias("own"),
                    pl.col("kept_event_id").alias("merged_into"),
                )
            )
        )

    def cat(frames: list[pl.DataFrame]) -> pl.DataFrame:
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    return {
        "answer": answer,
        "group_tests": cat(tests),
        "group_daily": cat(daily),
        "group_members": cat(members),
    }


def result_frames(run: StudyRun, benchmark: str) -> dict[str, pl.DataFrame]:
    """The frames of one benchmark, shaped like the stored tables (the answer and the groups
    with the main benchmark)."""
    res = run.results[benchmark]
    diag = res.diagnostics.join(
        run.observations.select("event_id", "ticker", "timing", "own"),
        on=["event_id", "ticker"],
        how="left",
    ).join(
        run.moves.select("event_id", "ticker", "gap", "open_to_close", "close_to_close"),
        on=["event_id", "ticker"],
        how="left",
    )
    frames = {
        "event_diagnostics": _params_json(diag),
        "abnormal_returns": res.ar,
        "cars": res.car,
        "car_paths": res.car_path,
        "aar": res.aar,
        "tests": tests_with_df(res.tests),
    }
    if benchmark == run.benchmark:
        frames |= {name: f for name, f in report_tables(run).items() if f.width}
        for measured in run.measures.values():
            frames.update(measured.frames)
            frames[f"{measured.name}_tests"] = tests_with_df(measured.tests).rename(
                {"caar": "mean"}
            )
    return {name: _shaped(f, name, run.run_id, benchmark) for name, f in frames.items()}


def stored_tables(run: StudyRun) -> dict[str, dict[str, pl.DataFrame]]:
    """``tables[benchmark][table]`` for every benchmark of the run, shaped once (kept in
    ``run.stored``) and shared by the store and the report files."""
    if not run.stored:
        run.stored.update({bench: result_frames(run, bench) for bench in run.results})
    return run.stored
