"""The terminal report of a backtest (rich)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from jobs.report.backtest.tables import backtest_warnings, stats_table, sweep_table, trades_table
from jobs.report.layout import print_table

if TYPE_CHECKING:
    from jobs.runs import BacktestRun


#: Trades printed in the terminal; the rest are in trades.csv / trades.parquet and the trades view.
TERMINAL_TRADES = 200


def print_backtest(run: BacktestRun, console: Console) -> None:
    """Print the rule, the warnings and the tables (the first trades, saying how many more)."""
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
    for table in [stats_table(run), trades_table(run), sweep_table(run)]:
        if table is None:
            continue
        shown = replace(table, rows=table.rows[:TERMINAL_TRADES])
        print_table(console, shown)
        hidden = len(table.rows) - TERMINAL_TRADES
        if hidden > 0:
            console.print(
                f"{hidden} more row(s) of {table.title!r} are in the report folder "
                "(trades.csv, trades.parquet, report.html) and the trades view",
                highlight=False,
                markup=False,
            )
