"""Running a trading rule: the rule's event study for betas and signals, the trades, the sweep."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import polars as pl

from jobs.definitions.rule import RuleDefinition
from jobs.runs import BacktestRun, package_version
from jobs.services.study import insert_frames, run_study


def _hash(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
    return h.hexdigest()


def _signals(study_run: Any, kind: str) -> pl.DataFrame:
    """The sign rule's signal: day-0 AR (known at close 0) or CAR[0,+1] (known at close +1)."""
    res = study_run.main
    frame: pl.DataFrame
    if kind == "ar0":
        frame = res.ar.filter(pl.col("rel_day") == 0).select(
            "event_id", "ticker", pl.col("ar").alias("value"), pl.lit(0).alias("known_at_rel_day")
        )
    else:
        frame = res.car.filter((pl.col("start") == 0) & (pl.col("end") == 1)).select(
            "event_id", "ticker", pl.col("car").alias("value"), pl.lit(1).alias("known_at_rel_day")
        )
    return frame


def run_backtest(
    store: Any,
    definition: RuleDefinition,
    *,
    now: dt.datetime,
    offline: bool = False,
    sweep: bool = False,
    save: bool = True,
    source: Any = None,
    n_boot: int = 5_000,
    seed: int = 0,
) -> BacktestRun:
    """Run a rule on the store's data (fetching what is missing unless ``offline``) and store it.

    Betas (for ``hedge = "beta"``) and signals (for ``direction = "sign"``) come from the
    market model of the rule's event study on the rule's benchmark, estimated on the
    estimation window before each event, so they are known before the trade.
    """
    from backtest.trading import run_trade_sweep, run_trades
    from events import nyse

    rule = definition.trade_rule()
    study = definition.as_study()
    if definition.trade.direction == "sign" and definition.trade.signal == "car01":
        windows = set(study.model.windows) | {(0, 1)}
        study = study.model_copy(
            update={"model": study.model.model_copy(update={"windows": tuple(sorted(windows))})}
        )
    study_run = run_study(store, study, now=now, offline=offline, source=source, save=False)
    candidates = study_run.observations.select("event_id", "ticker", "day0", "timing")
    betas = study_run.main.diagnostics.select("event_id", "ticker", "beta").filter(
        pl.col("beta").is_not_null()
    )
    signals = (
        _signals(study_run, definition.trade.signal)
        if definition.trade.direction == "sign"
        else None
    )
    cal = nyse()
    last = cal.latest_completed_session(now)
    tickers = sorted(set(candidates.get_column("ticker").to_list()) | {rule.benchmark})
    first_day0: dt.date = candidates.get_column("day0").min()  # type: ignore[assignment]
    start = cal.sessions_in_range(dt.date(first_day0.year - 1, 1, 1), first_day0)[-30]
    prices = store.prices(tickers, start=start, end=last).select(
        "ticker", "date", "open", "high", "low", "close", "adj_close", "volume"
    )
    actions = (
        store.actions(tickers)
        .filter(pl.col("date").is_between(start, last))
        .select("ticker", "date", "kind", "value")
    )
    sessions = cal.sessions_in_range(start, last)
    result = run_trades(
        candidates,
        prices,
        rule,
        actions=actions,
        sessions=sessions,
        betas=betas,
        signals=signals,
        n_boot=n_boot,
        seed=seed,
    )
    swept = None
    if sweep:
        swept = run_trade_sweep(
            candidates,
            prices,
            rule,
            definition.sweep.entry_offsets,
            definition.sweep.holding_periods,
            actions=actions,
            sessions=sessions,
            betas=betas,
            signals=signals,
            min_trades=definition.sweep.min_trades,
        )
    input_hash = _hash(
        study_run.input_hash,
        prices.sort("ticker", "date").write_csv(),
        actions.sort("ticker", "date", "kind").write_csv(),
        definition.canonical_json(),
        f"sweep={sweep};n_boot={n_boot};seed={seed}",
    )
    created = now.astimezone(dt.UTC)
    run = BacktestRun(
        run_id=f"{definition.rule.id}-{created.strftime('%Y%m%dT%H%M%S%fZ')}-{input_hash[:8]}",
        definition=definition,
        created_at=created,
        package_version=package_version(),
        input_hash=input_hash,
        stamp=study_run.stamp,
        result=result,
        sweep=swept,
        candidates=candidates,
    )
    if save:
        save_backtest(store, run)
    return run


_TRADE_COLUMNS = (
    "event_id",
    "ticker",
    "timing",
    "direction",
    "status",
    "entry_date",
    "entry_price",
    "exit_date",
    "exit_price",
    "dividends",
    "gross",
    "cost",
    "net",
    "hedge_ratio",
    "benchmark_return",
    "hedge_cost",
    "hedged",
    "weight",
    "perfect_foresight",
)
_STAT_COLUMNS = (
    "series",
    "n",
    "mean",
    "median",
    "sd",
    "hit_rate",
    "t",
    "ci_low",
    "ci_high",
    "compounded",
    "max_drawdown",
)
_CELL_COLUMNS = (
    "entry_offset",
    "holding",
    "exit_offset",
    "n",
    "mean_net",
    "t_net",
    "mean_hedged",
    "sd_hedged",
    "t_hedged",
    "enough",
)


def _shape(frame: pl.DataFrame, columns: tuple[str, ...], run_id: str) -> pl.DataFrame:
    cols = [pl.col(c) if c in frame.columns else pl.lit(None).alias(c) for c in columns]
    return frame.select(cols).with_columns(pl.lit(run_id).alias("run_id"))


def save_backtest(store: Any, run: BacktestRun) -> None:
    """Store a backtest run with its rule, data stamp, trades, statistics and sweep."""
    res = run.result
    trades = _shape(res.trades, _TRADE_COLUMNS, run.run_id)
    stats = _shape(res.stats, _STAT_COLUMNS, run.run_id)
    frames = {"trades": trades, "backtest_stats": stats}
    if run.sweep is not None:
        frames["sweep_cells"] = _shape(run.sweep.cells, _CELL_COLUMNS, run.run_id)
    with store.transaction() as con:
        con.execute(
            "INSERT INTO backtest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                run.definition.rule.id,
                run.definition.rule.title,
                run.created_at,
                run.package_version,
                run.definition.canonical_json(),
                json.dumps(run.stamp),
                run.input_hash,
                run.candidates.height,
                res.trades.filter(pl.col("status") == "ok").height,
                res.n_overlapping,
                res.perfect_foresight,
                run.sweep is not None,
            ],
        )
        insert_frames(con, frames, what=f"backtest {run.run_id}")
