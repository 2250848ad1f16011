"""Writing a backtest's report files: report.md, report.html, backtest.json, CSV/Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jobs.report.backtest.html import html_backtest
from jobs.report.backtest.jsondoc import json_document
from jobs.report.backtest.markdown import markdown_backtest
from jobs.report.format import json_text

if TYPE_CHECKING:
    from jobs.runs import BacktestRun


def write_backtest_files(
    run: BacktestRun, out_dir: Path, *, html_report: bool = True
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("report.md", markdown_backtest(run)),
        ("backtest.json", json_text(json_document(run))),
    ):
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    if html_report:
        (out_dir / "report.html").write_text(html_backtest(run), encoding="utf-8")
        written.append(out_dir / "report.html")
    frames = {"trades": run.result.trades, "stats": run.result.stats, "equity": run.result.equity}
    if run.result.portfolio is not None:
        frames["portfolio"] = run.result.portfolio.daily
    if run.result.benchmark_portfolio is not None:
        frames["benchmark_portfolio"] = run.result.benchmark_portfolio.daily
    if run.sweep is not None:
        frames["sweep"] = run.sweep.cells
    for name, frame in frames.items():
        frame.write_parquet(out_dir / f"{name}.parquet")
        frame.write_csv(out_dir / f"{name}.csv")
        written += [out_dir / f"{name}.parquet", out_dir / f"{name}.csv"]
    return written
