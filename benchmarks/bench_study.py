"""Benchmark of ``reaction study`` end to end (whole processes, reports included).

Scenarios, each one new ``reaction`` process timed with ``time.perf_counter`` (median of
``REPEATS`` runs after one warm-up, so the file cache is warm as for a user who types
commands one after another):

* ``seed_s``: the seed study offline with its HTML report, from a store holding the shared
  prices, dividends and factors;
* ``k1_s`` / ``k1_nohtml_s``: a synthetic 1,000-event study (100 tickers on 2,500 XNYS
  sessions following the market model, seeded; an events CSV ``ticker,date``; the market model
  with every test on the six default windows) with and without HTML; ``k1_html_bytes`` is the
  size of its report.html;
* ``k37_s`` / ``k37_nohtml_s``: the 36,845 real earnings dates of ``earnings_dates.csv`` on a
  synthetic 505-ticker panel (2002-2025), with and without HTML;
* ``import_s``: ``reaction prices import`` of the 1,000-event workload's price file (CSV,
  252,500 rows) into an existing store without prices (created beforehand by ``reaction
  status``, untimed); ``import_new_store_s`` the same command creating the store (schema
  and seed catalog included).

Building the inputs (price files, events, stores) is not timed. ``peak_mb`` is the largest
resident set size of any timed child process.

Prints one line per scenario on stderr and, as the last line on stdout, one JSON object::

    {"seed_s", "k1_s", "k1_nohtml_s", "k1_html_bytes", "k37_s", "k37_nohtml_s", "import_s",
     "import_new_store_s", "peak_mb"}

Targets (issue 12, 2-core machine): seed < 3 s; 1,000 events < 1.5 s without HTML, < 15 s
with, report.html < 5 MB; 36,845 events < 8 s without HTML, < 60 s with; import < 0.7 s.

Data folder: ``REACTION_DATA_DIR``, else ``../shared/data`` beside the repository.
Run: ``.venv/bin/python benchmarks/bench_study.py [--repeats N] [--skip-k37]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import data_dir, xnys_sessions  # noqa: E402

SEED = 20251103
K1_TICKERS = 100
K1_SESSIONS = 2_500
K1_EVENTS = 1_000

STUDY = """
[study]
id = "{id}"
title = "{title}"

[select]
tags = ["{tag}"]

[measure]
own_tickers = true

[model]
name = "market_model"
benchmarks = ["SPY"]
"""


def _reaction() -> list[str]:
    script = Path(sys.executable).with_name("reaction")
    if script.exists():
        return [str(script)]
    found = shutil.which("reaction")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from jobs.cli import main; sys.exit(main())"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed


WARM_UP = True


def timed(
    args: list[str], env: dict[str, str], cwd: Path, repeats: int, *, warm_up: bool | None = None
) -> float:
    """Median wall seconds of ``repeats`` runs (after one warm-up run)."""
    warm_up = WARM_UP if warm_up is None else warm_up
    times = []
    for i in range(repeats + (1 if warm_up else 0)):
        elapsed = _run(args, env, cwd)
        if i or not warm_up:
            times.append(elapsed)
    return statistics.median(times)


def market_model_prices(
    tickers: list[str], sessions: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """Long price layout for ``tickers`` and SPY: random-walk closes from market-model returns."""
    T, n = sessions.shape[0], len(tickers)
    market = rng.normal(0.0003, 0.011, T)
    beta = rng.uniform(0.5, 1.6, n)
    sigma = rng.uniform(0.01, 0.03, n)
    ret = np.vstack(
        [beta[:, None] * market[None, :] + sigma[:, None] * rng.standard_normal((n, T)), market]
    )
    ret[:, 0] = 0.0
    close = 50.0 * np.exp(np.cumsum(np.log1p(ret), axis=1))
    gap = 1.0 + rng.normal(0.0, 0.003, close.shape)
    prev = np.concatenate([close[:, :1], close[:, :-1]], axis=1)
    open_ = prev * gap
    high = np.maximum(open_, close) * 1.004
    low = np.minimum(open_, close) * 0.996
    names = [*tickers, "SPY"]
    dates = pl.Series("date", sessions).cast(pl.Date)
    return pl.DataFrame(
        {
            "date": pl.concat([dates] * len(names)),
            "ticker": pl.Series(
                np.repeat(np.asarray(names, dtype=object), T).tolist(), dtype=pl.String
            ),
            "open": open_.ravel().round(4),
            "high": high.ravel().round(4),
            "low": low.ravel().round(4),
            "close": close.ravel().round(4),
            "adj_close": pl.Series([None] * (len(names) * T), dtype=pl.Float64),
            "volume": rng.integers(1_000_000, 9_000_000, len(names) * T),
        }
    )


def k1_inputs(folder: Path) -> tuple[Path, Path]:
    """The 1,000-event workload: a price CSV and an events CSV ``ticker,date``."""
    rng = np.random.default_rng(SEED)
    sessions = xnys_sessions()
    sessions = sessions[sessions <= np.datetime64("2025-11-28")][-K1_SESSIONS:]
    tickers = [f"SYN{i:03d}" for i in range(K1_TICKERS)]
    prices = market_model_prices(tickers, sessions, rng)
    price_file = folder / "k1_prices.csv"
    prices.write_csv(price_file)
    picks: set[tuple[str, int]] = set()
    while len(picks) < K1_EVENTS:  # day 0 with a full estimation window and [0, +10] after it
        picks.add((tickers[rng.integers(K1_TICKERS)], int(rng.integers(300, K1_SESSIONS - 15))))
    events = pl.DataFrame(
        {
            "ticker": [t for t, _ in sorted(picks)],
            "date": pl.Series(sessions[[i for _, i in sorted(picks)]]).cast(pl.Date),
        }
    )
    events_file = folder / "k1_events.csv"
    events.write_csv(events_file)
    return price_file, events_file


def k37_inputs(folder: Path) -> tuple[Path, Path]:
    """The real earnings dates on a synthetic panel of their 505 tickers (Parquet prices)."""
    rng = np.random.default_rng(SEED + 1)
    raw = pl.read_csv(data_dir() / "earnings_dates.csv")
    tickers = sorted(raw.get_column("ticker").unique().to_list())
    sessions = xnys_sessions()
    sessions = sessions[
        (sessions >= np.datetime64("2002-01-02")) & (sessions <= np.datetime64("2025-12-31"))
    ]
    prices = market_model_prices(tickers, sessions, rng)
    price_file = folder / "k37_prices.parquet"
    prices.write_parquet(price_file)
    events_file = folder / "k37_events.csv"
    raw.rename({"filing_date": "date"}).write_csv(events_file)
    return price_file, events_file


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-k37", action="store_true", help="leave out the 36,845-event runs")
    parser.add_argument(
        "--skip-k37-html", action="store_true", help="leave out the 36,845-event run with HTML"
    )
    parser.add_argument("--no-warm-up", action="store_true", help="time every run (no warm-up)")
    args = parser.parse_args()
    global WARM_UP
    WARM_UP = not args.no_warm_up
    cmd = _reaction()
    data = data_dir()
    figures: dict[str, float | int | None] = {}

    def note(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("REACTION_")}
        # as for a user: bytecode is cached (this machine sets PYTHONDONTWRITEBYTECODE, and
        # a checkout's changed modules would be compiled again in every timed process, about
        # 0.1-0.2 s a study; the warm-up writes the .pyc files the timed runs read)
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        base_env["COLUMNS"] = "120"

        def env_for(db: Path) -> dict[str, str]:
            return base_env | {"REACTION_DB": str(db)}

        # -- seed -----------------------------------------------------------------------------
        seed_env = env_for(tmp / "seed.duckdb")
        subprocess.run(
            [*cmd, "prices", "import", str(data / "prices_daily.csv"), str(data / "dividends.csv")],
            env=seed_env,
            cwd=tmp,
            capture_output=True,
            check=True,
        )
        subprocess.run(
            [*cmd, "factors", "import", str(data / "ff_factors_daily.csv")],
            env=seed_env,
            cwd=tmp,
            capture_output=True,
            check=True,
        )
        figures["seed_s"] = timed([*cmd, "study", "--offline"], seed_env, tmp, args.repeats)
        note(f"seed study with HTML: {figures['seed_s']:.2f} s")

        # -- 1,000 events ---------------------------------------------------------------------
        k1_prices, k1_events = k1_inputs(tmp)
        (tmp / "k1.toml").write_text(
            STUDY.format(id="bench-k1", title="1,000 synthetic events", tag="bench-k1")
        )
        k1_env = env_for(tmp / "k1.duckdb")
        imports, fresh = [], []
        for i in range(args.repeats):
            db = tmp / f"import{i}.duckdb"
            fresh.append(
                _run([*cmd, "--db", str(db), "prices", "import", str(k1_prices)], base_env, tmp)
            )
            db.unlink()
            # into a store that exists (schema and seed catalog in place, no prices yet)
            subprocess.run(
                [*cmd, "--db", str(db), "status"],
                env=base_env,
                cwd=tmp,
                capture_output=True,
                check=True,
            )
            imports.append(
                _run([*cmd, "--db", str(db), "prices", "import", str(k1_prices)], base_env, tmp)
            )
            db.unlink()
        figures["import_s"] = statistics.median(imports)
        figures["import_new_store_s"] = statistics.median(fresh)
        note(
            f"price import, {K1_SESSIONS * (K1_TICKERS + 1):,} rows: {figures['import_s']:.2f} s "
            f"into an existing store, {figures['import_new_store_s']:.2f} s creating the store"
        )
        subprocess.run(
            [*cmd, "prices", "import", str(k1_prices)],
            env=k1_env,
            cwd=tmp,
            capture_output=True,
            check=True,
        )
        subprocess.run(
            [*cmd, "events", "import", str(k1_events), "--tag", "bench-k1"],
            env=k1_env,
            cwd=tmp,
            capture_output=True,
            check=True,
        )
        study_k1 = [*cmd, "study", str(tmp / "k1.toml"), "--offline"]
        figures["k1_nohtml_s"] = timed([*study_k1, "--no-html"], k1_env, tmp, args.repeats)
        note(f"1,000 events without HTML: {figures['k1_nohtml_s']:.2f} s")
        figures["k1_s"] = timed(study_k1, k1_env, tmp, args.repeats)
        figures["k1_html_bytes"] = (tmp / "reports" / "bench-k1" / "report.html").stat().st_size
        note(
            f"1,000 events with HTML: {figures['k1_s']:.2f} s, report.html {figures['k1_html_bytes']:,} bytes"
        )

        # -- 36,845 earnings dates ------------------------------------------------------------
        if args.skip_k37:
            figures["k37_s"] = figures["k37_nohtml_s"] = None
        else:
            k37_prices, k37_events = k37_inputs(tmp)
            (tmp / "k37.toml").write_text(
                STUDY.format(
                    id="bench-k37", title="S&P 500 earnings, synthetic prices", tag="bench-k37"
                )
            )
            k37_env = env_for(tmp / "k37.duckdb")
            subprocess.run(
                [*cmd, "prices", "import", str(k37_prices)],
                env=k37_env,
                cwd=tmp,
                capture_output=True,
                check=True,
            )
            subprocess.run(
                [*cmd, "events", "import", str(k37_events), "--tag", "bench-k37"],
                env=k37_env,
                cwd=tmp,
                capture_output=True,
                check=True,
            )
            study_k37 = [*cmd, "study", str(tmp / "k37.toml"), "--offline"]
            reps = max(1, args.repeats // 2)
            figures["k37_nohtml_s"] = timed(
                [*study_k37, "--no-html"], k37_env, tmp, reps, warm_up=False
            )
            note(f"36,845 events without HTML: {figures['k37_nohtml_s']:.2f} s")
            if args.skip_k37_html:
                figures["k37_s"] = None
            else:
                figures["k37_s"] = timed(study_k37, k37_env, tmp, reps, warm_up=False)
                note(f"36,845 events with HTML: {figures['k37_s']:.2f} s")
        figures["peak_mb"] = round(_peak_mb(), 1)

    out = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items()}
    keys = (
        "seed_s",
        "k1_s",
        "k1_nohtml_s",
        "k1_html_bytes",
        "k37_s",
        "k37_nohtml_s",
        "import_s",
        "import_new_store_s",
        "peak_mb",
    )
    print(json.dumps({k: out.get(k) for k in keys}))


if __name__ == "__main__":
    main()
