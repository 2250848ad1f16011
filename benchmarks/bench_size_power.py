"""Size and power of every test by simulation (the larger version of tests/backtest/test_size_power.py).

Market-model data (random α, β in [0.5, 1.5], σ in [1%, 3%], one market series per
group); groups of N observations sharing day 0; residuals independent (ρ = 0) or
with a common group factor (ρ = 0.25, the case the Kolari–Pynnönen, BW1985 and
GRANK tests are built for). Size: share of groups rejecting at 5% without an event
effect. Power: the same with +2% on day 0. An interval (``bootstrap_ci``,
``wilcoxon_ci``) rejects when it excludes 0. The groups follow one another on the
calendar and go through the public ``run_event_study`` together, with the events'
``group`` column (one call per chunk of ``--chunk`` groups, to bound the memory).

Run: ``.venv/bin/python benchmarks/bench_size_power.py [--groups 5000] [--power-groups 1000] [--n 20] [--chunk 2000]``.
Prints one table per scenario (rows: tests, columns: windows) and the share of
single observations whose CAR t rejects.

``--measures`` runs abnormal volume and volatility instead (``backtest.measures``): volume
``ln V = μ + σ e`` with e an AR(1) (φ = 0.3) of Student-t(5) shocks, power ×2 volume on day 0;
volatility on market-model returns with Student-t(4) residuals (and, for comparison, normal
ones), power ×3 the day-0 residual. Every test of the core is printed; the reported ones
(``backtest.names.VOLUME_TESTS`` / ``VOLATILITY_TESTS``) are marked with ``*``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backtest import TEST_NAMES, EventStudyConfig, run_event_study  # noqa: E402

SEED = 20251104
T = 140
DAY0 = 130
CONFIG = EventStudyConfig(
    windows=((0, 0), (-1, 1), (0, 5)), estimation_start=-120, estimation_end=-11, min_obs=100
)


def simulate(
    groups: int, n: int, rho: float, effect: float, seed: int, chunk: int
) -> tuple[dict[tuple[str, int, int], float], dict[tuple[int, int], float]]:
    """Rejection rates at 5% per (test, window) over groups, and per window over observations."""
    tickers = [f"S{i:03d}" for i in range(n)]
    rng = np.random.default_rng(seed)
    hits: dict[tuple[str, int, int], int] = {}
    single = {w: [0, 0] for w in CONFIG.windows}
    for first in range(0, groups, chunk):
        size = min(chunk, groups - first)
        ret = np.empty((n + 1, size * T))
        for g in range(size):  # group g on sessions g·T .. g·T + T − 1
            market = rng.normal(0.0, 0.01, T)
            alpha = rng.normal(0.0, 0.0005, n)
            beta = rng.uniform(0.5, 1.5, n)
            sigma = rng.uniform(0.01, 0.03, n)
            common = rng.standard_normal(T)
            noise = np.sqrt(rho) * common[None, :] + np.sqrt(1 - rho) * rng.standard_normal((n, T))
            cols = slice(g * T, (g + 1) * T)
            ret[:n, cols] = (
                alpha[:, None] + beta[:, None] * market[None, :] + sigma[:, None] * noise
            )
            ret[:n, g * T + DAY0] += effect
            ret[n, cols] = market
        days = pl.Series("date", np.arange(size * T, dtype=np.int32) + 7305).cast(pl.Date)
        frame = pl.DataFrame(
            {
                "ticker": pl.Series([*tickers, "SPY"]).gather(
                    np.repeat(np.arange(n + 1), size * T)
                ),
                "date": pl.concat([days] * (n + 1)),
                "ret": ret.ravel(),
            }
        )
        codes = np.repeat(np.arange(size), n)
        events = pl.DataFrame(
            {
                "event_id": [f"g{k:05d}-{t}" for k, t in zip(codes, tickers * size, strict=True)],
                "ticker": tickers * size,
                "day0": days.gather(codes * T + DAY0),
                "group": codes,
            }
        )
        res = run_event_study(events, frame, CONFIG, sessions=days)
        cols = ("test", "start", "end", "p", "ci_low", "ci_high")
        for test, a, b, p, lo, hi in res.tests.select(cols).iter_rows():
            if lo is not None and hi is not None:
                reject = lo > 0 or hi < 0
            else:
                reject = p is not None and p < 0.05
            hits[(test, a, b)] = hits.get((test, a, b), 0) + int(reject)
        for a, b, p in res.car.select("start", "end", "car_p").iter_rows():
            single[(a, b)][0] += int(p is not None and p < 0.05)
            single[(a, b)][1] += 1
    return {k: v / groups for k, v in hits.items()}, {k: v[0] / v[1] for k, v in single.items()}


def table(title: str, rates: dict[tuple[str, int, int], float]) -> str:
    head = f"{'test':<20}" + "".join(f"{f'[{a},{b}]':>9}" for a, b in CONFIG.windows)
    lines = [title, head, "-" * len(head)]
    for t in TEST_NAMES:
        lines.append(f"{t:<20}" + "".join(f"{rates[(t, a, b)]:>9.3f}" for a, b in CONFIG.windows))
    return "\n".join(lines)


def _t_unit(rng: np.random.Generator, df: float | None, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance Student-t draws (normal for ``df=None``)."""
    if df is None:
        return rng.standard_normal(shape)
    return rng.standard_t(df, shape) * float(np.sqrt((df - 2.0) / df))


def simulate_measure(
    kind: str, groups: int, n: int, effect: float, seed: int, chunk: int, df: float | None
) -> tuple[dict[tuple[str, int, int], float], dict[tuple[int, int], float]]:
    """Rejection rates of a measure's tests (``kind``: ``volume`` or ``volatility``)."""
    from backtest.engine import study
    from backtest.measures import Volatility, Volume
    from backtest.models import get_model

    tickers = [f"S{i:03d}" for i in range(n)]
    rng = np.random.default_rng(seed)
    hits: dict[tuple[str, int, int], int] = {}
    single = {w: [0, 0] for w in CONFIG.windows}
    for first in range(0, groups, chunk):
        size = min(chunk, groups - first)
        rows = n if kind == "volume" else n + 1
        x = np.empty((rows, size * T))
        for g in range(size):
            cols = slice(g * T, (g + 1) * T)
            if kind == "volume":
                shocks = _t_unit(rng, df, (n, T))
                e = np.empty((n, T))
                e[:, 0] = shocks[:, 0]
                for t in range(1, T):
                    e[:, t] = 0.3 * e[:, t - 1] + np.sqrt(1 - 0.09) * shocks[:, t]
                logv = rng.uniform(13, 17, n)[:, None] + rng.uniform(0.2, 0.6, n)[:, None] * e
                logv[:, DAY0] += np.log(effect)
                x[:, cols] = np.exp(logv)
            else:
                market = rng.normal(0.0, 0.01, T)
                noise = _t_unit(rng, df, (n, T))
                noise[:, DAY0] *= effect
                beta = rng.uniform(0.5, 1.5, n)[:, None]
                sigma = rng.uniform(0.01, 0.03, n)[:, None]
                x[:n, cols] = beta * market[None, :] + sigma * noise
                x[n, cols] = market
        days = pl.Series("date", np.arange(size * T, dtype=np.int32) + 7305).cast(pl.Date)
        names = tickers if kind == "volume" else [*tickers, "SPY"]
        frame = pl.DataFrame(
            {
                "ticker": pl.Series(names).gather(np.repeat(np.arange(rows), size * T)),
                "date": pl.concat([days] * rows),
                "volume" if kind == "volume" else "ret": x.ravel(),
            }
        )
        codes = np.repeat(np.arange(size), n)
        events = pl.DataFrame(
            {
                "event_id": [f"g{k:05d}-{t}" for k, t in zip(codes, tickers * size, strict=True)],
                "ticker": tickers * size,
                "day0": days.gather(codes * T + DAY0),
                "group": codes,
            }
        )
        measure = (
            Volume(CONFIG) if kind == "volume" else Volatility(CONFIG, get_model("market_model"))
        )
        out = study(measure, events, frame, sessions=days)
        for test, a, b, p in out.tests.select("test", "start", "end", "p").iter_rows():
            hits[(test, a, b)] = hits.get((test, a, b), 0) + int(p is not None and p < 0.05)
        for a, b, p in out.frames[f"{kind}_windows"].select("start", "end", "p").iter_rows():
            single[(a, b)][0] += int(p is not None and p < 0.05)
            single[(a, b)][1] += 1
    return {k: v / groups for k, v in hits.items()}, {k: v[0] / v[1] for k, v in single.items()}


def measures_main(args: argparse.Namespace) -> None:
    from backtest.names import VOLATILITY_TESTS, VOLUME_TESTS

    t0 = time.perf_counter()
    scenarios = [
        ("volume", "size, t(5) AR(1) log volume", args.groups, 1.0, 5.0),
        ("volume", "power, x2 volume on day 0", args.power_groups, 2.0, 5.0),
        ("volatility", "size, t(4) residuals", args.groups, 1.0, 4.0),
        ("volatility", "size, normal residuals", args.groups, 1.0, None),
        ("volatility", "power, x3 day-0 residual, t(4)", args.power_groups, 3.0, 4.0),
    ]
    for i, (kind, title, groups, effect, df) in enumerate(scenarios):
        rates, single = simulate_measure(
            kind, groups, args.n, effect, SEED + 10 + i, args.chunk, df
        )
        reported = VOLUME_TESTS if kind == "volume" else VOLATILITY_TESTS
        head = f"{'test':<21}" + "".join(f"{f'[{a},{b}]':>9}" for a, b in CONFIG.windows)
        print(f"{kind}: {title} ({groups} groups of {args.n}; * reported)\n{head}")
        print("-" * len(head))
        for t in TEST_NAMES:
            if (t, 0, 0) not in rates:
                continue
            mark = "*" if t in reported else " "
            print(
                f"{mark}{t:<20}" + "".join(f"{rates[(t, a, b)]:>9.3f}" for a, b in CONFIG.windows)
            )
        print(
            "single-observation z: "
            + ", ".join(f"[{a},{b}] {r:.3f}" for (a, b), r in single.items())
            + "\n"
        )
    print(f"({time.perf_counter() - t0:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=5000)
    parser.add_argument("--power-groups", type=int, default=1000)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=2000, help="groups per engine call")
    parser.add_argument("--measures", action="store_true", help="abnormal volume and volatility")
    args = parser.parse_args()
    if args.measures:
        measures_main(args)
        return
    t0 = time.perf_counter()
    scenarios = [
        ("size, independent residuals", args.groups, 0.0, 0.0),
        ("size, cross-correlated residuals (ρ = 0.25)", args.groups, 0.25, 0.0),
        ("power, +2% on day 0, independent residuals", args.power_groups, 0.0, 0.02),
        ("power, +2% on day 0, ρ = 0.25", args.power_groups, 0.25, 0.02),
    ]
    sd = (0.05 * 0.95 / args.groups) ** 0.5
    print(
        f"N = {args.n} observations per group, estimation [-120, -11], rejection at 5% "
        f"(binomial sd of a size at {args.groups} groups: {sd:.4f})\n"
    )
    for i, (title, groups, rho, effect) in enumerate(scenarios):
        rates, single = simulate(groups, args.n, rho, effect, SEED + i, args.chunk)
        print(table(f"{title} ({groups} groups)", rates))
        print(
            "single-observation CAR t: "
            + ", ".join(f"[{a},{b}] {r:.3f}" for (a, b), r in single.items())
            + "\n"
        )
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
