"""Benchmark of ``backtest.run_event_study`` at the scale of all S&P 500 earnings.

A synthetic daily panel following the market model (seeded: random betas, one
market series, idiosyncratic noise, a few missing days) for the 505 tickers of
``earnings_dates.csv`` on the real XNYS sessions, with the 36,845 real earnings
dates as events (each filing date mapped to the first session on or after it).
The market model runs with every test over the six default windows.

Prints a short profile (time per engine phase, from a second, profiled run) and,
as the last line, one JSON object::

    {"events": N, "seconds": S, "events_per_s": E, "peak_mb": M,
     "replications": B, "resampling_s": R}

``seconds`` is the wall time of ``run_event_study`` alone (data in memory, scipy
already imported), with the default B = 1,000 replications of ``permutation_p`` and
``bootstrap_ci``; ``resampling_s`` is what those replications add: the median, over
three pairs, of that wall time minus the wall time of the same run with
``replications = 0`` (the pairs alternate, so a drift of the machine's speed cancels);
``peak_mb`` the peak resident set size of the process.

``--measures`` adds abnormal volume and volatility (synthetic log-normal volume beside the
returns) and times, in the same process and in alternating pairs (``--pairs``, default 3),
the returns-only engine against returns, volume and volatility in one pass
(``backtest.engine.study_many``, as a study with ``measures = ["return", "volume",
"volatility"]`` runs them); the JSON line gains ``returns_seconds`` and ``measures_seconds``
(medians), ``measures_cost`` (the median over pairs of the measures' extra time over the
returns-only time: the two measures' cost in units of the returns engine), ``total_ratio``
(all three over returns only), and the same in CPU time of the process
(``returns_cpu_seconds``, ``measures_cpu_seconds``, ``measures_cost_cpu``), which a shared,
busy machine distorts less than wall time.

Data folder: ``REACTION_DATA_DIR``, else ``../shared/data`` beside the repository.
Run: ``.venv/bin/python benchmarks/bench_engine.py [--measures [--pairs 3]]``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import pstats
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import data_dir, earnings_events, xnys_sessions  # noqa: E402

from backtest import EventStudyConfig, run_event_study  # noqa: E402

SEED = 20251103
BENCHMARK = "SPY"


def load_events(path: Path, sessions: np.ndarray) -> pl.DataFrame:
    """The real earnings dates (shared loader) with this benchmark's extra column."""
    return earnings_events(path, sessions).with_columns(pl.lit("earnings").alias("category"))


def synthetic_returns(
    tickers: list[str], sessions: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """Market-model returns ``R = α + β R_m + e`` for every ticker and session, plus SPY."""
    T, n = sessions.shape[0], len(tickers)
    market = rng.normal(0.0003, 0.011, T)
    alpha = rng.normal(0.0, 0.0002, n)
    beta = rng.uniform(0.5, 1.6, n)
    sigma = rng.uniform(0.01, 0.03, n)
    ret = (
        alpha[:, None]
        + beta[:, None] * market[None, :]
        + sigma[:, None] * rng.standard_normal((n, T))
    )
    ret[rng.random((n, T)) < 0.001] = np.nan  # a few missing days
    dates = pl.Series("date", sessions).cast(pl.Date)
    frame = pl.DataFrame(
        {
            "ticker": pl.Series(
                np.repeat(np.asarray(tickers, dtype=object), T).tolist(), dtype=pl.String
            ),
            "date": pl.concat([dates] * n),
            "ret": ret.ravel(),
        }
    ).filter(pl.col("ret").is_not_nan())
    spy = pl.DataFrame({"ticker": BENCHMARK, "date": dates, "ret": market})
    return pl.concat([frame, spy])


PHASES = (
    "normalise_events",
    "normalise_values",
    "session_days",
    "catalog_positions",
    "build_panel",
    "prepare",
    "clean_coverage",
    "measure_block",
    "fit",
    "add",
    "rank_rows_and_prefix",
    "stack",
    "finish",
    "_grank",
    "resampled",
    "wilcoxon_ci",
    "confounders",
    "frames",
)
NESTED = {"fit": 2, "rank_rows_and_prefix": 2, "_grank": 2, "resampled": 2, "wilcoxon_ci": 2}


def profile(
    events: pl.DataFrame, returns: pl.DataFrame, config: EventStudyConfig, sessions: list[dt.date]
) -> None:
    prof = cProfile.Profile()
    prof.enable()
    run_event_study(events, returns, config, sessions=sessions)
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "backtest" in filename and name in PHASES:
            rows.append((ct, name, Path(filename).name))
    print("profile (cumulative seconds per phase, profiled run; nested phases indented):")
    for ct, name, fname in sorted(rows, key=lambda r: PHASES.index(r[1])):
        indent = "  " * NESTED.get(name, 1)
        print(f"{indent}{name:<22} {ct:7.3f}  ({fname})")


def synthetic_volume(returns: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """``returns`` with a ``volume`` column: ``ln V = μ_i + 0.4 e``, μ_i uniform in [13, 17]."""
    mu = {t: rng.uniform(13.0, 17.0) for t in returns.get_column("ticker").unique().sort()}
    level = returns.get_column("ticker").replace_strict(mu, return_dtype=pl.Float64)
    noise = rng.standard_normal(returns.height)
    return returns.with_columns(pl.Series("volume", np.exp(level.to_numpy() + 0.4 * noise)))


def time_measures(
    events: pl.DataFrame,
    values: pl.DataFrame,
    config: EventStudyConfig,
    sessions: list[dt.date],
    pairs: int,
) -> dict[str, float]:
    """Alternating timings of returns only and returns + volume + volatility (one pass)."""
    from backtest.engine import study_many
    from backtest.measures import Returns, Volatility, Volume
    from backtest.models import get_model

    model = get_model(config.model)
    returns = values.select("ticker", "date", "ret")
    only, both, only_cpu, both_cpu = [], [], [], []
    for _ in range(pairs):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        run_event_study(events, returns, config, sessions=sessions)
        only.append(time.perf_counter() - t0)
        only_cpu.append(time.process_time() - c0)
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        measures = [Returns(config, model), Volume(config), Volatility(config, model)]
        study_many(measures, events, values, sessions=sessions)
        both.append(time.perf_counter() - t0)
        both_cpu.append(time.process_time() - c0)

    def median_cost(a: list[float], b: list[float]) -> float:
        return round(float(np.median([(y - x) / x for x, y in zip(a, b, strict=True)])), 3)

    return {
        "returns_seconds": round(float(np.median(only)), 3),
        "measures_seconds": round(float(np.median(both)), 3),
        "measures_cost": median_cost(only, both),
        "total_ratio": round(median_cost(only, both) + 1.0, 3),
        "returns_cpu_seconds": round(float(np.median(only_cpu)), 3),
        "measures_cpu_seconds": round(float(np.median(both_cpu)), 3),
        "measures_cost_cpu": median_cost(only_cpu, both_cpu),
        "pairs": pairs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", action="store_true", help="time volume and volatility too")
    parser.add_argument("--pairs", type=int, default=3, help="alternating timing pairs")
    args = parser.parse_args()
    folder = data_dir()
    sessions = xnys_sessions()
    events = load_events(folder / "earnings_dates.csv", sessions)
    tickers = sorted(events.get_column("ticker").unique().to_list())
    last = np.datetime64(events.get_column("day0").max(), "D")
    span = sessions[sessions <= last + np.timedelta64(40, "D")]
    rng = np.random.default_rng(SEED)
    returns = synthetic_returns(tickers, span, rng)
    session_list = pl.Series(sessions).cast(pl.Date).to_list()
    config = EventStudyConfig(model="market_model", benchmark=BENCHMARK)
    print(
        f"panel: {len(tickers)} tickers + {BENCHMARK}, {span.shape[0]} sessions "
        f"({span[0]} .. {span[-1]}), {returns.height:,} returns; events: {events.height:,}"
    )
    # backtest imports scipy.special on first use (``import backtest`` stays cheap): load it
    # here, so that ``seconds`` is the engine's work, as when it was imported with backtest
    import scipy.special  # noqa: F401

    gc.collect()
    t0 = time.perf_counter()
    result = run_event_study(events, returns, config, sessions=session_list)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    counts = result.diagnostics.group_by("status").len().sort("status")
    print("statuses: " + ", ".join(f"{s} {n}" for s, n in counts.iter_rows()))
    d = result.diagnostics
    confounded = result.car.filter(pl.col("confounded_by").list.len() > 0).height
    print(
        f"frames: ar {result.ar.height:,}, car {result.car.height:,}, tests {result.tests.height}; "
        f"mean n_est {d['n_est'].mean():.1f}, mean n_dropped_clean {d['n_dropped_clean'].mean():.1f}, "
        f"confounded windows {confounded:,}, r̄ = {result.rbar}"
    )
    del result
    gc.collect()
    without = config.model_copy(update={"replications": 0})
    added = []
    for _ in range(3):
        times = []
        for cfg in (config, without):
            gc.collect()
            t1 = time.perf_counter()
            run_event_study(events, returns, cfg, sessions=session_list)
            times.append(time.perf_counter() - t1)
        added.append(times[0] - times[1])
    gc.collect()
    profile(events, returns, config, session_list)
    out = {
        "events": events.height,
        "seconds": round(seconds, 3),
        "events_per_s": round(events.height / seconds),
        "peak_mb": round(peak_mb, 1),
        "replications": config.replications,
        "resampling_s": round(float(np.median(added)), 3),
    }
    if args.measures:
        values = synthetic_volume(returns, rng)
        out.update(time_measures(events, values, config, session_list, args.pairs))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
