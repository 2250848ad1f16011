"""Benchmark of the chunked engine (``backtest.chunked``) at 1,000,000 and 5,000,000 events.

A synthetic market-model panel (seeded) of 5,000 tickers on 2,520 sessions (the
XNYS sessions from 2015; 12.6 million stock-days, a few missing) and N events at
random (ticker, session) pairs with at least 260 sessions of history; the market
model over the six default windows, every test, clean estimation off (at 200 to
1,000 events per ticker every estimation window would be dropped). Each N runs in
its own process, so ``peak_mb`` (peak resident set size of that process, input
frames included) is the figure of that N alone. One JSON line per run::

    {"events": N, "executor": "local", "chunks": C, "seconds": S, "events_per_s": E,
     "peak_mb": M, "parquet_mb": P}

``seconds`` is the wall time of ``run_event_study_chunked`` (inputs built, scipy
imported), ``cpu_seconds`` this process's CPU time in it (on a shared machine the
wall time is the CPU time stretched by the other users; with Dask the workers' CPU
is not in it). The local executor runs ``--threads`` chunks at a time (default 2,
the machine's cores). ``--executor dask`` runs the chunks on a local Dask cluster of
``--workers`` single-threaded processes, started before the clock starts
(``cluster_start_s``); their memory and CPU are not in ``peak_mb`` and
``cpu_seconds``: the line adds ``workers_peak_mb`` (the largest worker's peak) and
``workers_cpu_seconds`` (all workers, start-up included). ``--executor memory``
times the in-memory engine instead. ``--check N`` runs the in-memory engine and
the chunked one on N events and prints the largest relative difference of every
frame (0 for the per-event frames).

Run: ``.venv/bin/python benchmarks/bench_scale.py`` (all three lines; about 12
minutes of CPU, and 18 GB of temporary disk for the 5,000,000 run), or
``--events 1000000 --executor local``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import xnys_sessions  # noqa: E402

from backtest import EventStudyConfig  # noqa: E402

SEED = 20261201
N_TICKERS = 5_000
N_SESSIONS = 2_520
HISTORY = 270
RUNS = ((1_000_000, "local"), (5_000_000, "local"), (1_000_000, "dask"))


def inputs(n_events: int) -> tuple[pl.DataFrame, pl.DataFrame, list[Any]]:
    """``events, returns, sessions`` of the synthetic study (see the module notes)."""
    rng = np.random.default_rng(SEED)
    all_sessions = xnys_sessions()
    sessions = all_sessions[all_sessions >= np.datetime64("2015-01-01")][:N_SESSIONS]
    T = sessions.shape[0]
    market = rng.normal(0.0003, 0.011, T)
    tickers = [f"S{i:04d}" for i in range(N_TICKERS)]
    beta = rng.uniform(0.5, 1.6, N_TICKERS)
    sigma = rng.uniform(0.01, 0.03, N_TICKERS)
    ret = beta[:, None] * market[None, :] + sigma[:, None] * rng.standard_normal((N_TICKERS, T))
    ret[rng.random((N_TICKERS, T)) < 0.001] = np.nan
    dates = pl.Series("date", sessions).cast(pl.Date)
    returns = pl.concat(
        [
            pl.DataFrame(
                {
                    "ticker": pl.Series(np.repeat(tickers, T)),
                    "date": pl.concat([dates] * N_TICKERS),
                    "ret": ret.ravel(),
                }
            ).filter(pl.col("ret").is_not_nan()),
            pl.DataFrame({"ticker": "SPY", "date": dates, "ret": market}),
        ]
    )
    del ret
    who = rng.integers(0, N_TICKERS, n_events)
    when = rng.integers(HISTORY, T - 5, n_events)
    events = pl.DataFrame(
        {
            "event_id": pl.select(pl.format("E{}", pl.int_range(n_events))).to_series(),
            "ticker": pl.Series(tickers).gather(who),
            "day0": dates.gather(when),
        }
    )
    return events, returns, dates.to_list()


CONFIG = EventStudyConfig(model="market_model", benchmark="SPY", clean_estimation=False)


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def _worker_usage() -> tuple[float, float]:
    """Peak MB and CPU seconds of the worker process it runs in."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_maxrss / 1024.0, u.ru_utime + u.ru_stime


def one(n_events: int, executor_name: str, workers: int, threads: int = 1) -> dict[str, Any]:
    events, returns, sessions = inputs(n_events)
    import scipy.special  # noqa: F401  (imported on first use by the engine)

    if executor_name == "memory":  # the in-memory engine, for comparison
        return _memory(n_events, events, returns, sessions)
    if executor_name == "dask":
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            started = time.perf_counter() - t0
            line = _timed(n_events, executor_name, 1, events, returns, sessions, client)
            usage = client.run(_worker_usage).values()
        line["cluster_start_s"] = round(started, 1)
        line["workers_peak_mb"] = round(max(m for m, _ in usage))
        line["workers_cpu_seconds"] = round(sum(c for _, c in usage), 1)
        return line
    return _timed(n_events, executor_name, threads, events, returns, sessions, None)


def _timed(
    n_events: int,
    executor_name: str,
    threads: int,
    events: pl.DataFrame,
    returns: pl.DataFrame,
    sessions: list[Any],
    client: Any,
) -> dict[str, Any]:
    from backtest.chunked import Executor, LocalExecutor, run_event_study_chunked

    executor: Executor = LocalExecutor(threads)
    if client is not None:
        from jobs.runtime.cluster import DaskExecutor

        executor = DaskExecutor(client=client)
    out = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        t0, c0 = time.perf_counter(), _cpu()
        res = run_event_study_chunked(
            events, returns, CONFIG, sessions=sessions, directory=out / "run", executor=executor
        )
        seconds, cpu = time.perf_counter() - t0, _cpu() - c0
        size = sum(p.stat().st_size for p in (out / "run").rglob("*") if p.is_file())
        line: dict[str, Any] = {
            "events": n_events,
            "executor": executor_name,
            "threads": threads,
            "chunks": res.n_chunks,
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "events_per_s": round(n_events / seconds),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0),
            "parquet_mb": round(size / 2**20),
        }
        return line
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _memory(
    n_events: int, events: pl.DataFrame, returns: pl.DataFrame, sessions: list[Any]
) -> dict[str, Any]:
    from backtest import run_event_study

    t0, c0 = time.perf_counter(), _cpu()
    run_event_study(events, returns, CONFIG, sessions=sessions)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "events": n_events,
        "executor": "memory",
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "events_per_s": round(n_events / seconds),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0),
    }


def check(n_events: int) -> dict[str, Any]:
    """Largest relative difference, chunked vs in-memory, per frame."""
    from backtest import run_event_study
    from backtest.chunked import run_event_study_chunked

    events, returns, sessions = inputs(n_events)
    memory = run_event_study(events, returns, CONFIG, sessions=sessions)
    with tempfile.TemporaryDirectory() as d:
        got = run_event_study_chunked(
            events, returns, CONFIG, sessions=sessions, directory=Path(d) / "run", chunk_size=9_999
        ).to_result()
    diff: dict[str, Any] = {"events": n_events}
    for name in ("diagnostics", "ar", "car", "car_path", "aar", "tests"):
        a, b = getattr(memory, name), getattr(got, name)
        assert a.columns == b.columns, name
        assert a.height == b.height, name
        worst = 0.0
        for c, t in a.schema.items():
            if t == pl.Float64:
                x, y = a.get_column(c).to_numpy(), b.get_column(c).to_numpy()
                assert np.array_equal(np.isnan(x), np.isnan(y)), (name, c)
                m = ~np.isnan(x)
                rel = np.abs(x[m] - y[m]) / np.maximum(np.abs(x[m]), 1e-300)
                worst = max(worst, float(rel.max(initial=0.0)))
            else:
                assert a.get_column(c).equals(b.get_column(c)), (name, c)
        diff[f"{name}_max_rel_diff"] = worst
    diff["rbar_rel_diff"] = abs((memory.rbar or 0.0) - (got.rbar or 0.0)) / abs(memory.rbar or 1.0)
    return diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int)
    parser.add_argument("--executor", choices=("local", "dask", "memory"), default="local")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers")
    parser.add_argument(
        "--threads", type=int, default=2, help="local executor threads (2: the machine's cores)"
    )
    parser.add_argument("--check", type=int, metavar="N")
    args = parser.parse_args()
    if args.check:
        print(json.dumps(check(args.check)))
    elif args.events:
        line = one(args.events, args.executor, args.workers, args.threads)
        print(json.dumps(line), flush=True)
    else:  # every run in its own process: each peak is its own
        for n, name in RUNS:
            cmd = [sys.executable, __file__, "--events", str(n), "--executor", name]
            subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
