"""The machine-readable backtest document (``reaction backtest --format json``).

Returns are fractions; a number that cannot be computed is ``null``, never NaN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobs.report.format import json_clean

if TYPE_CHECKING:
    from jobs.runs import BacktestRun

JSON_SCHEMA_VERSION = 2  # 2: portfolio, benchmark_portfolio; t and intervals null below min n


def portfolio_document(book: Any) -> dict[str, Any] | None:
    """``{"rule", "initial_capital", "daily": [...], "total_return", ...}`` (docs/backtest-json.md)."""
    if book is None:
        return None
    daily = book.daily.select(
        "date", "ret", "equity", "gross_exposure", "net_exposure", "positions"
    )
    return {
        "rule": book.rule.allocation,
        "initial_capital": book.rule.initial_capital,
        "notional_per_trade": (
            book.rule.notional_per_trade if book.rule.allocation == "fixed_notional" else None
        ),
        "daily": list(daily.iter_rows(named=True)),
        **book.stats,
        "n_positions": book.n_positions,
        "n_unfunded": book.n_unfunded,
        "ruined": book.ruined,
        "note": book.note,
    }


def json_document(run: BacktestRun) -> dict[str, Any]:
    """The documented backtest document (returns as fractions; null, never NaN)."""
    res = run.result
    trades = res.trades.sort("entry_date", "event_id", "ticker", nulls_last=True)
    stats = {
        r["series"]: {k: v for k, v in r.items() if k != "series"}
        for r in res.stats.iter_rows(named=True)
    }
    net = stats.get("net", {})
    hedged = stats.get("hedged", {})
    doc: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "run_id": run.run_id,
        "rule_id": run.definition.rule.id,
        "title": run.definition.rule.title,
        "created_at": run.created_at,
        "package_version": run.package_version,
        "input_hash": run.input_hash,
        "rule": run.definition.model_dump(mode="json", by_alias=True),
        "perfect_foresight": res.perfect_foresight,
        "trades": [
            {
                "event_id": r["event_id"],
                "ticker": r["ticker"],
                "status": r["status"],
                "direction": r.get("direction"),
                "entry_date": r["entry_date"],
                "entry_price": r["entry_price"],
                "exit_date": r["exit_date"],
                "exit_price": r["exit_price"],
                "dividends": r.get("dividends"),
                "gross": r["gross"],
                "net": r["net"],
                "hedge": (
                    r["hedge_ratio"] * r["benchmark_return"]
                    if r.get("hedge_ratio") is not None and r.get("benchmark_return") is not None
                    else None
                ),
                "hedge_ratio": r.get("hedge_ratio"),
                "benchmark_return": r.get("benchmark_return"),
                "hedged": r["hedged"],
                "weight": r.get("weight"),
            }
            for r in trades.iter_rows(named=True)
        ],
        "summary": {
            "n": net.get("n"),
            "mean_net": net.get("mean"),
            "median_net": net.get("median"),
            "hit_rate": net.get("hit_rate"),
            "t": net.get("t"),
            "ci_low": net.get("ci_low"),
            "ci_high": net.get("ci_high"),
            "compounded_net": net.get("compounded"),
            "max_drawdown": net.get("max_drawdown"),
            "mean_hedged": hedged.get("mean"),
            "hit_rate_hedged": hedged.get("hit_rate"),
            "t_hedged": hedged.get("t"),
            "ci_low_hedged": hedged.get("ci_low"),
            "ci_high_hedged": hedged.get("ci_high"),
            "benchmark_mean": stats.get("benchmark", {}).get("mean"),
            "benchmark_compounded": stats.get("benchmark", {}).get("compounded"),
            "n_overlapping": res.n_overlapping,
            "note": net.get("note"),
            "by_series": stats,
        },
        "portfolio": portfolio_document(res.portfolio),
        "benchmark_portfolio": portfolio_document(res.benchmark_portfolio),
        "sweep": None,
    }
    if run.sweep is not None:
        doc["sweep"] = {
            "cells": list(run.sweep.cells.iter_rows(named=True)),
            "min_trades": run.sweep.min_trades,
            "warning": run.sweep.warning,
        }
    cleaned: dict[str, Any] = json_clean(doc)
    return cleaned
