"""The terminal report (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jobs.report.study.markdown import config_lines
from jobs.report.study.tables import TextTable, all_tables

if TYPE_CHECKING:
    from jobs.runs import StudyRun


def _rich(table: TextTable) -> Table:
    t = Table(title=table.title, caption=table.note, caption_justify="left", title_justify="left")
    for i, h in enumerate(table.header):
        t.add_column(h, no_wrap=i < 3, justify="left" if i < 3 else "right")
    for row in table.rows:
        t.add_row(*row)
    return t


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
        console.print(_rich(table))
