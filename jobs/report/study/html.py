"""The self-contained HTML report (``report.html``): tables and inline charts, no network needed."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from jobs.report.figures import png_data_uri
from jobs.report.study.charts import caar_figure, event_figure
from jobs.report.study.markdown import config_lines, html_tables

if TYPE_CHECKING:
    from jobs.runs import StudyRun

_CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; font-size: 12px; margin: 0.5em 0 0.3em 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, td:nth-child(2) { text-align: left; }
.note { font-size: 11px; color: #666; margin-top: 0; }
.warn { background: #fff7e0; border-left: 4px solid #e0a800; padding: 0.5em 1em; font-size: 13px; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 12px; color: #555; }
.tables { overflow-x: auto; }
pre { background: #f7f7f7; padding: 0.6em; font-size: 11px; overflow-x: auto; }
"""


def html_report(run: StudyRun) -> str:
    """The report as one HTML document with every chart embedded as a PNG data URI."""
    title = html.escape(run.definition.study.title or run.definition.study.id)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>Study <code>{html.escape(run.definition.study.id)}</code>, run <code>{html.escape(run.run_id)}</code></p>",
        "<ul>"
        + "".join(
            f"<li>{html.escape(line.lstrip('- ').replace('**', ''))}</li>"
            for line in config_lines(run)
        )
        + "</ul>",
    ]
    warnings = run.warnings
    if warnings:
        parts.append("<div class='warn'><strong>Warnings</strong><ul>")
        parts.extend(f"<li>{html.escape(w.text)}</li>" for w in warnings)
        parts.append("</ul></div>")
    parts.append("<h2>All observations</h2>")
    parts.append(
        f"<figure class='chart' data-kind='caar'><img alt='AAR and CAAR' src='{png_data_uri(caar_figure(run))}'>"
        "<figcaption>AAR with 95% bands from the cross-sectional t; CAAR with a 95% band from the "
        "cross-section of CAR paths.</figcaption></figure>"
    )
    parts.append("<h2>Tables</h2>")
    parts.append(f"<div class='tables'>{html_tables(run)}</div>")
    parts.append("<h2>Events</h2>")
    for event_id in (
        run.observations.sort("day0", "event_id")
        .get_column("event_id")
        .unique(maintain_order=True)
        .to_list()
    ):
        uri = png_data_uri(event_figure(run, event_id))
        parts.append(
            f"<figure class='chart' data-kind='event' data-event='{html.escape(event_id)}'>"
            f"<img alt='{html.escape(event_id)}' src='{uri}'>"
            f"<figcaption>{html.escape(event_id)}: price of each ticker and the benchmark around day 0 "
            "(red line), and the CAR over the widest window with its 95% band.</figcaption></figure>"
        )
    parts.append("<h2>Configuration and data stamp</h2>")
    parts.append(
        f"<pre>{html.escape(json.dumps(run.definition.model_dump(mode='json', by_alias=True), indent=2))}</pre>"
    )
    parts.append(f"<pre>{html.escape(json.dumps(run.stamp, indent=2))}</pre>")
    parts.append(
        f"<p class='note'>inputs hash {run.input_hash}; market-reaction {html.escape(run.package_version)}</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)
