"""A backtest's tables (statistics, trades, sweep) and warnings, shared by every format."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from jobs.report.format import num, pct
from jobs.report.text import TextTable

if TYPE_CHECKING:
    from jobs.runs import BacktestRun


def stats_table(run: BacktestRun) -> TextTable:
    rows = [
        [
            r["series"],
            str(r["n"]),
            pct(r["mean"]),
            pct(r["median"]),
            pct(r["hit_rate"], 1, sign=False),
            num(r["t"]),
            f"[{pct(r['ci_low'])}, {pct(r['ci_high'])}]",
            pct(r["compounded"]),
            pct(r["max_drawdown"]),
        ]
        for r in run.result.stats.iter_rows(named=True)
    ]
    return TextTable(
        "Returns per trade",
        [
            "series",
            "n",
            "mean",
            "median",
            "hit rate",
            "t",
            "95% CI (bootstrap)",
            "compounded",
            "max drawdown",
        ],
        rows,
        "gross, net (after costs), hedged (after costs, hedge short), benchmark held over the same points.",
        labels=1,
    )


def trades_table(run: BacktestRun) -> TextTable:
    t = run.result.trades.sort("entry_date", "event_id", "ticker", nulls_last=True)
    rows = [
        [
            r["event_id"],
            r["ticker"],
            r["status"],
            str(r["entry_date"] or "–"),
            num(r["entry_price"]),
            str(r["exit_date"] or "–"),
            num(r["exit_price"]),
            pct(r["gross"]),
            pct(r["net"]),
            pct(r["hedged"]),
        ]
        for r in t.iter_rows(named=True)
    ]
    return TextTable(
        "Trades",
        ["event", "ticker", "status", "entry", "price", "exit", "price", "gross", "net", "hedged"],
        rows,
        labels=2,
    )


def sweep_table(run: BacktestRun) -> TextTable | None:
    if run.sweep is None:
        return None
    cells = run.sweep.cells
    holds = sorted(cells.get_column("holding").unique().to_list())
    rows = []
    for k in sorted(cells.get_column("entry_offset").unique().to_list()):
        row = [f"{k:+d}"]
        for h in holds:
            c = cells.filter((pl.col("entry_offset") == k) & (pl.col("holding") == h)).row(
                0, named=True
            )
            row.append(
                f"{pct(c['mean_hedged'])} (n {c['n']})" if c["enough"] else f"· (n {c['n']})"
            )
        rows.append(row)
    return TextTable(
        "Sweep: mean hedged net return per trade (entry offset × holding period)",
        ["entry \\ hold"] + [str(h) for h in holds],
        rows,
        run.sweep.warning,
        labels=1,
    )


def backtest_warnings(run: BacktestRun) -> list[str]:
    """Perfect foresight, overlapping trades, too few trades."""
    out = []
    if run.result.perfect_foresight:
        out.append(
            "PERFECT FORESIGHT: entries before the news was public (allow_lookahead); these returns could not have been earned"
        )
    if run.result.n_overlapping:
        out.append(
            f"{run.result.n_overlapping} overlapping trade(s) in the same ticker were handled by the '{run.definition.trade.overlap}' policy"
        )
    n = run.result.trades.filter(pl.col("status") == "ok").height
    if n < 10:
        out.append(f"only {n} trade(s): the t statistic and the bootstrap interval are fragile")
    return out
