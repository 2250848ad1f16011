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
    """A titled table of strings, with an optional note printed under it."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def table_markdown(table: TextTable) -> str:
    """A GitHub-flavoured Markdown table under a ``###`` heading."""
    lines = [
        f"### {table.title}",
        "",
        "| " + " | ".join(table.header) + " |",
        "|" + "---|" * len(table.header),
    ]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", f"_{table.note}_"]
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


def table_rich(table: TextTable, *, label_columns: int = 3, limit: int | None = None) -> Table:
    """A rich table: the first ``label_columns`` left-aligned and kept on one line."""
    from rich.table import Table
    from rich.text import Text

    t = Table(
        title=Text(table.title),
        caption=Text(table.note) if table.note else None,
        caption_justify="left",
        title_justify="left",
    )
    for i, h in enumerate(table.header):
        t.add_column(
            Text(h), no_wrap=i < label_columns, justify="left" if i < label_columns else "right"
        )
    for row in table.rows if limit is None else table.rows[:limit]:
        t.add_row(*[Text(c) for c in row])
    return t
