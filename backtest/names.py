"""The option sets of ``backtest``, spelled once as ``Literal`` types (no dependencies).

Each ``Literal`` is the one spelling of its option set; the tuples are derived from it with
``typing.get_args``. The model names are the exception that proves the rule: the model
*classes* are authoritative (:data:`backtest.models.MODELS`) and ``ModelName`` repeats their
names only because pydantic, typer and mypy need a ``Literal``; a test checks that the two
agree. This module imports nothing, so the CLI can offer the choices without loading numpy.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

#: Names of the return models (must equal ``tuple(backtest.models.MODELS)``).
ModelName: TypeAlias = Literal[
    "market_adjusted", "constant_mean", "market_model", "capm", "ff3", "carhart4", "ff5"
]

#: Named daily series a return model can use (see ``backtest.measures.returns``):
#: ``market`` is the benchmark ticker's return, ``rf`` the risk-free rate,
#: ``market_excess`` = market - rf, the rest are the factor file's columns.
SeriesName: TypeAlias = Literal[
    "market", "rf", "market_excess", "mkt_rf", "smb", "hml", "rmw", "cma", "mom"
]
#: Columns of the factors frame, in the order the engine reads them.
FactorColumn: TypeAlias = Literal["mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf"]
FACTOR_COLUMNS: tuple[FactorColumn, ...] = get_args(FactorColumn)

VarianceDenominator: TypeAlias = Literal["L-k", "L-1"]
#: Conventions that reproduce another tool's published numbers (``docs/statistics.md``,
#: "Conventions"): ``default`` (this spec), ``eventstudy`` (the PyPI package: s² with
#: ddof 0, no prediction-error term), ``estudy2`` (the R package: BW1985's window test
#: against N(0, 1)), ``eventstudies`` (the R package: ``bootstrap_ci`` as the plain percentile
#: interval of its ``inference.bootstrap``).
Conventions: TypeAlias = Literal["default", "eventstudy", "estudy2", "eventstudies"]
CONVENTIONS: tuple[Conventions, ...] = get_args(Conventions)
#: The interval ``bootstrap_ci`` reports (``docs/statistics.md``, "Cross-event tests"): Hesterberg's
#: expanded percentile interval (the default) or the plain percentile interval (``eventstudies``).
BootstrapInterval: TypeAlias = Literal["expanded_percentile", "percentile"]
ReturnKind: TypeAlias = Literal["simple", "log"]

#: Per-observation status codes, in order of precedence.
ObservationStatus: TypeAlias = Literal[
    "ok",
    "no_returns",
    "day0_outside_data",
    "no_benchmark",
    "no_factors",
    "insufficient_estimation",
    "zero_variance",
]
OBSERVATION_STATUSES: tuple[ObservationStatus, ...] = get_args(ObservationStatus)
#: Extra per-window status codes.
WindowStatus: TypeAlias = Literal["missing_event_returns", "incomplete_window"]
WINDOW_STATUSES: tuple[WindowStatus, ...] = get_args(WindowStatus)
#: Every status code of the event study; arrays hold their index (``STATUS_CODE``).
STATUSES: tuple[str, ...] = OBSERVATION_STATUSES + WINDOW_STATUSES
STATUS_CODE: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}

#: The cross-event tests, in the order of the ``tests`` frame (``docs/statistics.md``).
TestName: TypeAlias = Literal[
    "csect_t",
    "patell_z",
    "bmp_t",
    "kp_patell_z",
    "kp_bmp_t",
    "bw1985_t",
    "corrado_rank_z",
    "generalized_sign_z",
    "sign_z",
    "wilcoxon_w",
    "grank_t",
    "skew_adj_t",
    "bw1980_t",
    "lamb_z",
    "cz_sign_z",
    "caar_indep_t",
    "jackknife_t",
    "permutation_p",
    "bootstrap_ci",
    "wilcoxon_ci",
]
TEST_NAMES: tuple[TestName, ...] = get_args(TestName)
#: The tests that are confidence intervals (``ci_low``, ``ci_high``; ``stat`` is the point
#: estimate and ``p`` is null).
INTERVAL_TESTS: tuple[TestName, ...] = ("bootstrap_ci", "wilcoxon_ci")

#: What a study measures around each event (``[measure] measures`` of a study file):
#: abnormal returns, abnormal log volume (``backtest.measures.volume``) and abnormal
#: volatility (``backtest.measures.volatility``).
MeasureName: TypeAlias = Literal["return", "volume", "volatility"]
MEASURE_NAMES: tuple[MeasureName, ...] = get_args(MeasureName)
#: The cross-event tests reported for abnormal volume: cross-sectional, standardized (BMP),
#: BMP with the cross-correlation adjustment, and rank (Campbell and Wasley 1996).
VOLUME_TESTS: tuple[TestName, ...] = ("csect_t", "bmp_t", "kp_bmp_t", "corrado_rank_z")
#: ... and for abnormal volatility: the two whose size holds for squared standardized returns
#: with fat tails (benchmarks/bench_size_power.py --measures; ``docs/statistics.md``).
VOLATILITY_TESTS: tuple[TestName, ...] = ("bw1985_t", "corrado_rank_z")

# -- event-time trading (backtest.trading)

Direction: TypeAlias = Literal["long", "short", "sign"]
PointName: TypeAlias = Literal["open", "close"]
HedgeName: TypeAlias = Literal["none", "benchmark", "beta"]
OverlapPolicy: TypeAlias = Literal["skip", "split"]
#: How a calendar-time portfolio allocates its capital (``backtest.trading.portfolio``).
Allocation: TypeAlias = Literal["equal_weight", "fixed_notional"]
ALLOCATIONS: tuple[Allocation, ...] = get_args(Allocation)
#: Statistics of a sweep cell that ``TradeSweepResult.best`` and ``grid`` can read.
CellValue: TypeAlias = Literal["mean_hedged", "mean_net", "t_hedged", "t_net", "n"]
#: Per-trade status codes, in order of precedence.
TradeStatus: TypeAlias = Literal[
    "ok",
    "no_prices",
    "day0_not_session",
    "outside_data",
    "missing_entry_price",
    "missing_exit_price",
    "no_signal",
    "zero_signal",
    "no_beta",
    "missing_benchmark_price",
    "overlap_skipped",
]
TRADE_STATUSES: tuple[TradeStatus, ...] = get_args(TradeStatus)

#: Codes of :class:`backtest.notices.Notice`.
NoticeCode: TypeAlias = Literal["perfect_foresight", "sweep_optimistic"]
