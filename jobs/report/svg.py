"""Small vector charts written as SVG text: panels with axes, ticks, labels, lines, bands, bars.

The HTML reports draw with this instead of matplotlib: an SVG chart is a few kilobytes of text,
is sharp at any zoom, and costs well under a millisecond to write, where a matplotlib PNG
costs about 0.1-0.8 s (see benchmarks/bench_study.py). Text is escaped (data is never markup).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Colours: ticker, benchmark, band, day-0 marker, zero line, grid.
BLUE, ORANGE, BAND, RED, GREY, GRID = "#1f77b4", "#ff7f0e", "#1f77b4", "#c0392b", "#888", "#e3e3e3"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of 10)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    out = []
    v = first
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def _fmt(v: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    text = f"{v:.{digits}f}"
    return "0" if text in ("-0", "-0.0", "-0.00") else text.replace("-", "−")


def _limits(values: Iterable[np.ndarray], pad: float = 0.06) -> tuple[float, float]:
    finite = [v[np.isfinite(v)] for v in values]
    finite = [v for v in finite if v.size]
    if not finite:
        return 0.0, 1.0
    lo = float(min(v.min() for v in finite))
    hi = float(max(v.max() for v in finite))
    span = hi - lo or max(abs(hi), 1.0)
    return lo - pad * span, hi + pad * span


@dataclass
class Frame:
    """A plot area in pixels and the data ranges it shows."""

    x: float
    y: float
    w: float
    h: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def px(self, v: float) -> float:
        a, b = self.xlim
        return self.x + (v - a) / (b - a) * self.w

    def py(self, v: float) -> float:
        a, b = self.ylim
        return self.y + self.h - (v - a) / (b - a) * self.h


@dataclass
class Canvas:
    """An SVG document built piece by piece."""

    width: int
    height: int
    parts: list[str] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: int = 10,
        anchor: str = "middle",
        weight: str = "normal",
        rotate: bool = False,
        color: str = "#333",
    ) -> None:
        turn = f" transform='rotate(-90 {x:.1f} {y:.1f})'" if rotate else ""
        self.parts.append(
            f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' "
            f"font-weight='{weight}' fill='{color}'{turn}>{html.escape(s)}</text>"
        )

    def panel(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        xs: Sequence[np.ndarray],
        ys: Sequence[np.ndarray],
        *,
        title: str,
        xlabel: str,
        ylabel: str,
        zero: bool = False,
    ) -> Frame:
        """Axes in the box (x, y, w, h): title above, labels and ticks outside the plot area."""
        left, bottom, top = 44.0, 34.0, 18.0
        xlim = _limits(xs, pad=0.03)
        ylim = _limits([*ys, np.array([0.0])] if zero else ys)
        f = Frame(x + left, y + top, w - left - 8, h - top - bottom, xlim, ylim)
        p = self.parts
        xt = [v for v in nice_ticks(*xlim, n=7) if xlim[0] <= v <= xlim[1]]
        yt = [v for v in nice_ticks(*ylim, n=5) if ylim[0] <= v <= ylim[1]]
        for v in yt:
            yy = f.py(v)
            p.append(
                f"<line x1='{f.x:.1f}' y1='{yy:.1f}' x2='{f.x + f.w:.1f}' y2='{yy:.1f}' stroke='{GRID}'/>"
            )
            self.text(f.x - 4, yy + 3, _fmt(v, yt), size=9, anchor="end")
        for v in xt:
            xx = f.px(v)
            p.append(
                f"<line x1='{xx:.1f}' y1='{f.y:.1f}' x2='{xx:.1f}' y2='{f.y + f.h:.1f}' stroke='{GRID}'/>"
            )
            self.text(xx, f.y + f.h + 12, _fmt(v, xt), size=9)
        p.append(
            f"<rect x='{f.x:.1f}' y='{f.y:.1f}' width='{f.w:.1f}' height='{f.h:.1f}' fill='none' stroke='#999'/>"
        )
        self.text(x + w / 2, y + 12, title, size=11, weight="bold")
        self.text(f.x + f.w / 2, f.y + f.h + 27, xlabel, size=10)
        self.text(x + 11, f.y + f.h / 2, ylabel, size=10, rotate=True)
        return f

    def vline(self, f: Frame, v: float, color: str = RED) -> None:
        if f.xlim[0] <= v <= f.xlim[1]:
            xx = f.px(v)
            self.parts.append(
                f"<line x1='{xx:.1f}' y1='{f.y:.1f}' x2='{xx:.1f}' y2='{f.y + f.h:.1f}' stroke='{color}' stroke-opacity='0.7'/>"
            )

    def hline(self, f: Frame, v: float, color: str = GREY) -> None:
        if f.ylim[0] <= v <= f.ylim[1]:
            yy = f.py(v)
            self.parts.append(
                f"<line x1='{f.x:.1f}' y1='{yy:.1f}' x2='{f.x + f.w:.1f}' y2='{yy:.1f}' stroke='{color}'/>"
            )

    def line(
        self,
        f: Frame,
        xs: np.ndarray,
        ys: np.ndarray,
        *,
        color: str = BLUE,
        dash: bool = False,
        dots: bool = False,
    ) -> None:
        """A polyline, broken where a value is missing."""
        seg: list[str] = []
        segments: list[list[str]] = [seg]
        for a, b in zip(xs, ys, strict=True):
            if math.isfinite(float(b)):
                seg.append(f"{f.px(float(a)):.1f},{f.py(float(b)):.1f}")
            elif seg:
                seg = []
                segments.append(seg)
        style = " stroke-dasharray='5 3'" if dash else ""
        for s in segments:
            if len(s) > 1:
                self.parts.append(
                    f"<polyline points='{' '.join(s)}' fill='none' stroke='{color}' stroke-width='1.6'{style}/>"
                )
            if dots:
                for point in s:
                    cx, cy = point.split(",")
                    self.parts.append(f"<circle cx='{cx}' cy='{cy}' r='2' fill='{color}'/>")

    def band(self, f: Frame, xs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() < 2:
            return
        top = [
            f"{f.px(float(a)):.1f},{f.py(float(b)):.1f}"
            for a, b in zip(xs[ok], hi[ok], strict=True)
        ]
        bottom = [
            f"{f.px(float(a)):.1f},{f.py(float(b)):.1f}"
            for a, b in zip(xs[ok], lo[ok], strict=True)
        ]
        self.parts.append(
            f"<polygon points='{' '.join(top + bottom[::-1])}' fill='{BAND}' fill-opacity='0.18' stroke='none'/>"
        )

    def bars(
        self, f: Frame, xs: np.ndarray, ys: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> None:
        """Bars from zero with error bars (lo, hi)."""
        width = 0.7 * f.w / max(len(xs), 1)
        zero = f.py(0.0) if f.ylim[0] <= 0 <= f.ylim[1] else f.py(f.ylim[0])
        for a, b, low, high in zip(xs, ys, lo, hi, strict=True):
            if not math.isfinite(float(b)):
                continue
            xx, yy = f.px(float(a)), f.py(float(b))
            self.parts.append(
                f"<rect x='{xx - width / 2:.1f}' y='{min(yy, zero):.1f}' width='{width:.1f}' height='{abs(zero - yy):.1f}' fill='steelblue' fill-opacity='0.8'/>"
            )
            if math.isfinite(float(low)) and math.isfinite(float(high)):
                self.parts.append(
                    f"<line x1='{xx:.1f}' y1='{f.py(float(low)):.1f}' x2='{xx:.1f}' y2='{f.py(float(high)):.1f}' stroke='black' stroke-width='0.8'/>"
                )

    def legend(self, f: Frame, items: Sequence[tuple[str, str, str]]) -> None:
        """``(label, colour, kind)`` entries, kind ``line``, ``dash`` or ``band``, top left."""
        width = 26 + 5.2 * max((len(label) for label, _, _ in items), default=0)
        self.parts.append(
            f"<rect x='{f.x + 2:.1f}' y='{f.y + 2:.1f}' width='{width:.1f}' height='{11 * len(items) + 4}' "
            "fill='white' fill-opacity='0.8'/>"
        )
        y = f.y + 10
        for label, color, kind in items:
            x = f.x + 6
            if kind == "band":
                self.parts.append(
                    f"<rect x='{x:.1f}' y='{y - 5:.1f}' width='14' height='7' fill='{color}' fill-opacity='0.25'/>"
                )
            else:
                dash = " stroke-dasharray='4 2'" if kind == "dash" else ""
                self.parts.append(
                    f"<line x1='{x:.1f}' y1='{y - 2:.1f}' x2='{x + 14:.1f}' y2='{y - 2:.1f}' stroke='{color}' stroke-width='1.6'{dash}/>"
                )
            self.text(x + 18, y + 1, label, size=9, anchor="start")
            y += 11

    def svg(self, *, label: str) -> str:
        return (
            f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {self.width} {self.height}' "
            f"width='{self.width}' height='{self.height}' role='img' aria-label='{html.escape(label)}' "
            "font-family='Helvetica, Arial, sans-serif'>"
            f"<rect width='100%' height='100%' fill='white'/>{''.join(self.parts)}</svg>"
        )
