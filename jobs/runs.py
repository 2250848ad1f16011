"""The result objects of the services: a study run and a backtest run.

Plain frozen data: the services build them, :mod:`jobs.report` renders them and
:mod:`storage` stores them. Nothing here reads or writes anything.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import polars as pl

from jobs.definitions.rule import RuleDefinition
from jobs.definitions.study import StudyDefinition
from jobs.warnings import StudyWarning
from storage.repos.study_runs import RESULT_COLUMNS

if TYPE_CHECKING:
    from jobs.answer import Answer
    from jobs.groups import GroupResult
    from jobs.spillover.result import Spillover


def package_version() -> str:
    try:
        return metadata.version("market-reaction")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


@dataclass(frozen=True)
class StudyRun:
    """One run of a study: its id, definition, data stamp and one engine result per benchmark.

    ``results[benchmark]`` is a :class:`backtest.EventStudyResult`; the first
    benchmark of the definition is the main one. ``warnings`` are what a reader
    must see next to the numbers (:func:`jobs.warnings.study_warnings`); ``groups``
    the cross-event tests of the study's groups (:mod:`jobs.groups`) and ``answer``
    the rows that answer its question (:mod:`jobs.answer`). Rendering
    lives in :mod:`jobs.report`; the runs that :func:`jobs.services.study.run_study`
    returns also render in Jupyter and plot (:class:`jobs.report.study.notebook.NotebookStudyRun`).
    """

    run_id: str
    definition: StudyDefinition
    created_at: dt.datetime
    package_version: str
    input_hash: str
    stamp: list[dict[str, Any]]
    observations: pl.DataFrame
    moves: pl.DataFrame
    results: dict[str, Any]
    events: pl.DataFrame = field(default_factory=pl.DataFrame)
    prices: pl.DataFrame = field(default_factory=pl.DataFrame)
    catalog: pl.DataFrame = field(default_factory=pl.DataFrame)
    actions: pl.DataFrame = field(default_factory=pl.DataFrame)
    warnings: tuple[StudyWarning, ...] = ()
    groups: tuple[
        GroupResult, ...
    ] = ()  # jobs.groups: cross-event tests per group (main benchmark)
    answer: Answer | None = None  # jobs.answer: the rows that answer the study's question
    spillover: Spillover | None = None  # jobs.spillover: a study with [roles]

    @property
    def benchmark(self) -> str:
        return self.definition.model.benchmarks[0]

    @property
    def main(self) -> Any:
        """The engine result on the main benchmark."""
        return self.results[self.benchmark]

    def summary(self) -> str:
        lines = [
            f"study {self.definition.study.id} run {self.run_id} ({self.package_version}), "
            f"inputs {self.input_hash[:12]}"
        ]
        for bench, res in self.results.items():
            lines.append(f"--- benchmark {bench} ---")
            lines.append(res.summary())
        return "\n".join(lines)


@dataclass(frozen=True)
class BacktestRun:
    """One run of a rule: trades and statistics, and the sweep when asked for."""

    run_id: str
    definition: RuleDefinition
    created_at: dt.datetime
    package_version: str
    input_hash: str
    stamp: list[dict[str, Any]]
    result: Any  # backtest.trading.TradeResult
    sweep: Any | None = None  # backtest.trading.TradeSweepResult
    candidates: pl.DataFrame = field(default_factory=pl.DataFrame)

    def summary(self) -> str:
        head = f"rule {self.definition.rule.id} run {self.run_id} ({self.package_version})"
        parts = [head, self.result.summary()]
        if self.sweep is not None:
            parts.append(self.sweep.summary())
        return "\n".join(parts)


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


# -- the stored shape of a study run -------------------------------------------------------------

#: The result tables of a study run and their columns, from the store's definition (without the
#: ``run_id`` and ``benchmark`` keys, which :func:`result_frames` adds last).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(c for c in columns if c not in ("run_id", "benchmark"))
    for table, columns in RESULT_COLUMNS.items()
}


def _clean_floats(frame: pl.DataFrame) -> pl.DataFrame:
    floats = [c for c, t in frame.schema.items() if t in (pl.Float64, pl.Float32)]
    return frame.with_columns(
        [pl.when(pl.col(c).is_nan()).then(None).otherwise(pl.col(c)).alias(c) for c in floats]
    )


def result_frames(run: StudyRun, benchmark: str) -> dict[str, pl.DataFrame]:
    """The engine's frames for one benchmark, shaped like the stored tables."""
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
    param_cols = [c for c in diag.columns if c.startswith("param_")]
    if "params" not in diag.columns:
        if param_cols:
            diag = diag.with_columns(
                pl.struct(param_cols)
                .map_elements(
                    lambda s: json.dumps({k.removeprefix("param_"): v for k, v in s.items()}),
                    return_dtype=pl.String,
                )
                .alias("params")
            )
        else:
            diag = diag.with_columns(pl.lit(None, pl.String).alias("params"))
    elif diag.schema["params"] != pl.String:
        diag = diag.with_columns(
            pl.col("params").map_elements(lambda s: json.dumps(s), return_dtype=pl.String)
        )
    frames = {
        "event_diagnostics": diag,
        "abnormal_returns": res.ar,
        "cars": res.car,
        "car_paths": res.car_path,
        "aar": res.aar,
        "tests": tests_with_df(res.tests),
    }
    out: dict[str, pl.DataFrame] = {}
    for name, frame in frames.items():
        cols = [c for c in TABLE_COLUMNS[name] if c in frame.columns]
        shaped = frame.select(cols)
        for c in TABLE_COLUMNS[name]:
            if c not in shaped.columns:
                shaped = shaped.with_columns(pl.lit(None).alias(c))
        out[name] = _clean_floats(
            shaped.select(TABLE_COLUMNS[name]).with_columns(
                pl.lit(run.run_id).alias("run_id"), pl.lit(benchmark).alias("benchmark")
            )
        )
    return out
