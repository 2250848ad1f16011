"""A report table as rows of strings, and its three renderings: Markdown, HTML and rich.

Study and backtest reports build :class:`TextTable` objects once; each format renders them
here, so a table looks the same wherever it appears. Cell text is data, never markup.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table


@dataclass(frozen=True)
class TextTable:
    """A titled table of strings, with an optional note printed under it.

    ``labels``: how many leading columns name the row (repeated when a terminal splits the
    table); ``wrap``: columns of free text that a terminal may wrap at spaces.
    """

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    wrap: tuple[int, ...] = ()
    labels: int = 3


_MD_SPECIAL = "\\`*_[]<>|#:~"


def md_escape(text: str) -> str:
    """Data as literal Markdown text: every character that could start markup (emphasis,
    links, HTML, tables, headings, emoji shortcodes, strike-through) is backslash-escaped."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def table_markdown(table: TextTable) -> str:
    """A GitHub-flavoured Markdown table under a ``###`` heading (cells are escaped data;
    line breaks in cells become ``<br>``)."""

    def cell(text: str) -> str:
        return "<br>".join(md_escape(line) for line in text.split("\n"))

    lines = [
        f"### {md_escape(table.title)}",
        "",
        "| " + " | ".join(cell(h) for h in table.header) + " |",
        "|" + "---|" * len(table.header),
    ]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", f"_{md_escape(table.note)}_"]
    return "\n".join(lines)


def table_html(table: TextTable) -> str:
    """An HTML table under an ``<h3>``; line breaks in cells become ``<br>``."""
    out = [f"<h3>{html.escape(table.title)}</h3><table><thead><tr>"]
    out.extend(f"<th>{html.escape(h)}</th>" for h in table.header)
    out.append("</tr></thead><tbody>")
    for row in table.rows:
        out.append(
            "<tr>"
            + "".join(f"<td>{html.escape(c).replace(chr(10), '<br>')}</td>" for c in row)
            + "</tr>"
        )
    out.append("</tbody></table>")
    if table.note:
        out.append(f"<p class='note'>{html.escape(table.note)}</p>")
    return "".join(out)


def table_rich(
    table: TextTable, *, label_columns: int | None = None, limit: int | None = None
) -> Table:
    """A rich table: the label columns and free text left-aligned, numbers right-aligned.

    No column wraps: :func:`jobs.report.layout.fit` makes the table fit the terminal first.
    """
    from rich.table import Table
    from rich.text import Text

    labels = table.labels if label_columns is None else label_columns
    t = Table(
        title=Text(table.title),
        caption=Text(table.note) if table.note else None,
        caption_justify="left",
        title_justify="left",
    )
    for i, h in enumerate(table.header):
        left = i < labels or i in table.wrap
        t.add_column(Text(h), no_wrap=True, justify="left" if left else "right")
    for row in table.rows if limit is None else table.rows[:limit]:
        t.add_row(*[Text(c) for c in row])
    return t
