"""The terminal report (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from jobs.report.study.markdown import config_lines
from jobs.report.study.tables import all_tables
from jobs.report.text import table_rich

if TYPE_CHECKING:
    from jobs.runs import StudyRun


def print_report(run: StudyRun, console: Console) -> None:
    """Print the configuration, the warnings and every table."""
    console.print(
        f"[bold]{escape(run.definition.study.title or run.definition.study.id)}[/]  "
        f"(run {escape(run.run_id)})"
    )
    for line in config_lines(run):
        console.print(line.replace("**", ""), highlight=False, markup=False)
    warnings = run.warnings
    if warnings:
        console.print("[bold yellow]warnings[/]")
        for w in warnings:
            console.print(f"  [yellow]![/] {escape(w.text)}", highlight=False)
    for table in all_tables(run, compact=True):
        console.print(table_rich(table))
