"""Running a trading rule: the rule's event study for betas and signals, the trades, the sweep."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import polars as pl

from jobs.definitions.rule import RuleDefinition
from jobs.runs import BacktestRun, package_version
from jobs.services.study import run_study
from storage.repos.backtest_runs import BacktestRunRecord
from storage.store import Store


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
    store: Store,
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
    from events.names import SCHEDULED_CATEGORIES

    # the date was known in advance by category (the store keeps no per-event flag yet)
    candidates = study_run.observations.select(
        "event_id",
        "ticker",
        "day0",
        "timing",
        pl.col("category").is_in(list(SCHEDULED_CATEGORIES)).alias("scheduled"),
    )
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
    with store.open() as db:
        prices = db.market.prices(tickers, start=start, end=last).select(
            "ticker", "date", "open", "high", "low", "close", "adj_close", "volume"
        )
        actions = db.market.actions(tickers, start=start, end=last).select(
            "ticker", "date", "kind", "value"
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
        portfolio=definition.portfolio_rule(),
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


def save_backtest(store: Store, run: BacktestRun) -> None:
    """Store a backtest run with its rule, data stamp, trades, statistics, portfolio daily
    series (``backtest_portfolio``: ``book`` = ``portfolio`` or ``benchmark``) and sweep."""
    res = run.result
    frames = {"trades": res.trades, "backtest_stats": res.stats}
    if run.sweep is not None:
        frames["sweep_cells"] = run.sweep.cells
    books = [
        book.daily.with_columns(pl.lit(name).alias("book"))
        for name, book in (("portfolio", res.portfolio), ("benchmark", res.benchmark_portfolio))
        if book is not None
    ]
    if books:
        frames["backtest_portfolio"] = pl.concat(books)
    record = BacktestRunRecord(
        run_id=run.run_id,
        rule_id=run.definition.rule.id,
        title=run.definition.rule.title,
        created_at=run.created_at,
        package_version=run.package_version,
        definition=run.definition.canonical_json(),
        data_stamp=json.dumps(run.stamp),
        input_hash=run.input_hash,
        n_candidates=run.candidates.height,
        n_trades=res.trades.filter(pl.col("status") == "ok").height,
        n_overlapping=res.n_overlapping,
        perfect_foresight=res.perfect_foresight,
        swept=run.sweep is not None,
    )
    with store.open(write=True) as db:
        db.write_through()  # one commit of every table: written once, not twice
        db.backtest_runs.insert(record, frames)
