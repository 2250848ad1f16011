"""The result of one rule: per-trade frame, statistics per series, equity curve."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from backtest._typing import TRADE_STATUSES
from backtest.errors import TradingError
from backtest.notices import Notice, perfect_foresight
from backtest.trading.portfolio import Portfolio
from backtest.trading.rule import TradeRule
from backtest.trading.stats import describe, inference_note, max_drawdown

SERIES: tuple[str, ...] = ("gross", "net", "hedged", "benchmark")


def trade_result(
    rule: TradeRule,
    trades: pl.DataFrame,
    n_overlap: int,
    n_boot: int,
    seed: int,
    portfolio: Portfolio | None = None,
    benchmark_portfolio: Portfolio | None = None,
) -> TradeResult:
    """The statistics and the equity curve of ``trades`` (see :class:`TradeResult`).

    Below :data:`~backtest.trading.stats.MIN_TRADES_FOR_INFERENCE` trades a series has
    no ``t`` and no interval (null), and its ``note`` says why
    (:func:`~backtest.trading.stats.inference_note`).
    """
    ok = trades.filter(pl.col("status") == "ok")
    cols = ["gross", "net", "hedged"]
    bench = ok.get_column("benchmark_return")
    if bench.null_count() == 0:  # the usual case: one paired bootstrap for all four
        stats = describe(ok.select(*cols, bench).to_numpy(), n_boot=n_boot, seed=seed)
    else:
        stats = describe(ok.select(cols).to_numpy(), n_boot=n_boot, seed=seed)
        stats += describe(bench.drop_nulls().to_numpy()[:, None], n_boot=n_boot, seed=seed)
    # one step per exit session: the capital is shared equally by the trades that close
    # then, each using the fraction ``weight`` of its share (the rest stays in cash)
    w = pl.col("weight")
    equity = (
        ok.with_columns(pl.col("benchmark_return").fill_null(0.0).alias("benchmark"))
        .group_by("exit_date", maintain_order=True)
        .agg(pl.len().cast(pl.Int64).alias("n"), *[(w * pl.col(c)).mean().alias(c) for c in SERIES])
        .sort("exit_date")
        .with_columns((1.0 + pl.col(c)).cum_prod().alias(_curve(c)) for c in SERIES)
    )
    rows = []
    for name, st in zip(SERIES, stats, strict=True):
        curve = equity.get_column(_curve(name)).to_numpy()
        note = inference_note(int(st["n"] or 0))
        if note is not None:
            st = st | {"t": None, "ci_low": None, "ci_high": None}
        rows.append(
            {"series": name}
            | st
            | {
                "compounded": float(curve[-1] - 1.0) if curve.shape[0] else None,
                "max_drawdown": max_drawdown(curve),
                "note": note,
            }
        )
    return TradeResult(
        rule=rule,
        trades=trades,
        stats=pl.DataFrame(rows, schema=_STATS_SCHEMA),
        equity=equity,
        n_overlapping=n_overlap,
        perfect_foresight=bool(ok.get_column("perfect_foresight").any()),
        n_boot=n_boot,
        seed=seed,
        portfolio=portfolio,
        benchmark_portfolio=benchmark_portfolio,
    )


def _curve(series: str) -> str:
    """Column of a series' equity curve: ``equity`` for net, ``<series>_equity`` otherwise."""
    return "equity" if series == "net" else f"{series}_equity"


_STATS_SCHEMA: dict[str, pl.DataType] = {
    "series": pl.String(),
    "n": pl.Int64(),
    "mean": pl.Float64(),
    "median": pl.Float64(),
    "sd": pl.Float64(),
    "hit_rate": pl.Float64(),
    "t": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "compounded": pl.Float64(),
    "max_drawdown": pl.Float64(),
    "note": pl.String(),
}


@dataclass(frozen=True)
class TradeResult:
    """What :func:`run_trades` produced (polars frames, returns as fractions, no NaN).

    Attributes
    ----------
    rule
        The rule traded.
    trades
        One row per event (sorted by event_id, ticker): ``event_id, ticker, day0,
        timing, direction`` (``long``/``short``; null when no trade could be
        set up), ``entry_date, entry_price, exit_date, exit_price, dividends``
        (cash per share received over the holding), ``gross, cost, net,
        hedge_ratio, benchmark_return`` (``R_b``, the benchmark held long over
        the same points), ``hedge_cost, hedged, weight`` (overlap weight),
        ``perfect_foresight`` (bool), ``status`` (:data:`TRADE_STATUSES`).
        Returns are null unless ``status == "ok"``.
    stats
        One row per series ``gross, net, hedged, benchmark``: ``n, mean,
        median, sd, hit_rate`` (share > 0), ``t`` (mean / (sd/√n)), ``ci_low,
        ci_high`` (percentile bootstrap 95% CI of the mean; ``t`` and the CI are
        null below ``MIN_TRADES_FOR_INFERENCE`` trades), ``compounded`` (final
        equity − 1) and ``max_drawdown`` (≤ 0) of the series' cohort curve, and
        ``note`` (why ``t`` is null, else null). These are trade-level: each
        trade on its own, not an account.
    equity
        One row per exit session of the ``ok`` trades, in date order:
        ``exit_date, n`` (trades closing), the cohort returns ``gross, net,
        hedged, benchmark`` (``(1/n)·Σ w·r``; a missing benchmark return counts
        0) and the curves ``gross_equity, equity`` (net), ``hedged_equity,
        benchmark_equity`` (cumulative products of ``1 + cohort return``).
    n_overlapping
        Trades skipped (``overlap="skip"``) or in overlapping clusters (``split``).
    perfect_foresight
        True when an ``ok`` trade entered before the news or before its signal.
    n_boot, seed
        The bootstrap's resamples and seed.
    portfolio, benchmark_portfolio
        The calendar-time portfolio of the ``ok`` trades and the same rule applied
        to the benchmark (:mod:`backtest.trading.portfolio`; ``None`` without the
        benchmark's prices).
    """

    rule: TradeRule
    trades: pl.DataFrame
    stats: pl.DataFrame
    equity: pl.DataFrame
    n_overlapping: int
    perfect_foresight: bool
    n_boot: int
    seed: int
    portfolio: Portfolio | None = None
    benchmark_portfolio: Portfolio | None = None

    def stat(self, series: str, name: str) -> float | int | None:
        """One statistic, e.g. ``stat("hedged", "mean")``."""
        row = self.stats.filter(pl.col("series") == series)
        if row.height == 0:
            raise TradingError(
                f"series must be one of {', '.join(SERIES)}, got {series!r}", field="series"
            )
        value: float | int | None = row.get_column(name).item()
        return value

    @property
    def notices(self) -> tuple[Notice, ...]:
        """What a report must say about these returns (perfect foresight)."""
        return (perfect_foresight(),) if self.perfect_foresight else ()

    def summary(self) -> str:
        """Plain text: the notices, the rule, status counts, and the statistics of each series."""
        lines = [n.text for n in self.notices]
        lines.append(f"Event-time trades: {self.rule.describe()}")
        counts = self.trades.group_by("status").len()
        by = dict(counts.iter_rows())
        text = ", ".join(f"{s} {by[s]}" for s in TRADE_STATUSES if s in by)
        lines.append(f"candidates: {self.trades.height} ({text or 'none'})")
        what = "skipped" if self.rule.overlap == "skip" else "sharing capital (split)"
        lines.append(f"overlapping trades in one ticker: {self.n_overlapping} {what}")
        head = ["", "n", "mean", "median", "hit", "t", "95% CI (bootstrap)", "compounded", "max DD"]
        table = [head]
        for r in self.stats.iter_rows(named=True):
            ci = f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]" if r["ci_low"] is not None else "-"
            table.append(
                [
                    r["series"],
                    str(r["n"]),
                    _pct(r["mean"]),
                    _pct(r["median"]),
                    "-" if r["hit_rate"] is None else f"{100 * r['hit_rate']:.1f}%",
                    "-" if r["t"] is None else f"{r['t']:.2f}",
                    ci,
                    _pct(r["compounded"]),
                    _pct(r["max_drawdown"]),
                ]
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        for row in table:
            lines.append(
                "  ".join(
                    c.rjust(wd) if i else c.ljust(wd)
                    for i, (c, wd) in enumerate(zip(row, widths, strict=True))
                )
            )
        lines.append(
            f"trade-level: returns per trade after costs; benchmark = {self.rule.benchmark} held "
            f"over the same points; CI from {self.n_boot} resamples (seed {self.seed}); "
            "compounded over exit sessions as a chain of trade cohorts, not an account"
        )
        notes = {r["note"] for r in self.stats.iter_rows(named=True) if r["note"]}
        lines += sorted(notes)
        for label, book in (("portfolio", self.portfolio), ("benchmark", self.benchmark_portfolio)):
            if book is None:
                continue
            st = book.stats
            lines.append(
                f"{label} ({book.rule.describe()}): total {_pct(st['total_return'])}, "
                f"annualised {_pct(st['ann_return'])}, vol {_pct(st['ann_vol'])}, Sharpe "
                f"{_num(st['sharpe'])}, Sortino {_num(st['sortino'])}, max DD "
                f"{_pct(st['max_drawdown'])}, turnover {_num(st['turnover'])}x a year"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.2f}%"
