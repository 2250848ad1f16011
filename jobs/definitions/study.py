"""Studies: what to measure (a TOML definition), making sure the data are there, running it.

A study file::

    [study]
    id = "seed"
    title = "..."

    [select]                      # which events (all given filters must hold)
    events = ["openai-aws"]       # ids
    categories = ["earnings"]
    tags = ["seed"]
    tickers = ["AMZN"]            # events that involve one of these tickers
    from = 2025-09-01             # day 0 on or after
    to = 2025-12-31               # day 0 on or before
    catalog = "my-events.toml"    # every event of a catalog file (loaded into the store)

    [measure]                     # which tickers to measure per event, and what
    tickers = ["AMZN", "NVDA", "MSFT"]   # a fixed list, for every event
    own_tickers = true            # plus the event's own tickers (the default)
    measures = ["return", "volume", "volatility"]   # default ["return"]; "return" is always
                                  # measured; "volume": abnormal log volume (Campbell and
                                  # Wasley 1996), "volatility": squared standardized abnormal
                                  # returns against their estimation level (Beaver's U and the
                                  # variance ratio), both on the main benchmark's observations

    [model]
    name = "market_model"         # market_adjusted, constant_mean, market_model, capm, ff3, carhart4, ff5
    benchmarks = ["SPY", "QQQ"]   # the first is the main one; the others are shown side by side
    estimation = { start = -260, end = -11, min_obs = 120 }
    windows = [[0, 0], [-1, 1]]
    variance_denominator = "L-k"  # or "L-1"
    return_kind = "simple"        # or "log"
    clean_estimation = true
    timing_policy = "infer"       # date-only events: "infer" (day 0 as inferred from the
                                  # prices when it was, docs/timing.md), "assume" (the dated
                                  # session), "two_day" (the dated session, main window [0, +1])
    conventions = "default"       # or "eventstudy" (s² with ddof 0, no prediction-error term;
                                  # replaces variance_denominator) or "estudy2" (bw1985_t
                                  # against N(0, 1)) or "eventstudies" (bootstrap_ci as the
                                  # plain percentile interval): docs/statistics.md, "Conventions"
    replications = 1000           # random draws of permutation_p and bootstrap_ci (0: none)
    seed = 20261201               # their seed, stored with the run (same seed, same numbers)

    [report]
    tests = ["bmp_t", "kp_bmp_t"] # which tests to show (default: all)
    question = "How did ...?"     # the question the answer section answers (default: built)
    main_window = [-1, 1]         # the answer's window: one of model.windows (default: [-1, 1]
                                  # when it is one of them, else the first)
    event_charts = 24             # per-event charts beyond the answer's events (largest |t|)
    daily_tests = "auto"          # every test per event day in each group's daily table
                                  # ("every"), only the cross-sectional t ("t"), or "auto":
                                  # every test up to 5,000 observations, the t above

    [report.answer]               # which observations the answer lists (all filters must hold)
    events = ["openai-aws"]       # default: every selected event
    tickers = ["AMZN"]            # default: every measured ticker; also the order of the rows
    own = true                    # only an event's own tickers (default)
    fdr = 0.05                    # q-value at or below which a reaction is "beyond noise"
    robust_test = "bw1985_t"      # the event group's clustering-robust test

    [[report.groups]]             # groups with their own cross-event tests (one run)
    by = "event"                  # event, category, day0, ticker, own (own tickers vs peers), all
    [[report.groups]]
    id = "amzn-news"              # or an explicit group: an id and filters
    label = "Amazon's own news"
    events = ["amzn-layoffs-14k", "amzn-q3"]
    tickers = ["AMZN"]            # also: categories = [...], own = true / false

    [roles]                       # a spillover study: counterparty, partners, peers per event
    direct_from = "first_ticker"  # see jobs/definitions/roles.py for every key
    peers = ["GOOGL", "META"]
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from backtest import DEFAULT_WINDOWS, TEST_NAMES
from backtest.names import Conventions, MeasureName, ModelName, ReturnKind, VarianceDenominator
from events import normalise_ticker_list
from jobs.definitions._common import (
    ADHOC_SUFFIX,
    Strict,
    read_toml,
    validation_sentence,
    with_selection,
)
from jobs.definitions.roles import RolesSpec
from jobs.errors import UsageError


class StudyInfo(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")] = "adhoc"
    title: str = ""


class Selection(Strict):
    events: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    catalog: Path | None = None

    @field_validator("tickers", mode="after")
    @classmethod
    def _tickers(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return normalise_ticker_list(v)


class Measure(Strict):
    tickers: tuple[str, ...] = ()
    own_tickers: bool = True
    measures: tuple[MeasureName, ...] = ("return",)

    @field_validator("tickers", mode="after")
    @classmethod
    def _tickers(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return normalise_ticker_list(v)

    @field_validator("measures", mode="after")
    @classmethod
    def _measures(cls, v: tuple[MeasureName, ...]) -> tuple[MeasureName, ...]:
        if "return" not in v:
            raise ValueError(
                'measures must include "return" (the answer and the tests are built on '
                'abnormal returns), e.g. measures = ["return", "volume"]'
            )
        return tuple(dict.fromkeys(v))

    @model_validator(mode="after")
    def _something(self) -> Measure:
        if not self.tickers and not self.own_tickers:
            raise ValueError(
                "measure: own_tickers = false needs a tickers list, or nothing is measured"
            )
        return self


class Estimation(Strict):
    start: int = -260
    end: int = -11
    min_obs: int = 120


#: How a study dates events without a stated time of day (docs/timing.md).
TimingPolicy = Literal["assume", "infer", "two_day"]
TIMING_POLICIES: tuple[str, ...] = ("assume", "infer", "two_day")
DEFAULT_TIMING_POLICY: TimingPolicy = "infer"


class ModelSpec(Strict):
    name: ModelName = "market_model"
    benchmarks: tuple[str, ...] = ("SPY",)
    estimation: Estimation = Estimation()
    windows: tuple[tuple[int, int], ...] = DEFAULT_WINDOWS
    variance_denominator: VarianceDenominator = "L-k"
    return_kind: ReturnKind = "simple"
    clean_estimation: bool = True
    timing_policy: TimingPolicy = DEFAULT_TIMING_POLICY
    conventions: Conventions = "default"
    replications: Annotated[int, Field(ge=0, le=100_000)] = 1000
    seed: Annotated[int, Field(ge=0)] = 20261201

    @model_validator(mode="after")
    def _one_variance(self) -> ModelSpec:
        if self.conventions == "eventstudy" and self.variance_denominator != "L-k":
            raise ValueError(
                'model.conventions = "eventstudy" fixes the residual variance (ddof 0, '
                "s² = Σe²/L); leave out model.variance_denominator"
            )
        return self

    @field_validator("benchmarks", mode="after")
    @classmethod
    def _benchmarks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError('at least one benchmark is needed, e.g. benchmarks = ["SPY"]')
        return normalise_ticker_list(v)

    @field_validator("windows", mode="after")
    @classmethod
    def _windows(cls, v: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
        if not v:
            raise ValueError("at least one event window is needed, e.g. windows = [[-1, 1]]")
        for a, b in v:
            if a > b:
                raise ValueError(f"window [{a}, {b}] starts after it ends")
        return v


#: The tests that allow for cross-correlation between observations of one event (same day 0).
ROBUST_TESTS = ("bw1985_t", "kp_bmp_t", "kp_patell_z", "grank_t")
RobustTest = Literal["bw1985_t", "kp_bmp_t", "kp_patell_z", "grank_t"]
GroupBy = Literal["all", "event", "category", "day0", "ticker", "own"]
#: Which tests a group's daily table holds (``[report] daily_tests``).
DailyTests = Literal["auto", "every", "t"]
#: Under ``daily_tests = "auto"``, every test per day up to this many observations.
DAILY_TESTS_AUTO_LIMIT = 5_000
_GROUP_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


class AnswerSpec(Strict):
    """Which observations the answer section lists, and how a verdict is reached."""

    events: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    own: bool = True
    fdr: Annotated[float, Field(gt=0, lt=1)] = 0.05
    robust_test: RobustTest = "bw1985_t"

    @field_validator("tickers", mode="after")
    @classmethod
    def _tickers(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return normalise_ticker_list(v)


class GroupSpec(Strict):
    """A group of observations with its own cross-event tests, or a family of them (``by``).

    The filters (``events``, ``categories``, ``tickers``, ``own``) narrow the study's
    observations; ``by`` then splits them into one group per event, category, day 0, ticker,
    or own tickers vs measured peers. Without ``by`` the group needs an ``id``.
    """

    by: GroupBy | None = None
    id: Annotated[str, Field(pattern=_GROUP_ID)] | None = None
    label: str = ""
    events: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    own: bool | None = None

    @field_validator("tickers", mode="after")
    @classmethod
    def _tickers(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return normalise_ticker_list(v)

    @model_validator(mode="after")
    def _named(self) -> GroupSpec:
        if self.by is None and self.id is None:
            raise ValueError(
                'a group needs an id (an explicit group) or by = "event", "category", "day0", '
                '"ticker", "own" or "all"'
            )
        return self


class ReportSpec(Strict):
    tests: tuple[str, ...] = TEST_NAMES
    question: str = ""
    main_window: tuple[int, int] | None = None
    event_charts: Annotated[int, Field(ge=0, le=500)] = 24
    answer: AnswerSpec = AnswerSpec()
    groups: tuple[GroupSpec, ...] = ()
    daily_tests: DailyTests = "auto"

    @field_validator("tests", mode="after")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in v if t not in TEST_NAMES]
        if unknown:
            raise ValueError(f"unknown test(s) {unknown}; known: {', '.join(TEST_NAMES)}")
        return v


class StudyDefinition(Strict):
    """A study: which events, which tickers, which model, which windows and tests."""

    study: StudyInfo = StudyInfo()
    select: Selection = Selection()
    measure: Measure = Measure()
    model: ModelSpec = ModelSpec()
    report: ReportSpec = ReportSpec()
    roles: RolesSpec | None = None  # a spillover study (jobs.spillover)

    @model_validator(mode="after")
    def _main_window_measured(self) -> StudyDefinition:
        w = self.report.main_window
        if w is not None and tuple(w) not in {tuple(x) for x in self.model.windows}:
            windows = ", ".join(f"[{a}, {b}]" for a, b in self.model.windows)
            raise ValueError(
                f"report.main_window [{w[0]}, {w[1]}] is not one of model.windows ({windows})"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _two_day_window(cls, data: Any) -> Any:
        # two_day: the announcement window [0, +1] is always measured
        model = data.get("model") if isinstance(data, dict) else None
        if not isinstance(model, dict) or model.get("timing_policy") != "two_day":
            return data
        windows = [tuple(w) for w in model.get("windows", DEFAULT_WINDOWS)]
        if (0, 1) in windows:
            return data
        return {**data, "model": {**model, "windows": [*windows, (0, 1)]}}

    @property
    def main_window(self) -> tuple[int, int]:
        """The answer's window: ``report.main_window``, else [0, +1] under the ``two_day``
        timing policy, else [-1, +1] if measured, else the first."""
        if self.report.main_window is not None:
            return (int(self.report.main_window[0]), int(self.report.main_window[1]))
        windows = [(int(a), int(b)) for a, b in self.model.windows]
        if self.model.timing_policy == "two_day":
            return (0, 1)
        return (-1, 1) if (-1, 1) in windows else windows[0]

    def canonical_json(self) -> str:
        """A stable JSON form (sorted keys): what is stored with each run and hashed.

        ``model.timing_policy`` at its default is left out, so a study that does not set it
        keeps the hash it had before the option existed; a study without ``[roles]`` has no
        ``roles`` key (its form and hash are as before).
        """
        data = self.model_dump(mode="json", by_alias=True)
        if data["model"].get("timing_policy") == DEFAULT_TIMING_POLICY:
            del data["model"]["timing_policy"]
        if data.get("roles") is None:
            data.pop("roles", None)
        return json.dumps(data, sort_keys=True)

    def with_overrides(
        self,
        *,
        events: Sequence[str] = (),
        tickers: Sequence[str] = (),
        categories: Sequence[str] = (),
        model: str | None = None,
        benchmarks: Sequence[str] = (),
        windows: Sequence[tuple[int, int]] = (),
        source: str = "command line",
    ) -> StudyDefinition:
        """This study narrowed or changed, as ``reaction study`` options do.

        ``events`` replaces the selection, ``categories`` narrows it, ``tickers`` measures only
        these tickers for every event; ``model``, ``benchmarks`` and ``windows`` replace the
        model's. Any override makes an ad-hoc variant with the id ``<id>-adhoc``, so it neither
        overwrites the study's reports nor passes for the registered study's latest run.
        ``tickers`` also drops a spillover study's ``[roles]`` (which would measure more).
        """
        if not any((events, tickers, categories, model, benchmarks, windows)):
            return self
        data = with_selection(
            self.model_dump(mode="python", by_alias=True), events, tickers, categories
        )
        data["study"]["id"] = f"{self.study.id}{ADHOC_SUFFIX}"
        if tickers:
            data["roles"] = None
        if events or tickers or categories:
            # the title and the question named what the study measured: a narrowed variant
            # gets titles built from what it measures, and answers about all its observations
            data["study"]["title"] = ""
            data["report"]["question"] = ""
            data["report"]["answer"] = {
                k: v for k, v in data["report"]["answer"].items() if k in ("fdr", "robust_test")
            }
        if model:
            data["model"]["name"] = model
        if benchmarks:
            data["model"]["benchmarks"] = [b.upper() for b in benchmarks]
        if windows:
            data["model"]["windows"] = [tuple(w) for w in windows]
            main = data["report"].get("main_window")
            if main is not None and tuple(main) not in {tuple(w) for w in windows}:
                data["report"]["main_window"] = None
        return parse_study(data, source=source)


def parse_window(text: str, *, name: str = "--window") -> tuple[int, int]:
    """``"-1:1"`` -> ``(-1, 1)``: an event window START:END in sessions relative to day 0."""
    try:
        a, b = text.split(":")
        return int(a), int(b)
    except ValueError as exc:
        raise UsageError(
            f"{name} {text!r} is not START:END in sessions, e.g. -1:1 or 0:10"
        ) from exc


def parse_study(data: dict[str, Any], *, source: str) -> StudyDefinition:
    """Validate a parsed TOML document; errors name the file and the field."""
    try:
        definition = StudyDefinition.model_validate(data)
    except ValidationError as exc:
        raise UsageError(validation_sentence(exc, source)) from exc
    if definition.select.catalog is not None and not definition.select.catalog.is_absolute():
        base = Path(source).parent if not source.startswith("<") else Path.cwd()
        definition = definition.model_copy(
            update={
                "select": definition.select.model_copy(
                    update={"catalog": (base / definition.select.catalog).resolve()}
                )
            }
        )
    return definition


def load_study(path: str | Path) -> StudyDefinition:
    """Read a study TOML file."""
    return parse_study(read_toml(Path(path), what="study file"), source=str(path))


def seed_study_text() -> str:
    """The TOML text of the seed study that ships with the package."""
    return (resources.files("jobs") / "studies" / "seed.toml").read_text(encoding="utf-8")


def seed_study() -> StudyDefinition:
    """The seed study (``jobs/studies/seed.toml``)."""
    return parse_study(tomllib.loads(seed_study_text()), source="<package>/studies/seed.toml")
