"""The terminal report of a backtest (rich)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from jobs.report.backtest.tables import (
    backtest_warnings,
    portfolio_table,
    stats_table,
    sweep_table,
    trades_table,
)
from jobs.report.layout import print_table

if TYPE_CHECKING:
    from pathlib import Path

    from jobs.runs import BacktestRun


#: Trades printed in the terminal; the rest are in trades.csv / trades.parquet and the trades view.
TERMINAL_TRADES = 50


def print_backtest(
    run: BacktestRun, console: Console, *, folder: Path | None = None, stored: bool = True
) -> None:
    """Print the rule, the warnings and the tables (the first trades, saying how many more
    and where they all are: the report ``folder``, and the trades view when stored)."""
    console.print(
        f"[bold]{escape(run.definition.rule.title or run.definition.rule.id)}[/]  "
        f"(run {escape(run.run_id)})"
    )
    t = run.definition.trade
    console.print(
        f"{t.direction} {t.entry} → {t.exit}, {t.cost_bps:g} bps per side, hedge {t.hedge} "
        f"({t.benchmark}), overlap {t.overlap}",
        highlight=False,
        markup=False,
    )
    for w in backtest_warnings(run):
        console.print(f"  [yellow]![/] {escape(w)}", highlight=False)
    trades = trades_table(run)
    for table in [portfolio_table(run), stats_table(run), trades, sweep_table(run)]:
        if table is None:
            continue
        if table is not trades or len(table.rows) <= TERMINAL_TRADES:
            print_table(console, table)
            continue
        print_table(console, replace(table, rows=table.rows[:TERMINAL_TRADES]))
        where = f"{folder}/" if folder is not None else "the report folder: "
        view = (
            f'; and in the trades view: reaction sql "SELECT * FROM trades WHERE run_id = '
            f"'{run.run_id}'\""
            if stored
            else " (the run was not stored, so the trades view does not have it)"
        )
        console.print(
            f"showing the first {TERMINAL_TRADES} of {len(table.rows)} trades; all "
            f"{len(table.rows)} are in {where}trades.csv, trades.parquet and report.html{view}",
            highlight=False,
            markup=False,
        )
