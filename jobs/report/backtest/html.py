"""The self-contained HTML report of a backtest: equity curve, sweep heat map, tables."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from jobs.report.backtest.charts import equity_figure, heatmap_figure, portfolio_figure
from jobs.report.backtest.tables import (
    backtest_warnings,
    portfolio_table,
    stats_table,
    sweep_table,
    trades_table,
)
from jobs.report.figures import png_data_uri

if TYPE_CHECKING:
    from jobs.report.text import TextTable
    from jobs.runs import BacktestRun


def html_backtest(run: BacktestRun) -> str:
    title = html.escape(run.definition.rule.title or run.definition.rule.id)
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>",
        "<style>body{font-family:Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}"
        "td:first-child{text-align:left}.warn{background:#fff7e0;border-left:4px solid #e0a800;padding:.5em 1em}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>run <code>{html.escape(run.run_id)}</code></p>",
    ]
    warnings = backtest_warnings(run)
    if warnings:
        parts.append(
            "<div class='warn'><ul>"
            + "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
            + "</ul></div>"
        )
    book = portfolio_figure(run)
    if book is not None:
        parts.append(
            f"<figure class='chart' data-kind='portfolio'><img alt='portfolio equity, drawdown and exposure' src='{png_data_uri(book)}'></figure>"
        )
    table = portfolio_table(run)
    if table is not None:
        parts.append(_table(table))
    parts.append(
        f"<figure class='chart' data-kind='equity'><img alt='trade-level equity' src='{png_data_uri(equity_figure(run))}'></figure>"
    )
    heat = heatmap_figure(run)
    if heat is not None:
        parts.append(
            f"<figure class='chart' data-kind='sweep'><img alt='sweep' src='{png_data_uri(heat)}'></figure>"
        )
    for t in [stats_table(run), sweep_table(run), trades_table(run)]:
        if t is not None:
            parts.append(_table(t))
    parts.append("</body></html>")
    return "".join(parts)


def _table(table: TextTable) -> str:
    return (
        f"<h3>{html.escape(table.title)}</h3><table><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
        + "</tr>"
        + "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in table.rows
        )
        + "</table>"
        + (f"<p><small>{html.escape(table.note)}</small></p>" if table.note else "")
    )
