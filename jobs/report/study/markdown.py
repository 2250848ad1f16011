"""The Markdown report (``report.md``) and the HTML tables used in notebooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs.report.study.tables import all_tables
from jobs.report.text import table_html, table_markdown

if TYPE_CHECKING:
    from jobs.runs import StudyRun


def config_lines(run: StudyRun) -> list[str]:
    m = run.definition.model
    windows = ", ".join(f"[{a},{b}]" for a, b in m.windows)
    return [
        f"- model: **{m.name}**, benchmark(s): {', '.join(m.benchmarks)} (the first is the main one)",
        f"- estimation window: [{m.estimation.start}, {m.estimation.end}] sessions, at least {m.estimation.min_obs} observations; "
        f"clean of other events' windows: {'yes' if m.clean_estimation else 'no'}",
        f"- event windows: {windows}; residual variance denominator {m.variance_denominator}; {m.return_kind} returns",
    ]


def markdown_report(run: StudyRun) -> str:
    """The whole report as Markdown (deterministic for the same run)."""
    parts = [
        f"# {run.definition.study.title or run.definition.study.id}",
        "",
        f"Study `{run.definition.study.id}`, run `{run.run_id}`.",
        "",
        *config_lines(run),
        "",
    ]
    warnings = run.warnings
    if warnings:
        parts += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    parts.append("## Results")
    parts.append("")
    for table in all_tables(run):
        parts += [table_markdown(table), ""]
    return "\n".join(parts).rstrip() + "\n"


def html_tables(run: StudyRun) -> str:
    """Tables as HTML (for Jupyter's rich display and the HTML report)."""
    return "".join(table_html(table) for table in all_tables(run, compact=True))
