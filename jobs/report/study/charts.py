"""matplotlib figures of a study for notebooks (``run.plot()``); the HTML report uses SVG.

* per event: for each measured ticker, its price and the benchmark's around day 0
  (both rebased to 100 on day -1) with day 0 marked, and the CAR path over the
  event period with its 95% band;
* AAR and CAAR over event time with 95% bands.

The numbers come from :mod:`jobs.report.study.chartdata` (prepared once per run). Figures use a
fixed layout (no constrained layout: it was about 40% of each figure's drawing time).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import polars as pl
from matplotlib.ticker import MaxNLocator

from jobs.report.figures import Figure, plt
from jobs.report.study.chartdata import ChartData, chart_data, daily_series

if TYPE_CHECKING:
    from jobs.runs import StudyRun

X_LABEL = "sessions from day 0"


def car_paths(run: StudyRun, benchmark: str | None = None) -> pl.DataFrame:
    """Per observation and relative day: the CAR from the event period's start and its variance
    (the engine's ``car_path``: exact variance, estimation error included)."""
    res = run.results[benchmark or run.benchmark]
    path: pl.DataFrame = res.car_path
    return path.sort("event_id", "ticker", "rel_day")


def _style(ax: Any, title: str, ylabel: str) -> None:
    ax.axvline(0, color="crimson", lw=1, alpha=0.7)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(X_LABEL, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.axis("off")


def event_figure_from(data: ChartData, event_id: str, max_tickers: int = 8) -> Figure:
    """One figure per event: a column per measured ticker (price panel above, CAR below)."""
    tickers = data.tickers.get(event_id, [])[:max_tickers]
    cols = min(4, max(1, len(tickers)))
    rows = math.ceil(len(tickers) / cols) or 1
    fig = plt.figure(figsize=(3.4 * cols, 4.8 * rows))
    grid = fig.add_gridspec(rows * 2, cols, hspace=0.75, wspace=0.42, left=0.09, right=0.97)
    for k, t in enumerate(tickers):
        r, c = divmod(k, cols)
        ax = fig.add_subplot(grid[2 * r, c])
        px = data.prices.get((event_id, t))
        if px is None:
            _empty(ax, f"{t}: no prices")
        else:
            ax.plot(px.rel, px.ticker, "-", label=t, lw=1.6)
            ax.plot(px.rel, px.bench, "--", label=data.benchmark, lw=1.6)
            ax.legend(fontsize=7, loc="best")
            _style(ax, f"{t} vs {data.benchmark}: price", "price (day −1 = 100)")
        ax = fig.add_subplot(grid[2 * r + 1, c])
        path = data.paths.get((event_id, t))
        if path is None or not (path.car == path.car).any():
            _empty(ax, f"{t}: not measured")
            continue
        ax.fill_between(path.rel, path.lo, path.hi, alpha=0.2, label="95% band")
        ax.plot(path.rel, path.car, marker="o", ms=3, lw=1.5, label="CAR")
        ax.axhline(0, color="grey", lw=0.8)
        _style(ax, f"{t}: CAR", "CAR (%)")
    fig.suptitle(
        f"{event_id} (day 0 = {data.day0.get(event_id, '?')}, {data.model} on {data.benchmark})",
        fontsize=11,
    )
    return fig


def event_figure(run: StudyRun, event_id: str, max_tickers: int = 8) -> Figure:
    return event_figure_from(chart_data(run, [event_id]), event_id, max_tickers)


def caar_figure(run: StudyRun, benchmark: str | None = None) -> Figure:
    """AAR (bars, 95% band from the cross-sectional t) and CAAR (line, 95% band from the
    cross-section of CAR paths) over the event period."""
    bench = benchmark or run.benchmark
    d = daily_series(run.results[bench].aar, car_paths(run, bench))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.84, wspace=0.25)
    a1.bar(d.rel, d.aar, color="steelblue", alpha=0.8, label="AAR")
    a1.errorbar(
        d.rel,
        d.aar,
        yerr=[d.aar - d.aar_lo, d.aar_hi - d.aar],
        fmt="none",
        ecolor="black",
        lw=0.8,
        capsize=2,
        label="95% band",
    )
    a1.axhline(0, color="grey", lw=0.8)
    a1.legend(fontsize=7)
    _style(a1, "AAR by event day", "AAR (%)")
    a2.fill_between(d.caar_rel, d.caar_lo, d.caar_hi, alpha=0.2, label="95% band (cross-section)")
    a2.plot(d.caar_rel, d.caar, marker="o", ms=3, label="CAAR")
    a2.axhline(0, color="grey", lw=0.8)
    a2.legend(fontsize=7)
    _style(a2, "CAAR over event time", "CAAR (%)")
    fig.suptitle(f"All observations ({bench})", fontsize=11)
    return fig


def car_figure(run: StudyRun, event_id: str | None = None, ticker: str | None = None) -> Figure:
    """For notebooks: one event's figure, or the AAR/CAAR figure when no event is given."""
    if event_id is None:
        return caar_figure(run)
    fig = event_figure(run, event_id)
    if ticker is not None:
        fig.suptitle(f"{event_id} / {ticker}")
    return fig
