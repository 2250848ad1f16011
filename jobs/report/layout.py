"""Fitting report tables into a terminal width without cutting a number, header or mark.

A :class:`~jobs.report.text.TextTable` is printed whole when it fits. Otherwise its free-text
columns (``TextTable.wrap``) are wrapped at spaces, then its value columns are split over
several tables that repeat the label columns, and as a last resort each row is printed as a
small two-column table (stacked). rich never has to shrink a column, so it never truncates.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.cells import cell_len

from jobs.report.text import TextTable

if TYPE_CHECKING:
    from rich.console import Console

#: The narrowest a wrapped free-text column gets (its longest word may be longer).
MIN_WRAP = 16


def text_width(text: str) -> int:
    """Terminal cells of the widest line of ``text``."""
    return max((cell_len(line) for line in text.split("\n")), default=0)


def table_width(widths: list[int]) -> int:
    """The width rich gives a table with these column widths (padding 1, a border between)."""
    return sum(w + 2 for w in widths) + len(widths) + 1


def _natural(table: TextTable) -> list[int]:
    cols = len(table.header)
    return [
        max([text_width(table.header[i]), *(text_width(r[i]) for r in table.rows if i < len(r))])
        for i in range(cols)
    ]


def _wrap_cell(text: str, width: int) -> str:
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(
            textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
        )
    return "\n".join(lines)


def _shrink_wrapped(table: TextTable, width: int) -> TextTable:
    """Wrap the free-text columns at spaces so that the table fits, when that is enough."""
    widths = _natural(table)
    over = table_width(widths) - width
    if over <= 0 or not table.wrap:
        return table
    floors = _floors(table, widths)
    floor = {i: floors[i] for i in table.wrap}
    target = dict.fromkeys(table.wrap, 0)
    for i in sorted(table.wrap, key=lambda i: -widths[i]):  # take from the widest first
        cut = min(over, max(0, widths[i] - floor[i]))
        target[i] = widths[i] - cut
        over -= cut
    rows = [
        [
            _wrap_cell(c, target[i]) if i in target and target[i] < widths[i] else c
            for i, c in enumerate(r)
        ]
        for r in table.rows
    ]
    return replace(table, rows=rows)


def _columns(table: TextTable, keep: list[int], suffix: str) -> TextTable:
    return TextTable(
        table.title + suffix,
        [table.header[i] for i in keep],
        [[r[i] for i in keep] for r in table.rows],
        table.note,
        wrap=tuple(keep.index(i) for i in table.wrap if i in keep),
        labels=min(table.labels, len(keep)),
    )


def _stacked(table: TextTable) -> list[TextTable]:
    """One two-column table (column name, value) per row: the narrowest layout there is."""
    out = [
        TextTable(
            f"{table.title} ({k} of {len(table.rows)})",
            ["", ""],
            [[table.header[i], r[i]] for i in range(len(table.header))],
            "",
            labels=1,
        )
        for k, r in enumerate(table.rows, 1)
    ]
    if out and table.note:
        out[-1] = replace(out[-1], note=table.note)
    return out


def _floors(table: TextTable, widths: list[int]) -> list[int]:
    """The narrowest each column can get: its natural width, or for free text its longest word."""
    out = list(widths)
    for i in table.wrap:
        words = [cell_len(w) for r in table.rows for w in r[i].split()]
        out[i] = min(widths[i], max([MIN_WRAP, text_width(table.header[i]), *words]))
    return out


def fit(table: TextTable, width: int) -> list[TextTable]:
    """Tables that together show every cell of ``table`` whole, each at most ``width`` wide.

    In order: the table as it is; its free text wrapped; its value columns split over several
    tables (each repeating the label columns, free text wrapped where needed); each row stacked.
    """
    widths = _natural(table)
    if table_width(widths) <= width:
        return [table]
    shrunk = _shrink_wrapped(table, width)
    if table_width(_natural(shrunk)) <= width:
        return [shrunk]
    floors = _floors(table, widths)
    labels = list(range(table.labels))
    values = list(range(table.labels, len(widths)))
    base = [widths[i] for i in labels]
    if not values or table_width([*base, max(floors[i] for i in values)]) > width:
        return [t for s in _stacked(table) for t in fit_plain(s, width)]
    chunks: list[list[int]] = [[]]
    for i in values:
        trial = [*base, *(floors[j] for j in chunks[-1]), floors[i]]
        if chunks[-1] and table_width(trial) > width:
            chunks.append([])
        chunks[-1].append(i)
    n = len(chunks)
    parts = [
        _shrink_wrapped(_columns(table, labels + chunk, f" ({k} of {n})"), width)
        for k, chunk in enumerate(chunks, 1)
    ]
    for k in range(n - 1):  # the note once, under the last part
        parts[k] = replace(parts[k], note="")
    return parts


def fit_plain(table: TextTable, width: int) -> list[TextTable]:
    """A two-column table (stacked rows): values wrapped at spaces to fit, and a value with no
    space that is still too wide folded over lines (every character kept)."""
    widths = _natural(table)
    if table_width(widths) <= width:
        return [table]
    room = max(MIN_WRAP, width - table_width([widths[0], 0]))
    rows = [
        [r[0], "\n".join(textwrap.wrap(r[1], room, break_on_hyphens=False) or [""])]
        for r in table.rows
    ]
    return [replace(table, rows=rows)]


def print_table(console: Console, table: TextTable, *, width: int | None = None) -> None:
    """Print ``table`` on ``console`` fitted to its width (never read as markup)."""
    from jobs.report.text import table_rich

    w = width or console.width
    for part in fit(table, w):
        console.print(table_rich(part))
