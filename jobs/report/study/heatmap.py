"""The spillover heat map as inline SVG: events (rows) x tickers (columns), coloured by CAR.

Each cell shows the CAR over the main window in percent and its t; the colour runs from red
(down) through white to blue (up), symmetric around zero and clipped at the largest |CAR|
rounded up to 5%. The role is drawn on the cell: a thick black border for the counterparty,
a dashed border for a peer, none for another partner, and its letter in the corner. ``*``
marks a cell beyond noise (q ≤ fdr, no other event in its window), ``c`` one with another
event in its window. The controls (SPY, QQQ, XLK ...) follow after a gap, on the same colour
scale, with their own compounded return over the window.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from jobs.report.study.spillcells import LETTER, cell_mark, ticker_order
from jobs.report.svg import Canvas
from jobs.warnings import window_label

if TYPE_CHECKING:
    from jobs.spillover.result import Spillover

CELL_W, CELL_H, LABEL_W, HEAD_H, GAP, LEGEND_H = 70, 40, 190, 64, 24, 70


def _scale(values: list[float]) -> float:
    """The colour scale's end: max |value| rounded up to 5% (at least 5%)."""
    top = max((abs(v) for v in values if math.isfinite(v)), default=0.05)
    return max(0.05, math.ceil(top / 0.05 - 1e-9) * 0.05)


def colour(value: float | None, top: float) -> str:
    """White at 0, blue (#2166ac) at +top, red (#b2182b) at -top, linear in between."""
    if value is None or not math.isfinite(value):
        return "#eeeeee"
    x = max(-1.0, min(1.0, value / top))
    end = (33, 102, 172) if x > 0 else (178, 24, 43)
    a = abs(x)
    r, g, b = (round(255 + (c - 255) * a) for c in end)
    return f"#{r:02x}{g:02x}{b:02x}"


def _ink(value: float | None, top: float) -> str:
    return (
        "#fff" if value is not None and math.isfinite(value) and abs(value) > 0.6 * top else "#111"
    )


def _rect(c: Canvas, x: float, y: float, fill: str, role: str) -> None:
    stroke = {
        "direct": " stroke='#000' stroke-width='3'",
        "peer": " stroke='#555' stroke-width='1.5' stroke-dasharray='4 3'",
    }.get(role, " stroke='#fff' stroke-width='1'")
    inset = 1.5 if role in ("direct", "peer") else 0.0
    c.parts.append(
        f"<rect x='{x + inset:.1f}' y='{y + inset:.1f}' width='{CELL_W - 2 * inset:.1f}' "
        f"height='{CELL_H - 2 * inset:.1f}' fill='{fill}'{stroke}/>"
    )


def heatmap_svg(s: Spillover, model: str, benchmark: str) -> str:
    """The heat map of the main benchmark's matrix, with the controls beside it."""
    m = s.matrix[benchmark]
    tickers = ticker_order(s)
    events = m.select("event_id", "day0").unique(maintain_order=True).rows()
    by = {(r["event_id"], r["ticker"]): r for r in m.iter_rows(named=True)}
    controls = {
        (r["event_id"], r["ticker"]): r["window_ret"] for r in s.controls.iter_rows(named=True)
    }
    values = [r["car"] for r in by.values() if r["car"] is not None]
    values += [v for v in controls.values() if v is not None]
    top = _scale(values)
    n_ctl = len(s.controls_tickers)
    width = LABEL_W + CELL_W * len(tickers) + (GAP + CELL_W * n_ctl if n_ctl else 0) + 16
    height = HEAD_H + CELL_H * len(events) + LEGEND_H
    c = Canvas(int(width), int(height))
    c.text(
        width / 2,
        18,
        f"CAR{window_label(*s.window)} per event and ticker ({model} on {benchmark})",
        size=13,
        weight="bold",
    )
    x_ctl = LABEL_W + CELL_W * len(tickers) + GAP
    for k, t in enumerate(tickers):
        c.text(LABEL_W + CELL_W * (k + 0.5), HEAD_H - 8, t, size=11, weight="bold")
    if n_ctl:
        c.text(x_ctl + CELL_W * n_ctl / 2, HEAD_H - 26, "market (own move)", size=10, color="#555")
        for k, t in enumerate(s.controls_tickers):
            c.text(x_ctl + CELL_W * (k + 0.5), HEAD_H - 8, t, size=11, weight="bold")
    for i, (event_id, day0) in enumerate(events):
        y = HEAD_H + CELL_H * i
        c.text(LABEL_W - 8, y + CELL_H / 2 - 2, event_id, size=11, anchor="end", weight="bold")
        c.text(
            LABEL_W - 8, y + CELL_H / 2 + 11, f"day 0 {day0}", size=9, anchor="end", color="#555"
        )
        for k, t in enumerate(tickers):
            x = LABEL_W + CELL_W * k
            cell: dict[str, Any] | None = by.get((event_id, t))
            if cell is None:
                continue
            car = cell["car"] if cell["status"] == "ok" else None
            _rect(c, x, y, colour(car, top), cell["role"])
            ink = _ink(car, top)
            label = "n/a" if car is None else f"{100 * car:+.1f}%{cell_mark(cell, s.fdr)}"
            c.text(x + CELL_W / 2, y + CELL_H / 2 + 1, label, size=11, weight="bold", color=ink)
            if car is not None and cell["t"] is not None:
                c.text(x + CELL_W / 2, y + CELL_H - 6, f"t {cell['t']:.1f}", size=8, color=ink)
            c.text(x + 6, y + 11, LETTER.get(cell["role"], "?"), size=8, anchor="start", color=ink)
        for k, t in enumerate(s.controls_tickers):
            x = x_ctl + CELL_W * k
            v = controls.get((event_id, t))
            c.parts.append(
                f"<rect x='{x:.1f}' y='{y:.1f}' width='{CELL_W}' height='{CELL_H}' "
                f"fill='{colour(v, top)}' stroke='#fff'/>"
            )
            text = "n/a" if v is None else f"{100 * v:+.1f}%"
            c.text(x + CELL_W / 2, y + CELL_H / 2 + 4, text, size=11, color=_ink(v, top))
    _legend(c, HEAD_H + CELL_H * len(events) + 14, top, s.fdr)
    return c.svg(label=f"spillover heat map, CAR{window_label(*s.window)}")


def _legend(c: Canvas, y: float, top: float, fdr: float) -> None:
    """The colour bar with its ends and zero, and the role keys."""
    x0, w = LABEL_W, 220
    steps = 44
    for k in range(steps):
        v = -top + 2 * top * (k + 0.5) / steps
        c.parts.append(
            f"<rect x='{x0 + k * w / steps:.1f}' y='{y:.1f}' width='{w / steps + 0.5:.1f}' "
            f"height='12' fill='{colour(v, top)}'/>"
        )
    for v, anchor in ((-top, "start"), (0.0, "middle"), (top, "end")):
        xx = x0 + (v + top) / (2 * top) * w
        c.text(xx, y + 25, f"{100 * v:+.0f}%" if v else "0", size=9, anchor=anchor)
    keys = [
        ("direct", "D counterparty"),
        ("spillover", "S other partner"),
        ("peer", "P peer"),
    ]
    x = x0 + w + 30
    for role, label in keys:
        _rect_key(c, x, y - 2, role)
        c.text(x + 28, y + 9, label, size=10, anchor="start")
        x += 130
    c.text(
        x0,
        y + 44,
        f"* beyond noise (q ≤ {fdr:g}, Benjamini-Hochberg over the matrix); "
        "c another event in the window; t: the cell's CAR t",
        size=10,
        anchor="start",
        color="#444",
    )


def _rect_key(c: Canvas, x: float, y: float, role: str) -> None:
    stroke = {
        "direct": "stroke='#000' stroke-width='3'",
        "peer": "stroke='#555' stroke-width='1.5' stroke-dasharray='4 3'",
    }.get(role, "stroke='#bbb' stroke-width='1'")
    c.parts.append(
        f"<rect x='{x:.1f}' y='{y:.1f}' width='22' height='16' fill='#f4f4f4' {stroke}/>"
    )
