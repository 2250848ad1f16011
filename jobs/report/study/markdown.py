"""The Markdown report (``report.md``) and the HTML tables used in notebooks.

The answer comes first, then the warnings (one line per kind, details folded in
``<details>``), the groups (over the main window, then each group's tests per window and per
day), the per-observation tables, and the configuration last. Tables above
:data:`~jobs.report.study.answer.FULL_ROWS` observations show the ones that matter; the CSV and
Parquet files hold every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs.report.study.answer import (
    FULL_ROWS,
    answer_table,
    daily_table,
    full_groups,
    group_tests_table,
    groups_table,
    measured_line,
    report_title,
)
from jobs.report.study.measures import measure_tests_table, measures_table
from jobs.report.study.tables import detail_tables, stamp_table
from jobs.report.text import md_escape, table_html, table_markdown
from jobs.warnings import group_warnings

if TYPE_CHECKING:
    from jobs.runs import StudyRun

#: Detail lines of one kind of warning in report.md and report.html (the rest: study.json).
DETAIL_LINES = 100


def config_lines(run: StudyRun) -> list[str]:
    m = run.definition.model
    windows = ", ".join(f"[{a},{b}]" for a, b in m.windows)
    return [
        f"- model: **{m.name}**, benchmark(s): {', '.join(m.benchmarks)} (the first is the main one)",
        f"- estimation window: [{m.estimation.start}, {m.estimation.end}] sessions, at least {m.estimation.min_obs} observations; "
        f"clean of other events' windows: {'yes' if m.clean_estimation else 'no'}",
        f"- event windows: {windows}; residual variance denominator {m.variance_denominator}; {m.return_kind} returns",
    ]


def warning_lines(run: StudyRun) -> list[str]:
    focus = [r.event_id for r in run.answer.rows] if run.answer else []
    groups = group_warnings(run.warnings, main_window=run.definition.main_window, focus=focus)
    if not groups:
        return []
    out = ["## Warnings", ""]
    out += [f"- {md_escape(g.headline)}" for g in groups]
    details = [(g, [x for x in g.lines if x != g.headline]) for g in groups]
    count = sum(len(d) for _, d in details)
    if count:
        out += ["", f"<details><summary>Details ({count:,} lines)</summary>", ""]
        for _group, lines in details:
            out += [f"- {md_escape(line)}" for line in lines[:DETAIL_LINES]]
            if len(lines) > DETAIL_LINES:
                out.append(f"- ... {len(lines) - DETAIL_LINES:,} more (study.json: warnings)")
        out += ["", "</details>"]
    return [*out, ""]


def markdown_report(run: StudyRun) -> str:
    """The whole report as Markdown (deterministic for the same run)."""
    parts = [
        f"# {md_escape(report_title(run))}",
        "",
        f"Study `{run.definition.study.id}`, run `{run.run_id}`. {md_escape(measured_line(run))}",
        "",
    ]
    if run.answer is not None:
        parts += [f"**Question:** {md_escape(run.answer.question)}", ""]
        if run.spillover is not None:  # a spillover study: its answer first
            from jobs.report.study.spillover import spillover_markdown

            parts += spillover_markdown(run)
        parts += [table_markdown(answer_table(run, limit=FULL_ROWS)), ""]
        extra = measures_table(run, limit=FULL_ROWS)
        if extra is not None:
            parts += [table_markdown(extra), ""]
    parts += warning_lines(run)
    if run.groups:
        parts += ["## Groups", "", table_markdown(groups_table(run, limit=FULL_ROWS)), ""]
        for group in full_groups(run):
            parts += [table_markdown(group_tests_table(run, group)), ""]
            parts += [table_markdown(daily_table(run, group)), ""]
    tests_table = measure_tests_table(run)
    if tests_table is not None:
        parts += ["## Volume and volatility", "", table_markdown(tests_table), ""]
    parts += ["## Observations", ""]
    for table in detail_tables(run, limit=FULL_ROWS):
        parts += [table_markdown(table), ""]
    parts += ["## Configuration and data", "", *config_lines(run), ""]
    parts += [table_markdown(stamp_table(run)), ""]
    return "\n".join(parts).rstrip() + "\n"


def html_tables(run: StudyRun) -> str:
    """The answer and the per-observation tables as HTML (Jupyter's rich display)."""
    tables = [answer_table(run)] if run.answer is not None else []
    extra = measures_table(run)
    if extra is not None:
        tables.append(extra)
    tables += detail_tables(run, compact=True, limit=FULL_ROWS)
    return "".join(table_html(table) for table in tables)
