"""A backtest's tables (statistics, trades, sweep) and warnings, shared by every format."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from jobs.report.format import num, pct
from jobs.report.text import TextTable

if TYPE_CHECKING:
    from jobs.runs import BacktestRun


def stats_table(run: BacktestRun) -> TextTable:
    """Trade-level statistics: each trade on its own (the portfolio is :func:`portfolio_table`)."""
    stats = run.result.stats
    rows = [
        [
            r["series"],
            str(r["n"]),
            pct(r["mean"]),
            pct(r["median"]),
            pct(r["hit_rate"], 1, sign=False),
            num(r["t"]),
            "–" if r["ci_low"] is None else f"[{pct(r['ci_low'])}, {pct(r['ci_high'])}]",
        ]
        for r in stats.iter_rows(named=True)
    ]
    notes = (
        sorted({n for n in stats.get_column("note").to_list() if n})
        if "note" in stats.columns
        else []
    )
    return TextTable(
        "Trade-level returns (each trade on its own, not an account)",
        ["series", "n", "mean", "median", "hit rate", "t", "95% CI (bootstrap)"],
        rows,
        " ".join(
            [
                "gross, net (after costs), hedged (after costs, hedge short), benchmark held over "
                "the same points.",
                *notes,
            ]
        ),
        labels=1,
    )


def portfolio_table(run: BacktestRun) -> TextTable | None:
    """The calendar-time portfolio and the same rule on the benchmark, one row each."""
    res = run.result
    books = [("portfolio", res.portfolio), ("benchmark", res.benchmark_portfolio)]
    books = [(name, b) for name, b in books if b is not None]
    if not books:
        return None
    rows = []
    for name, b in books:
        st = b.stats
        rows.append(
            [
                name,
                pct(st["total_return"]),
                pct(st["ann_return"]),
                pct(st["ann_vol"], sign=False),
                num(st["sharpe"]),
                num(st["sortino"]),
                pct(st["max_drawdown"]),
                num(st["turnover"], 1),
            ]
        )
    first = books[0][1]
    span = ""
    if first.daily.height:
        dates = first.daily.get_column("date")
        span = f", {first.daily.height} sessions from {dates.min()} to {dates.max()}"
    extra = []
    if first.daily.height:
        gross = first.daily.get_column("gross_exposure").mean()
        open_ = first.daily.get_column("positions").mean()
        extra.append(
            f"The portfolio's gross exposure averages {num(gross)}× its equity, with "
            f"{num(open_, 1)} positions open on average."
        )
    if first.note:
        extra.append(first.note + ".")
    if first.n_unfunded:
        extra.append(f"{first.n_unfunded} trade(s) could not be funded (no equity left).")
    if first.ruined:
        extra.append("The equity reached zero; the book was closed.")
    return TextTable(
        "Portfolio: the trades share one account, marked at every close",
        ["book", "total", "ann.", "vol", "Sharpe", "Sortino", "max DD", "turn"],
        rows,
        " ".join(
            [
                f"{first.rule.describe()}{span}; costs on every order (open, close, rebalance), "
                "hedge leg in the same account; benchmark = the same rule holding "
                f"{run.definition.trade.benchmark.upper()} for every trade. Sharpe and Sortino "
                "from daily returns, annualised with √252, cash at 0%; ann. = annualised return, "
                "vol = annualised volatility, turn = one-way notional traded per year (× equity).",
                *extra,
            ]
        ),
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
    from backtest.trading.stats import inference_note

    n = run.result.trades.filter(pl.col("status") == "ok").height
    note = inference_note(n)
    if note is not None:
        out.append(f"only {n} trade(s) ({note})")
    return out
