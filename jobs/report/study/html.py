"""The self-contained HTML report (``report.html``): no network needed, charts inline as SVG.

Order: the question and its answer, the warnings (one line per kind, details folded), the
groups with their tests and charts, the event charts (the answer's events and the most
informative others; every other event is one ``reaction study show EVENT`` away), the
per-observation tables, and the configuration folded at the end. The size follows what is
shown, not the number of events: above :data:`~jobs.report.study.answer.FULL_ROWS`
observations the tables show the ones that matter and the CSV/Parquet files hold every row.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

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
from jobs.report.study.chartdata import chart_data, daily_series, informative_events
from jobs.report.study.markdown import DETAIL_LINES, config_lines
from jobs.report.study.measures import measure_tests_table, measures_table
from jobs.report.study.svgcharts import daily_svg, event_svg
from jobs.report.study.tables import detail_tables, stamp_table
from jobs.report.text import table_html
from jobs.warnings import group_warnings

if TYPE_CHECKING:
    from jobs.groups import GroupResult
    from jobs.runs import StudyRun

_CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; }
.sub { color: #555; margin-top: 0; } .question { font-size: 1.1em; background: #eef5fb; padding: 0.6em 1em;
       border-left: 4px solid #1f77b4; }
table { border-collapse: collapse; font-size: 12px; margin: 0.5em 0 0.3em 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, td:nth-child(2) { text-align: left; }
th:first-child, th:nth-child(2) { text-align: left; }
.answer td:last-child { text-align: left; white-space: normal; font-weight: 600; }
.groups td:last-child { text-align: left; white-space: normal; min-width: 18em; }
.note { font-size: 11px; color: #666; margin-top: 0; max-width: 1100px; }
.warn { background: #fff7e0; border-left: 4px solid #e0a800; padding: 0.5em 1em; font-size: 13px; }
details { margin: 0.4em 0; } summary { cursor: pointer; color: #444; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 12px; color: #555; }
.tables { overflow-x: auto; }
pre { background: #f7f7f7; padding: 0.6em; font-size: 11px; overflow-x: auto; }
"""

Progress = Callable[[str], None]


def _e(text: object) -> str:
    return html.escape(str(text))


def chart_events(run: StudyRun) -> list[str]:
    """The events that get a chart: the answer's shown rows, then the largest |t| over the main
    window (``report.event_charts`` of them)."""
    answer = run.answer
    rows = list(answer.rows) if answer else []
    shown = [r.event_id for r in rows[:FULL_ROWS]]
    first = list(dict.fromkeys(shown))
    extra = informative_events(run, run.definition.report.event_charts, set(first))
    return first + extra


def _warnings(run: StudyRun) -> str:
    focus = [r.event_id for r in run.answer.rows] if run.answer else []
    groups = group_warnings(run.warnings, main_window=run.definition.main_window, focus=focus)
    if not groups:
        return ""
    out = ["<div class='warn'><strong>Warnings</strong> (most important first)<ul>"]
    for g in groups:
        details = [x for x in g.lines if x != g.headline]
        if details:
            more = len(details) - DETAIL_LINES
            out.append(
                f"<li>{_e(g.headline)}<details><summary>{len(details):,} detail line(s)</summary><ul>"
                + "".join(f"<li>{_e(x)}</li>" for x in details[:DETAIL_LINES])
                + (f"<li>... {more:,} more (study.json: warnings)</li>" if more > 0 else "")
                + "</ul></details></li>"
            )
        else:
            out.append(f"<li>{_e(g.headline)}</li>")
    out.append("</ul></div>")
    return "".join(out)


def _group_chart(run: StudyRun, group: GroupResult) -> str:
    aar = group.daily.filter(pl.col("test") == "csect_t").select(
        "rel_day", "aar", pl.col("stat").alias("t")
    )
    paths = run.main.car_path.join(
        group.members.select("event_id", "ticker"), on=["event_id", "ticker"], how="semi"
    )
    svg = daily_svg(daily_series(aar, paths), f"{group.id}: {group.label} (N = {group.n:,})")
    return (
        f"<figure class='chart' data-kind='group' data-group='{_e(group.id)}'>{svg}"
        "<figcaption>AAR with 95% bands from the cross-sectional t; CAAR with a 95% band from "
        "the cross-section of the group's CAR paths. x: sessions from day 0.</figcaption></figure>"
    )


def html_report(run: StudyRun, *, progress: Progress | None = None) -> str:
    """The report as one HTML document with every chart inline (SVG)."""
    say = progress or (lambda _m: None)
    title = _e(report_title(run))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p class='sub'>{_e(measured_line(run))} Study <code>{_e(run.definition.study.id)}</code>, "
        f"run <code>{_e(run.run_id)}</code>.</p>",
    ]
    if run.answer is not None:
        parts.append(
            f"<p class='question'><strong>Question.</strong> {_e(run.answer.question)}</p>"
        )
        if run.spillover is not None:  # a spillover study: its answer first
            from jobs.report.study.spillover import spillover_html

            parts.append(spillover_html(run))
        parts.append("<h2>Answer</h2>")
        parts.append(
            f"<div class='tables answer'>{table_html(answer_table(run, limit=FULL_ROWS))}</div>"
        )
        extra = measures_table(run, limit=FULL_ROWS)
        if extra is not None:
            parts.append(f"<div class='tables measures'>{table_html(extra)}</div>")
    parts.append(_warnings(run))
    if run.groups:
        parts.append("<h2>Groups</h2>")
        parts.append(
            f"<div class='tables groups'>{table_html(groups_table(run, limit=FULL_ROWS))}</div>"
        )
        for k, group in enumerate(full_groups(run)):
            say(f"group charts {k + 1}")
            parts.append(
                f"<details{' open' if k == 0 else ''}><summary><strong>{_e(group.id)}</strong>: "
                f"{_e(group.label)} (N = {group.n:,}, {group.n_duplicates_merged:,} merged)</summary>"
            )
            parts.append(_group_chart(run, group))
            parts.append(f"<div class='tables'>{table_html(group_tests_table(run, group))}")
            parts.append(f"{table_html(daily_table(run, group))}</div></details>")
    tests_table = measure_tests_table(run)
    if tests_table is not None:
        parts.append("<h2>Volume and volatility</h2>")
        parts.append(f"<div class='tables measures'>{table_html(tests_table)}</div>")
    events = chart_events(run)
    parts.append("<h2>Events</h2>")
    data = chart_data(run, events)
    for k, event_id in enumerate(events):
        if k % 10 == 0:
            say(f"event charts {k + 1}-{min(k + 10, len(events))} of {len(events)}")
        parts.append(
            f"<figure class='chart' data-kind='event' data-event='{_e(event_id)}'>"
            f"{event_svg(data, event_id)}"
            f"<figcaption>{_e(event_id)}: price of each ticker and the benchmark around day 0 "
            "(red line), and the CAR over the event period with its 95% band.</figcaption></figure>"
        )
    others = (
        run.observations.filter(~pl.col("event_id").is_in(events))
        .get_column("event_id")
        .unique(maintain_order=True)
    )
    if others.len():
        names = ", ".join(_e(e) for e in others.head(200).to_list())
        more = f" and {others.len() - 200:,} more" if others.len() > 200 else ""
        parts.append(
            f"<p class='note'>{others.len():,} other event(s) without a chart here: {names}{more}. "
            "<code>reaction study show EVENT</code> prints any of them; every number is in "
            "cars.csv, abnormal_returns.csv and study.json.</p>"
        )
    parts.append("<h2>Observations</h2>")
    parts.append(
        "<div class='tables'>"
        + "".join(table_html(t) for t in detail_tables(run, compact=True, limit=FULL_ROWS))
        + "</div>"
    )
    parts.append("<details><summary>Configuration and data stamp</summary><ul>")
    parts.extend(
        f"<li>{_e(line.lstrip('- ').replace('**', ''))}</li>" for line in config_lines(run)
    )
    parts.append("</ul>")
    parts.append(f"<div class='tables'>{table_html(stamp_table(run))}</div>")
    config = json.dumps(run.definition.model_dump(mode="json", by_alias=True), indent=2)
    parts.append(f"<pre>{_e(config)}</pre></details>")
    parts.append(
        f"<p class='note'>inputs hash {_e(run.input_hash)}; market-reaction {_e(run.package_version)}</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)
