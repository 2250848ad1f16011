"""``reaction study show EVENT``: one event of a report folder in full, in the terminal.

Every event of a study is reachable this way, whether or not the report gave it a chart or a
row: the folder's Parquet files (written by :mod:`jobs.report.study.files`) hold every
observation, window and day.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from rich.text import Text

from jobs.errors import UsageError
from jobs.report.format import num, pct, pval, stars, window_label
from jobs.report.layout import print_table
from jobs.report.text import TextTable

if TYPE_CHECKING:
    from rich.console import Console


def _read(folder: Path, name: str) -> pl.DataFrame:
    path = folder / f"{name}.parquet"
    if not path.is_file():
        raise UsageError(
            f"{path} not found: run the study first ('reaction study', or with --out), "
            "or name the report folder with --out"
        )
    return pl.read_parquet(path)


def event_tables(folder: Path, event_id: str, benchmark: str | None = None) -> list[TextTable]:
    """The event's observations (fit and confounders), CARs per window and ARs per day."""
    diag = _read(folder, "event_diagnostics")
    bench = benchmark or (str(diag.item(0, "benchmark")) if diag.height else None)
    mine = diag.filter((pl.col("event_id") == event_id) & (pl.col("benchmark") == bench))
    if mine.height == 0:
        known = diag.get_column("event_id").unique().sort().head(8).to_list()
        raise UsageError(
            f"no event {event_id!r} on benchmark {bench} in {folder} (events there: "
            f"{', '.join(known)}{', ...' if diag.get_column('event_id').n_unique() > 8 else ''})"
        )
    run_id = str(mine.item(0, "run_id"))
    mine = mine.sort(pl.col("own").cast(pl.Int8), "ticker", descending=[True, False])
    tickers = mine.get_column("ticker").to_list()
    fit_rows = [
        [
            r["ticker"],
            "yes" if r["own"] else "no",
            str(r["day0"]),
            str(r["status"]).replace("_", " "),
            num(r["alpha"], 5),
            num(r["beta"]),
            num(r["r2"]),
            pct(r["sigma"]),
            str(r["n_est"] if r["n_est"] is not None else "–"),
            pct(r["gap"]),
            pct(r["open_to_close"]),
            pct(r["close_to_close"]),
            ", ".join(r["confounded_by"] or []) or "–",
        ]
        for r in mine.iter_rows(named=True)
    ]
    cars = (
        _read(folder, "cars")
        .filter((pl.col("event_id") == event_id) & (pl.col("benchmark") == bench))
        .sort("start", "end")
    )
    windows = cars.select("start", "end").unique(maintain_order=True).rows()
    by = {(r["ticker"], r["start"], r["end"]): r for r in cars.iter_rows(named=True)}
    car_rows = []
    for t in tickers:
        cells = [t]
        for a, b in windows:
            c = by.get((t, a, b))
            if c is None or c["car"] is None:
                cells.append(str(c["status"]).replace("_", " ") if c else "–")
            else:
                cells.append(
                    f"{pct(c['car'])}{stars(c['car_p'])}\n{num(c['car_t'])} / {pval(c['car_p'])}"
                )
        car_rows.append(cells)
    ar = (
        _read(folder, "abnormal_returns")
        .filter((pl.col("event_id") == event_id) & (pl.col("benchmark") == bench))
        .sort("rel_day")
    )
    by_day = {(r["ticker"], r["rel_day"]): r for r in ar.iter_rows(named=True)}
    days = sorted(set(ar.get_column("rel_day").to_list()))
    ar_rows = []
    for d in days:
        cells = [f"{d:+d}"]
        for t in tickers:
            r = by_day.get((t, d))
            cells.append(
                "–"
                if r is None or r["ar"] is None
                else f"{pct(r['ar'])}{stars(r['p'])}\nt {num(r['t'])}"
            )
        ar_rows.append(cells)
    return [
        TextTable(
            f"{event_id}: observations (run {run_id}, benchmark {bench})",
            [
                "ticker",
                "own",
                "day 0",
                "status",
                "alpha",
                "beta",
                "R²",
                "σ",
                "n est",
                "gap",
                "open→close",
                "close→close",
                "confounded by",
            ],
            fit_rows,
            "σ: residual standard deviation per day; gap, open→close, close→close: day-0 price moves.",
            wrap=(12,),
            labels=1,
        ),
        TextTable(
            f"{event_id}: CAR per window",
            ["ticker", *(f"CAR{window_label(a, b)}" for a, b in windows)],
            car_rows,
            "CAR, and below it t / p (two-sided). *** p<0.01, ** p<0.05, * p<0.10, not adjusted "
            "for multiple testing.",
            labels=1,
        ),
        TextTable(
            f"{event_id}: abnormal return per day",
            ["day", *tickers],
            ar_rows,
            "AR and its t (prediction-error variance).",
            labels=1,
        ),
    ]


def print_event(
    folder: Path, event_id: str, console: Console, *, benchmark: str | None = None
) -> None:
    for table in event_tables(folder, event_id, benchmark):
        print_table(console, table)
    console.print(Text(f"from {folder}/"), style="dim", highlight=False)
