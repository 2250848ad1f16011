"""The result objects of the services: a study run and a backtest run.

Plain frozen data: the services build them, :mod:`jobs.report` renders them and
:mod:`storage` stores them. Nothing here reads or writes anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import polars as pl

from jobs.definitions.rule import RuleDefinition
from jobs.definitions.study import StudyDefinition
from jobs.warnings import StudyWarning

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
class MeasureResult:
    """What one measure beyond returns measured (:mod:`jobs.services.measures`).

    ``frames``: the measure's frames (``volume_daily``, ``volume_windows`` or
    ``volatility_daily``, ``volatility_windows``; :mod:`backtest.measures`); ``tests``: the
    engine's cross-event tests of all the study's observations, one row per window and test.
    """

    name: str
    frames: dict[str, pl.DataFrame]
    tests: pl.DataFrame

    @property
    def daily(self) -> pl.DataFrame:
        return self.frames[f"{self.name}_daily"]

    @property
    def windows(self) -> pl.DataFrame:
        return self.frames[f"{self.name}_windows"]


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
    #: measures beyond returns (``[measure] measures``), by name (``"volume"``,
    #: ``"volatility"``), on the main benchmark's observations
    measures: dict[str, MeasureResult] = field(default_factory=dict)
    #: the run as stored, once shaped (:func:`jobs.run_tables.stored_tables` fills it)
    stored: dict[str, dict[str, pl.DataFrame]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: report tables built once and shared by the formats (jobs.report.study.answer fills it)
    tables: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)
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
