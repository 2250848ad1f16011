"""Charts for studies (matplotlib, Agg backend; figures are returned, never shown).

* per event: for each measured ticker, its price and the benchmark's around day 0
  (both rebased to 100 on day -1) with day 0 marked, and the CAR path over the
  widest window with its 95% band;
* AAR and CAAR over event time with 95% bands.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from matplotlib.ticker import MaxNLocator

from jobs.report.figures import Figure, plt

if TYPE_CHECKING:
    from jobs.runs import StudyRun

Z95 = 1.959963984540054
PRICE_SPAN = 10  # sessions either side of day 0 in the price panel


def car_paths(run: StudyRun, benchmark: str | None = None) -> pl.DataFrame:
    """Per observation and relative day: the CAR from the widest window's start and its variance.

    Uses the engine's ``car_path`` (exact variance, estimation error included).
    """
    res = run.results[benchmark or run.benchmark]
    path: pl.DataFrame = res.car_path
    return path.sort("event_id", "ticker", "rel_day")


def _price_panel(ax: Any, run: StudyRun, event_id: str, ticker: str, bench: str) -> None:
    day0 = run.observations.filter(
        (pl.col("event_id") == event_id) & (pl.col("ticker") == ticker)
    ).item(0, "day0")
    px = (
        run.prices.filter(pl.col("ticker").is_in([ticker, bench]))
        .select("ticker", "date", "close")
        .sort("date")
    )
    dates = sorted(set(px.filter(pl.col("ticker") == bench).get_column("date").to_list()))
    if day0 not in dates:
        ax.text(0.5, 0.5, f"{ticker}: no prices", ha="center", va="center", transform=ax.transAxes)
        ax.axis("off")
        return
    i = dates.index(day0)
    span = dates[max(0, i - PRICE_SPAN) : i + PRICE_SPAN + 1]
    base_day = dates[i - 1] if i > 0 else dates[i]
    for symbol, style in ((ticker, "-"), (bench, "--")):
        s = px.filter((pl.col("ticker") == symbol) & pl.col("date").is_in(span)).sort("date")
        base = px.filter((pl.col("ticker") == symbol) & (pl.col("date") == base_day))
        if s.height == 0 or base.height == 0:
            continue
        rel = [span.index(d) - span.index(day0) for d in s.get_column("date").to_list()]
        ax.plot(
            rel,
            (s.get_column("close") / base.item(0, "close") * 100).to_list(),
            style,
            label=symbol,
            lw=1.6,
        )
    ax.axvline(0, color="crimson", lw=1, alpha=0.7)
    ax.set_title(f"{ticker} vs {bench}: price (day -1 = 100)", fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="best")
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def _car_panel(ax: Any, path: pl.DataFrame, ticker: str) -> None:
    if path.height == 0 or path.get_column("car").null_count() == path.height:
        ax.text(
            0.5, 0.5, f"{ticker}: not measured", ha="center", va="center", transform=ax.transAxes
        )
        ax.axis("off")
        return
    rel = path.get_column("rel_day").to_numpy()
    car = path.get_column("car").to_numpy(allow_copy=True).astype(float) * 100
    sd = np.sqrt(path.get_column("var_car").to_numpy(allow_copy=True).astype(float)) * 100
    ax.fill_between(rel, car - Z95 * sd, car + Z95 * sd, alpha=0.2, label="95% band")
    ax.plot(rel, car, marker="o", ms=3, lw=1.5, label="CAR")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="crimson", lw=1, alpha=0.7)
    ax.set_title(f"{ticker}: CAR (%)", fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def event_figure(
    run: StudyRun, event_id: str, benchmark: str | None = None, max_tickers: int = 8
) -> Figure:
    """One figure per event: a column per measured ticker (price panel above, CAR panel below)."""
    bench = benchmark or run.benchmark
    tickers = (
        run.observations.filter(pl.col("event_id") == event_id)
        .sort("own", descending=True)
        .get_column("ticker")
        .to_list()[:max_tickers]
    )
    cols = min(4, max(1, len(tickers)))
    rows = math.ceil(len(tickers) / cols)
    fig = plt.figure(figsize=(3.4 * cols, 4.6 * rows), layout="constrained")
    grid = fig.add_gridspec(rows * 2, cols)
    paths = car_paths(run, bench).filter(pl.col("event_id") == event_id)
    for k, t in enumerate(tickers):
        r, c = divmod(k, cols)
        _price_panel(fig.add_subplot(grid[2 * r, c]), run, event_id, t, bench)
        _car_panel(fig.add_subplot(grid[2 * r + 1, c]), paths.filter(pl.col("ticker") == t), t)
    day0 = run.observations.filter(pl.col("event_id") == event_id).item(0, "day0")
    fig.suptitle(
        f"{event_id} (day 0 = {day0}, {run.definition.model.name} on {bench})", fontsize=11
    )
    return fig


def caar_figure(run: StudyRun, benchmark: str | None = None) -> Figure:
    """AAR (bars, 95% band from the cross-sectional t) and CAAR (line, 95% band from the
    cross-section of CAR paths) over the widest window."""
    bench = benchmark or run.benchmark
    aar = run.results[bench].aar.sort("rel_day")
    paths = car_paths(run, bench).filter(pl.col("car").is_not_null())
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    rel = aar.get_column("rel_day").to_numpy()
    val = aar.get_column("aar").to_numpy(allow_copy=True).astype(float) * 100
    t = aar.get_column("t").to_numpy(allow_copy=True).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(np.isfinite(t) & (t != 0), np.abs(val / t), np.nan)
    a1.bar(rel, val, color="steelblue", alpha=0.8, label="AAR")
    a1.errorbar(
        rel, val, yerr=Z95 * se, fmt="none", ecolor="black", lw=0.8, capsize=2, label="95% band"
    )
    a1.axhline(0, color="grey", lw=0.8)
    a1.set_title("AAR (%) by event day", fontsize=10)
    a1.legend(fontsize=7)
    stats = (
        paths.group_by("rel_day")
        .agg(pl.col("car").mean().alias("m"), pl.col("car").std().alias("s"), pl.len().alias("n"))
        .sort("rel_day")
    )
    r2 = stats.get_column("rel_day").to_numpy()
    m = stats.get_column("m").to_numpy(allow_copy=True).astype(float) * 100
    s = stats.get_column("s").to_numpy(allow_copy=True).astype(float) * 100
    n = stats.get_column("n").to_numpy().astype(float)
    band = Z95 * s / np.sqrt(n)
    a2.fill_between(r2, m - band, m + band, alpha=0.2, label="95% band (cross-section)")
    a2.plot(r2, m, marker="o", ms=3, label="CAAR")
    a2.axhline(0, color="grey", lw=0.8)
    a2.set_title("CAAR (%) over event time", fontsize=10)
    a2.legend(fontsize=7)
    for ax in (a1, a2):
        ax.axvline(0, color="crimson", lw=1, alpha=0.7)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
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
