"""Backtest charts: the equity curve and the sweep heat map (matplotlib, Agg)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from jobs.report.figures import Figure, plt

if TYPE_CHECKING:
    from jobs.runs import BacktestRun


def equity_figure(run: BacktestRun) -> Figure:
    eq = run.result.equity
    fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
    if eq.height:
        x = np.arange(1, eq.height + 1)
        for col, label in (
            ("equity", "net"),
            ("hedged_equity", "hedged"),
            ("benchmark_equity", "benchmark"),
        ):
            ax.plot(
                x,
                eq.get_column(col).to_numpy(),
                label=label,
                marker="o" if eq.height < 30 else None,
                ms=3,
            )
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xlabel("exit session (trades closing the same day share capital)")
    ax.set_ylabel("equity (start = 1)")
    ax.set_title("Trade-level: per-trade returns chained by exit session (not an account)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def portfolio_figure(run: BacktestRun) -> Figure | None:
    """The portfolio's equity against the benchmark portfolio, its drawdown and exposure."""
    book, bench = run.result.portfolio, run.result.benchmark_portfolio
    if book is None or book.daily.height == 0:
        return None
    fig, axes = plt.subplots(
        3, 1, figsize=(9, 6.4), sharex=True, layout="constrained", height_ratios=(3, 1.3, 1.3)
    )
    d = book.daily
    x = d.get_column("date").to_numpy()
    eq = d.get_column("equity").to_numpy() / book.rule.initial_capital
    axes[0].plot(x, eq, label="portfolio", lw=1.2)
    if bench is not None and bench.daily.height:
        axes[0].plot(
            bench.daily.get_column("date").to_numpy(),
            bench.daily.get_column("equity").to_numpy() / bench.rule.initial_capital,
            label=f"benchmark ({run.definition.trade.benchmark.upper()}, same rule)",
            lw=1.0,
        )
    axes[0].axhline(1.0, color="grey", lw=0.8)
    wide = float(eq.max()) / max(float(eq.min()), 1e-12) > 4.0
    if wide:  # decades of compounding read better on a log scale
        axes[0].set_yscale("log")
    axes[0].set_ylabel("equity (start = 1, log)" if wide else "equity (start = 1)")
    axes[0].set_title(f"Portfolio: {book.rule.describe()}", fontsize=9)
    axes[0].legend(fontsize=8)
    peak = np.maximum.accumulate(np.concatenate([[1.0], eq]))[1:]
    axes[1].fill_between(x, 100 * (eq / peak - 1.0), 0, color="tab:red", alpha=0.4, lw=0)
    axes[1].set_ylabel("drawdown (%)")
    axes[2].plot(x, d.get_column("gross_exposure").to_numpy(), label="gross", lw=0.8)
    axes[2].plot(x, d.get_column("net_exposure").to_numpy(), label="net", lw=0.8)
    axes[2].axhline(0.0, color="grey", lw=0.6)
    axes[2].set_ylabel("exposure (× equity)")
    axes[2].legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate(rotation=30)
    for ax in axes:
        ax.grid(alpha=0.3)
    return fig


def heatmap_figure(run: BacktestRun) -> Figure | None:
    if run.sweep is None:
        return None
    cells = run.sweep.cells
    ks = sorted(cells.get_column("entry_offset").unique().to_list())
    hs = sorted(cells.get_column("holding").unique().to_list())
    grid = np.full((len(ks), len(hs)), np.nan)
    counts = np.zeros((len(ks), len(hs)), dtype=int)
    for r in cells.iter_rows(named=True):
        i, j = ks.index(r["entry_offset"]), hs.index(r["holding"])
        counts[i, j] = r["n"] or 0
        if r["enough"] and r["mean_hedged"] is not None:
            grid[i, j] = r["mean_hedged"] * 100
    fig, ax = plt.subplots(
        figsize=(1.0 + 0.55 * len(hs), 1.2 + 0.4 * len(ks)), layout="constrained"
    )
    lim = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1.0
    im = ax.imshow(grid, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    for i in range(len(ks)):
        for j in range(len(hs)):
            ax.text(
                j,
                i,
                f"{counts[i, j]}"
                if not np.isfinite(grid[i, j])
                else f"{grid[i, j]:.1f}\nn{counts[i, j]}",
                ha="center",
                va="center",
                fontsize=6,
                color="black" if np.isfinite(grid[i, j]) else "grey",
            )
    ax.set_xticks(range(len(hs)), [str(h) for h in hs], fontsize=7)
    ax.set_yticks(range(len(ks)), [f"{k:+d}" for k in ks], fontsize=7)
    ax.set_xlabel("holding period (sessions)")
    ax.set_ylabel("entry offset")
    ax.set_title("Mean hedged net return per trade (%); grey = too few trades", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig
