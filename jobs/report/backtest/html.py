"""Reports for trading backtests: terminal, Markdown, HTML (equity curve, sweep heat map), JSON."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table

from jobs.report.format import num, pct
from jobs.report.study.charts import png_data_uri
from jobs.report.study.tables import TextTable

if TYPE_CHECKING:
    from jobs.runs import BacktestRun

JSON_SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


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
            "by_series": stats,
        },
        "sweep": None,
    }
    if run.sweep is not None:
        doc["sweep"] = {
            "cells": list(run.sweep.cells.iter_rows(named=True)),
            "min_trades": run.sweep.min_trades,
            "warning": run.sweep.warning,
        }
    cleaned: dict[str, Any] = _clean(doc)
    return cleaned


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
    )


def _warnings(run: BacktestRun) -> list[str]:
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


def print_backtest(run: BacktestRun, console: Console) -> None:
    console.print(
        f"[bold]{run.definition.rule.title or run.definition.rule.id}[/]  (run {run.run_id})"
    )
    t = run.definition.trade
    console.print(
        f"{t.direction} {t.entry} → {t.exit}, {t.cost_bps:g} bps per side, hedge {t.hedge} ({t.benchmark}), overlap {t.overlap}",
        highlight=False,
    )
    for w in _warnings(run):
        console.print(f"  [yellow]![/] {w}", highlight=False)
    for table in [stats_table(run), trades_table(run), sweep_table(run)]:
        if table is None:
            continue
        rt = Table(
            title=table.title, caption=table.note, caption_justify="left", title_justify="left"
        )
        for i, h in enumerate(table.header):
            rt.add_column(h, no_wrap=True, justify="left" if i < 3 else "right")
        for row in table.rows[:200]:
            rt.add_row(*row)
        console.print(rt)


def markdown_backtest(run: BacktestRun) -> str:
    from jobs.report.study.markdown import table_markdown

    t = run.definition.trade
    parts = [
        f"# {run.definition.rule.title or run.definition.rule.id}",
        "",
        f"Rule `{run.definition.rule.id}`, run `{run.run_id}`: {t.direction} {t.entry} → {t.exit}, "
        f"{t.cost_bps:g} bps per side, fee {t.fee:g} on {t.notional:g}, hedge {t.hedge} ({t.benchmark}), overlap {t.overlap}.",
        "",
    ]
    warnings = _warnings(run)
    if warnings:
        parts += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    for table in [stats_table(run), trades_table(run), sweep_table(run)]:
        if table is not None:
            parts += [table_markdown(table), ""]
    return "\n".join(parts).rstrip() + "\n"


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
    ax.set_title("Compounded equity, trades in calendar order")
    ax.legend(fontsize=8)
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


def html_backtest(run: BacktestRun) -> str:
    from jobs.report.study.markdown import table_markdown  # noqa: F401  (same tables as Markdown)

    title = html.escape(run.definition.rule.title or run.definition.rule.id)
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>",
        "<style>body{font-family:Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}"
        "td:first-child{text-align:left}.warn{background:#fff7e0;border-left:4px solid #e0a800;padding:.5em 1em}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>run <code>{html.escape(run.run_id)}</code></p>",
    ]
    warnings = _warnings(run)
    if warnings:
        parts.append(
            "<div class='warn'><ul>"
            + "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
            + "</ul></div>"
        )
    parts.append(
        f"<figure class='chart' data-kind='equity'><img alt='equity' src='{png_data_uri(equity_figure(run))}'></figure>"
    )
    heat = heatmap_figure(run)
    if heat is not None:
        parts.append(
            f"<figure class='chart' data-kind='sweep'><img alt='sweep' src='{png_data_uri(heat)}'></figure>"
        )
    for table in [stats_table(run), sweep_table(run), trades_table(run)]:
        if table is None:
            continue
        parts.append(
            f"<h3>{html.escape(table.title)}</h3><table><tr>"
            + "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
            + "</tr>"
        )
        parts += [
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in table.rows
        ]
        parts.append(
            "</table>" + (f"<p><small>{html.escape(table.note)}</small></p>" if table.note else "")
        )
    parts.append("</body></html>")
    return "".join(parts)


def write_backtest_files(
    run: BacktestRun, out_dir: Path, *, html_report: bool = True
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("report.md", markdown_backtest(run)),
        ("backtest.json", json.dumps(json_document(run), indent=2) + "\n"),
    ):
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    if html_report:
        (out_dir / "report.html").write_text(html_backtest(run), encoding="utf-8")
        written.append(out_dir / "report.html")
    frames = {"trades": run.result.trades, "stats": run.result.stats, "equity": run.result.equity}
    if run.sweep is not None:
        frames["sweep"] = run.sweep.cells
    for name, frame in frames.items():
        frame.write_parquet(out_dir / f"{name}.parquet")
        frame.write_csv(out_dir / f"{name}.csv")
        written += [out_dir / f"{name}.parquet", out_dir / f"{name}.csv"]
    return written
