"""The HTML report's charts as inline SVG, drawn from :class:`~.chartdata.ChartData`.

* per event: for each measured ticker (own tickers first, at most 8), its price and the
  benchmark's around day 0 (rebased to 100 on day -1), and its CAR path with the 95% band;
* per group: AAR by event day with 95% bands, and the CAAR with a 95% band from the
  cross-section of the members' CAR paths.
"""

from __future__ import annotations

import math

import numpy as np

from jobs.report.study.chartdata import ChartData, Daily
from jobs.report.svg import BAND, BLUE, GREY, ORANGE, Canvas

COL_W, PANEL_H, MAX_COLS, MAX_TICKERS = 300, 190, 4, 8
X_LABEL = "sessions from day 0"


def event_svg(data: ChartData, event_id: str) -> str:
    """One event: a column per ticker, price panel above the CAR panel."""
    tickers = data.tickers.get(event_id, [])[:MAX_TICKERS]
    cols = min(MAX_COLS, max(1, len(tickers)))
    rows = max(1, math.ceil(len(tickers) / cols))
    head = 26
    c = Canvas(COL_W * cols, head + rows * 2 * PANEL_H)
    c.text(
        c.width / 2,
        17,
        f"{event_id} (day 0 = {data.day0.get(event_id, '?')}, {data.model} on {data.benchmark})",
        size=13,
        weight="bold",
    )
    for k, ticker in enumerate(tickers):
        r, col = divmod(k, cols)
        x, y = col * COL_W, head + r * 2 * PANEL_H
        px = data.prices.get((event_id, ticker))
        if px is None or not np.isfinite(px.ticker).any():
            c.text(x + COL_W / 2, y + PANEL_H / 2, f"{ticker}: no prices", size=10)
        else:
            f = c.panel(
                x,
                y,
                COL_W,
                PANEL_H,
                [px.rel],
                [px.ticker, px.bench],
                title=f"{ticker} vs {data.benchmark}: price",
                xlabel=X_LABEL,
                ylabel="price (day −1 = 100)",
            )
            c.vline(f, 0)
            c.line(f, px.rel.astype(float), px.ticker, color=BLUE)
            c.line(f, px.rel.astype(float), px.bench, color=ORANGE, dash=True)
            c.legend(f, [(ticker, BLUE, "line"), (data.benchmark, ORANGE, "dash")])
        path = data.paths.get((event_id, ticker))
        y2 = y + PANEL_H
        if path is None or not np.isfinite(path.car).any():
            c.text(x + COL_W / 2, y2 + PANEL_H / 2, f"{ticker}: not measured", size=10)
            continue
        rel = path.rel.astype(float)
        f = c.panel(
            x,
            y2,
            COL_W,
            PANEL_H,
            [rel],
            [path.car, path.lo, path.hi],
            title=f"{ticker}: CAR",
            xlabel=X_LABEL,
            ylabel="CAR (%)",
            zero=True,
        )
        c.band(f, rel, path.lo, path.hi)
        c.hline(f, 0, GREY)
        c.vline(f, 0)
        c.line(f, rel, path.car, color=BLUE, dots=True)
        c.legend(f, [("CAR", BLUE, "line"), ("95% band", BAND, "band")])
    return c.svg(label=f"{event_id}: prices and CAR paths")


def daily_svg(daily: Daily, title: str) -> str:
    """AAR bars with 95% error bars, and the CAAR line with its 95% band."""
    w, h = 520, 240
    c = Canvas(2 * w, h + 24)
    c.text(c.width / 2, 16, title, size=13, weight="bold")
    rel = daily.rel.astype(float)
    f = c.panel(
        0,
        24,
        w,
        h,
        [rel],
        [daily.aar, daily.aar_lo, daily.aar_hi],
        title="AAR by event day",
        xlabel=X_LABEL,
        ylabel="AAR (%)",
        zero=True,
    )
    c.bars(f, rel, daily.aar, daily.aar_lo, daily.aar_hi)
    c.hline(f, 0, GREY)
    c.vline(f, 0)
    c.legend(f, [("AAR, 95% band (cross-sectional t)", "steelblue", "band")])
    rel2 = daily.caar_rel.astype(float)
    f = c.panel(
        w,
        24,
        w,
        h,
        [rel2],
        [daily.caar, daily.caar_lo, daily.caar_hi],
        title="CAAR over event time",
        xlabel=X_LABEL,
        ylabel="CAAR (%)",
        zero=True,
    )
    c.band(f, rel2, daily.caar_lo, daily.caar_hi)
    c.hline(f, 0, GREY)
    c.vline(f, 0)
    c.line(f, rel2, daily.caar, color=BLUE, dots=True)
    c.legend(f, [("CAAR", BLUE, "line"), ("95% band (cross-section)", BAND, "band")])
    return c.svg(label=title)
