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

    [portfolio]               # the calendar-time account the trades share
    allocation = "equal_weight"   # equal_weight (rebalanced as positions open/close) | fixed_notional
    initial_capital = 100000
    notional_per_trade = 10000    # fixed_notional: stock notional per trade, the rest in cash

    [sweep]                   # `reaction backtest --sweep`
    entry_offsets = [0, 1, 2]
    holding_periods = [1, 5, 10]
    min_trades = 30

    [model]                   # the event-study settings for betas and signals (defaults as studies)
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from backtest.names import Allocation, Direction, HedgeName, OverlapPolicy
from jobs.definitions._common import (
    ADHOC_SUFFIX,
    Strict,
    read_toml,
    validation_sentence,
    with_selection,
)
from jobs.definitions.study import (
    DEFAULT_TIMING_POLICY,
    Measure,
    ModelSpec,
    Selection,
    StudyDefinition,
    StudyInfo,
)
from jobs.errors import UsageError

SEED_RULES = ("amzn-events", "earnings-drift")


class RuleInfo(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] = "adhoc"
    title: str = ""


class TradeSpec(Strict):
    direction: Direction = "long"
    signal: Literal["ar0", "car01"] = "ar0"
    entry: str = "close:0"
    exit: str = "close:+5"
    cost_bps: float = Field(default=5.0, ge=0)
    fee: float = Field(default=0.0, ge=0)
    notional: float = Field(default=10_000.0, gt=0)
    hedge: HedgeName = "none"
    benchmark: str = "SPY"
    overlap: OverlapPolicy = "skip"
    allow_lookahead: bool = False


class PortfolioSpec(Strict):
    allocation: Allocation = "equal_weight"
    initial_capital: float = Field(default=100_000.0, gt=0)
    notional_per_trade: float = Field(default=10_000.0, gt=0)


class SweepSpec(Strict):
    entry_offsets: tuple[int, ...] = tuple(range(20))
    holding_periods: tuple[int, ...] = tuple(range(1, 21))
    min_trades: int = Field(default=30, ge=1)


class RuleDefinition(Strict):
    """A trading rule: which events and tickers, how to trade them, which grid to sweep."""

    rule: RuleInfo = RuleInfo()
    select: Selection = Selection()
    measure: Measure = Measure()
    trade: TradeSpec = TradeSpec()
    portfolio: PortfolioSpec = PortfolioSpec()
    sweep: SweepSpec = SweepSpec()
    model: ModelSpec = ModelSpec()

    def canonical_json(self) -> str:
        """A stable JSON form (sorted keys); ``model.timing_policy`` at its default is left
        out, as for studies, so unchanged rules keep their hash."""
        data = self.model_dump(mode="json", by_alias=True)
        if data["model"].get("timing_policy") == DEFAULT_TIMING_POLICY:
            del data["model"]["timing_policy"]
        return json.dumps(data, sort_keys=True)

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

    def with_overrides(
        self,
        *,
        events: Sequence[str] = (),
        tickers: Sequence[str] = (),
        categories: Sequence[str] = (),
        trade: dict[str, Any] | None = None,
        source: str = "command line",
    ) -> RuleDefinition:
        """This rule narrowed or changed, as ``reaction backtest`` options do.

        ``events``/``tickers``/``categories`` act as for studies; ``trade`` replaces fields of
        ``[trade]`` (``None`` values are ignored). Any override makes the ad-hoc variant
        ``<id>-adhoc``, which keeps the rule's own reports intact.
        """
        changes = {k: v for k, v in (trade or {}).items() if v is not None and v is not False}
        if not any((events, tickers, categories, changes)):
            return self
        data = with_selection(
            self.model_dump(mode="python", by_alias=True), events, tickers, categories
        )
        data["rule"]["id"] = f"{self.rule.id}{ADHOC_SUFFIX}"
        data["trade"].update(changes)
        return parse_rule(data, source=source)

    def portfolio_rule(self) -> Any:
        """The engine's :class:`backtest.trading.portfolio.PortfolioRule`."""
        from backtest.trading.portfolio import PortfolioRule

        return PortfolioRule(**self.portfolio.model_dump())

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
        text = (resources.files("jobs") / "rules" / f"{text_path}.toml").read_text(encoding="utf-8")
        return parse_rule(tomllib.loads(text), source=f"<package>/rules/{text_path}.toml")
    data = read_toml(Path(path), what="rule file", hint=f" (seed rules: {', '.join(SEED_RULES)})")
    return parse_rule(data, source=str(path))
