"""The Markdown report of a backtest (``report.md``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs.report.backtest.tables import (
    backtest_warnings,
    portfolio_table,
    stats_table,
    sweep_table,
    trades_table,
)
from jobs.report.text import table_markdown

if TYPE_CHECKING:
    from jobs.runs import BacktestRun


def markdown_backtest(run: BacktestRun) -> str:
    t = run.definition.trade
    parts = [
        f"# {run.definition.rule.title or run.definition.rule.id}",
        "",
        f"Rule `{run.definition.rule.id}`, run `{run.run_id}`: {t.direction} {t.entry} → {t.exit}, "
        f"{t.cost_bps:g} bps per side, fee {t.fee:g} on {t.notional:g}, hedge {t.hedge} ({t.benchmark}), overlap {t.overlap}.",
        "",
    ]
    warnings = backtest_warnings(run)
    if warnings:
        parts += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    for table in [portfolio_table(run), stats_table(run), trades_table(run), sweep_table(run)]:
        if table is not None:
            parts += [table_markdown(table), ""]
    return "\n".join(parts).rstrip() + "\n"
