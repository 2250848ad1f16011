"""The terminal report (rich): the answer first, then ranked warnings and the groups.

Its length follows what it shows, not the size of the study: the answer (at most
:data:`ANSWER_ROWS` rows), one line per kind of warning, and the groups over the main window.
``verbose`` adds the warnings' details, each group's tests per window and per day, and the
per-observation tables (at most :data:`DETAIL_ROWS` rows; the files hold every one). Tables are
fitted to the console's width (:mod:`jobs.report.layout`): nothing is truncated. Data is never
read as markup or emoji.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from jobs.report.layout import print_table
from jobs.report.study.answer import (
    KEY_TESTS,
    answer_table,
    daily_table,
    full_groups,
    group_tests_table,
    groups_table,
    measured_line,
    report_title,
)
from jobs.report.study.markdown import config_lines
from jobs.report.study.measures import (
    compact_measures_table,
    measure_tests_table,
    measures_table,
)
from jobs.report.study.tables import detail_tables, stamp_table
from jobs.warnings import group_warnings

if TYPE_CHECKING:
    from jobs.runs import StudyRun

ANSWER_ROWS = 20
GROUP_ROWS = 12
DETAIL_ROWS = 200
FOCUS_LINES = 5  # confounded events of the answer shown under the headline without --verbose


def _say(console: Console, text: str, style: str = "", *, indent: str = "", hang: str = "") -> None:
    """Data as lines (never markup): wrapped to the console, later lines indented by ``hang``."""
    if not indent and not hang:
        console.print(Text(text, style=style), highlight=False, emoji=False, markup=False)
        return
    lines = textwrap.wrap(
        text,
        max(20, console.width),
        initial_indent=indent,
        subsequent_indent=" " * len(indent) + hang,
        break_on_hyphens=False,
    )
    for line in lines:
        console.print(
            Text(line, style=style, no_wrap=True), highlight=False, emoji=False, markup=False
        )


def print_warnings(run: StudyRun, console: Console, *, verbose: bool = False) -> None:
    focus = [r.event_id for r in run.answer.rows] if run.answer else []
    groups = group_warnings(run.warnings, main_window=run.definition.main_window, focus=focus)
    if not groups:
        return
    hidden = 0
    _say(console, f"Warnings ({len(groups)} kinds, most important first)", "bold yellow")
    for g in groups:
        _say(console, g.headline, indent="  ! ", hang="  ")
        details = [line for line in g.lines if line != g.headline]
        if verbose:
            shown = details[:DETAIL_ROWS]
        elif g.code == "confounded":
            mine = set(focus)
            shown = [d for d in details if d.split(":", 1)[0] in mine][:FOCUS_LINES]
        else:
            shown = []
        for line in shown:
            _say(console, line, indent="      ", hang="  ")
        hidden += len(details) - len(shown)
    if hidden:
        _say(console, f"  ({hidden} more warning line(s): --verbose prints them)", "dim")


def print_report(
    run: StudyRun, console: Console, *, verbose: bool = False, footer: str = ""
) -> None:
    """Print the answer, the ranked warnings and the groups (``verbose``: every table)."""
    _say(console, report_title(run), "bold")
    _say(console, f"study {run.definition.study.id}, run {run.run_id}", "dim")
    _say(console, measured_line(run))
    if run.answer is not None:
        _say(console, "")
        _say(console, "Question: " + run.answer.question, "bold")
        if run.spillover is not None:  # a spillover study: its answer first
            from jobs.report.study.spillover import print_spillover

            print_spillover(run, console, verbose=verbose)
        print_table(console, answer_table(run, limit=None if verbose else ANSWER_ROWS))
        extra = (
            measures_table(run, limit=None)
            if verbose
            else compact_measures_table(run, limit=ANSWER_ROWS)
        )
        if extra is not None:
            print_table(console, extra)
    print_warnings(run, console, verbose=verbose)
    if run.groups:
        tests = None if verbose else [t for t in KEY_TESTS if t in run.definition.report.tests]
        table = groups_table(
            run, tests=tests, limit=None if verbose else GROUP_ROWS, titles=verbose
        )
        print_table(console, table)
    if verbose:
        tests_table = measure_tests_table(run)
        if tests_table is not None:
            print_table(console, tests_table)
        for group in full_groups(run):
            print_table(console, group_tests_table(run, group))
            print_table(console, daily_table(run, group))
        for table in detail_tables(run, compact=True, limit=DETAIL_ROWS):
            print_table(console, table)
        print_table(console, stamp_table(run))
        for line in config_lines(run):
            _say(console, line.replace("**", ""))
    if footer:
        _say(console, footer, "dim")
