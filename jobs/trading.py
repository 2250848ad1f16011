"""Trading rules around events: a TOML definition, the data, the engine's betas and signals.

A rule file uses the study's ``[select]`` and ``[measure]`` tables to pick the trades (one
per event and measured ticker) and adds::

    [rule]
    id = "amzn-events"
    title = "..."

    [trade]
    direction = "long"        # long | short | sign (by the sign of `signal`)
    signal = "ar0"            # for sign: the day-0 abnormal return (market model), known at close 0
    entry = "close:0"         # open|close : session relative to day 0
    exit = "close:+5"
    cost_bps = 5              # per side
    fee = 0                   # currency per leg and round trip, on `notional`
    notional = 10000
    hedge = "beta"            # none | benchmark | beta (estimation-window beta, market model)
    benchmark = "SPY"
    overlap = "skip"          # skip | split (capital split) for overlapping trades of a ticker
    allow_lookahead = false   # true: entries before the news are allowed, labelled perfect foresight

    [sweep]                   # `reaction backtest --sweep`
    entry_offsets = [0, 1, 2]
    holding_periods = [1, 5, 10]
    min_trades = 30

    [model]                   # the event-study settings for betas and signals (defaults as studies)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jobs.errors import UsageError
from jobs.study import (
    Measure,
    ModelSpec,
    Selection,
    StudyDefinition,
    StudyInfo,
    validation_sentence,
)

SEED_RULES = ("amzn-events", "earnings-drift")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleInfo(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] = "adhoc"
    title: str = ""


class TradeSpec(_Strict):
    direction: Literal["long", "short", "sign"] = "long"
    signal: Literal["ar0", "car01"] = "ar0"
    entry: str = "close:0"
    exit: str = "close:+5"
    cost_bps: float = Field(default=5.0, ge=0)
    fee: float = Field(default=0.0, ge=0)
    notional: float = Field(default=10_000.0, gt=0)
    hedge: Literal["none", "benchmark", "beta"] = "none"
    benchmark: str = "SPY"
    overlap: Literal["skip", "split"] = "skip"
    allow_lookahead: bool = False


class SweepSpec(_Strict):
    entry_offsets: tuple[int, ...] = tuple(range(20))
    holding_periods: tuple[int, ...] = tuple(range(1, 21))
    min_trades: int = Field(default=30, ge=1)


class RuleDefinition(_Strict):
    """A trading rule: which events and tickers, how to trade them, which grid to sweep."""

    rule: RuleInfo = RuleInfo()
    select: Selection = Selection()
    measure: Measure = Measure()
    trade: TradeSpec = TradeSpec()
    sweep: SweepSpec = SweepSpec()
    model: ModelSpec = ModelSpec()

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)

    def as_study(self) -> StudyDefinition:
        """The event study that supplies betas and signals (market model on the rule's benchmark)."""
        return StudyDefinition(
            study=StudyInfo(id=self.rule.id, title=self.rule.title),
            select=self.select,
            measure=self.measure,
            model=self.model.model_copy(
                update={"name": "market_model", "benchmarks": (self.trade.benchmark.upper(),)}
            ),
        )

    def trade_rule(self) -> Any:
        """The engine's :class:`backtest.trading.TradeRule` (validated there)."""
        from backtest.trading import TradeRule

        t = self.trade
        return TradeRule(
            direction=t.direction,
            entry=t.entry,
            exit=t.exit,
            cost_bps=t.cost_bps,
            fee=t.fee,
            notional=t.notional,
            hedge=t.hedge,
            benchmark=t.benchmark.upper(),
            overlap=t.overlap,
            allow_lookahead=t.allow_lookahead,
        )


def parse_rule(data: dict[str, Any], *, source: str) -> RuleDefinition:
    """Validate a parsed TOML document; errors name the file and the field."""
    try:
        definition = RuleDefinition.model_validate(data)
    except ValidationError as exc:
        raise UsageError(validation_sentence(exc, source)) from exc
    try:
        definition.trade_rule()
    except ValueError as exc:
        raise UsageError(f"{source}: {str(exc).splitlines()[0]}") from exc
    return definition


def load_rule(path: str | Path) -> RuleDefinition:
    """Read a rule TOML file, or a seed rule by name (``amzn-events``, ``earnings-drift``)."""
    text_path = str(path)
    if text_path in SEED_RULES:
        text = (resources.files("jobs") / "studies" / f"{text_path}.toml").read_text(
            encoding="utf-8"
        )
        return parse_rule(tomllib.loads(text), source=f"<package>/studies/{text_path}.toml")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot read rule file {p}: {exc.strerror or exc} (seed rules: {', '.join(SEED_RULES)})"
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"rule file {p} is not valid TOML: {exc}") from exc
    return parse_rule(data, source=str(p))


@dataclass(frozen=True)
class BacktestRun:
    """One run of a rule: trades and statistics, and the sweep when asked for."""

    run_id: str
    definition: RuleDefinition
    created_at: dt.datetime
    package_version: str
    input_hash: str
    stamp: list[dict[str, Any]]
    result: Any  # backtest.trading.TradeResult
    sweep: Any | None = None  # backtest.trading_sweep.TradeSweepResult
    candidates: pl.DataFrame = field(default_factory=pl.DataFrame)

    def summary(self) -> str:
        head = f"rule {self.definition.rule.id} run {self.run_id} ({self.package_version})"
        parts = [head, self.result.summary()]
        if self.sweep is not None:
            parts.append(self.sweep.summary())
        return "\n".join(parts)


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
    from backtest.trading import run_trades
    from backtest.trading_sweep import run_trade_sweep
    from events import nyse
    from jobs.run import package_version, run_study

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
    from jobs.run import insert_frames

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
