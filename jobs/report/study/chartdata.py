"""The numbers behind a run's charts, prepared once per run (never once per event).

One sort of the engine's ``car_path`` frame, its columns converted once and cut at each
observation, gives every observation's CAR path; one join of the prices onto a grid of
(observation, session offset), cut the same way, gives every price panel. Both the HTML report's SVG charts and the notebook's matplotlib figures draw from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from jobs.report.format import is_number

if TYPE_CHECKING:
    from jobs.runs import StudyRun

Z95 = 1.959963984540054
PRICE_SPAN = 10  # sessions either side of day 0 in the price panel

Key = tuple[str, str]  # (event_id, ticker)


@dataclass(frozen=True)
class Path:
    """One observation's CAR path in percent with its 95% band."""

    rel: np.ndarray
    car: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


@dataclass(frozen=True)
class PricePanel:
    """One observation's close and the benchmark's, rebased to 100 on day -1."""

    rel: np.ndarray
    ticker: np.ndarray
    bench: np.ndarray


@dataclass(frozen=True)
class ChartData:
    benchmark: str
    model: str
    paths: dict[Key, Path] = field(default_factory=dict)
    prices: dict[Key, PricePanel] = field(default_factory=dict)
    tickers: dict[str, list[str]] = field(default_factory=dict)  # per event, own tickers first
    day0: dict[str, str] = field(default_factory=dict)


def _floats(frame: pl.DataFrame, column: str) -> np.ndarray:
    return frame.get_column(column).cast(pl.Float64).fill_null(float("nan")).to_numpy()


def _runs(frame: pl.DataFrame) -> list[tuple[Key, slice]]:
    """Each (event_id, ticker) of ``frame`` (sorted by them) with the slice of its rows: the
    columns are then converted once and cut, not partitioned into a frame per observation."""
    if frame.height == 0:
        return []
    event, ticker = frame.get_column("event_id"), frame.get_column("ticker")
    new = ((event != event.shift(1)) | (ticker != ticker.shift(1))).fill_null(True)
    starts = np.flatnonzero(new.to_numpy())
    ends = [*starts[1:].tolist(), frame.height]
    keys = zip(event.gather(starts).to_list(), ticker.gather(starts).to_list(), strict=True)
    return [
        ((str(e), str(t)), slice(a, b))
        for (e, t), a, b in zip(keys, starts.tolist(), ends, strict=True)
    ]


def _paths(car_path: pl.DataFrame) -> dict[Key, Path]:
    frame = car_path.sort("event_id", "ticker", "rel_day")
    rel = frame.get_column("rel_day").to_numpy()
    car = _floats(frame, "car") * 100
    sd = np.sqrt(_floats(frame, "var_car")) * 100
    lo, hi = car - Z95 * sd, car + Z95 * sd
    return {key: Path(rel[at], car[at], lo[at], hi[at]) for key, at in _runs(frame)}


def _prices(px: pl.DataFrame, observations: pl.DataFrame, bench: str) -> dict[Key, PricePanel]:
    if px.height == 0:
        return {}
    wanted = [*observations.get_column("ticker").unique().to_list(), bench]
    px = px.filter(pl.col("ticker").is_in(wanted))
    sessions = (
        px.filter(pl.col("ticker") == bench)
        .select("date")
        .unique()
        .sort("date")
        .with_row_index("i")
        .with_columns(pl.col("i").cast(pl.Int64))
    )
    obs = observations.select("event_id", "ticker", "day0").join(
        sessions.rename({"date": "day0", "i": "i0"}), on="day0", how="inner"
    )
    offsets = pl.DataFrame({"k": np.arange(-PRICE_SPAN, PRICE_SPAN + 1, dtype=np.int64)})
    closes = px.select("ticker", "date", "close")
    grid = (
        obs.join(offsets, how="cross")
        .with_columns((pl.col("i0") + pl.col("k")).alias("i"))
        .join(sessions, on="i", how="inner")
        .join(closes, on=["ticker", "date"], how="left")
        .join(
            closes.filter(pl.col("ticker") == bench).select(
                "date", pl.col("close").alias("bench_close")
            ),
            on="date",
            how="left",
        )
    )
    base = grid.filter(pl.col("k") == -1).select(
        "event_id",
        "ticker",
        pl.col("close").alias("base"),
        pl.col("bench_close").alias("bench_base"),
    )
    grid = (
        grid.join(base, on=["event_id", "ticker"], how="inner")
        .with_columns(
            (pl.col("close") / pl.col("base") * 100).alias("t_idx"),
            (pl.col("bench_close") / pl.col("bench_base") * 100).alias("b_idx"),
        )
        .sort("event_id", "ticker", "k")
    )
    k = grid.get_column("k").to_numpy()
    t_idx, b_idx = _floats(grid, "t_idx"), _floats(grid, "b_idx")
    return {key: PricePanel(k[at], t_idx[at], b_idx[at]) for key, at in _runs(grid)}


def chart_data(run: StudyRun, events: list[str] | None = None) -> ChartData:
    """Paths and price panels of ``events`` (default: every event) on the main benchmark."""
    bench = run.benchmark
    obs = run.observations
    path = run.main.car_path
    if events is not None:
        wanted = list(events)
        obs = obs.filter(pl.col("event_id").is_in(wanted))
        path = path.filter(pl.col("event_id").is_in(wanted))
    tickers: dict[str, list[str]] = {}
    day0: dict[str, str] = {}
    ordered = obs.sort(pl.col("own").cast(pl.Int8), descending=True, maintain_order=True)
    for event_id, ticker, d in ordered.select("event_id", "ticker", "day0").iter_rows():
        tickers.setdefault(event_id, []).append(ticker)
        day0.setdefault(event_id, str(d))
    return ChartData(
        benchmark=bench,
        model=run.definition.model.name,
        paths=_paths(path),
        prices=_prices(run.prices, obs, bench),
        tickers=tickers,
        day0=day0,
    )


@dataclass(frozen=True)
class Daily:
    """AAR with its 95% band, and CAAR with a band from the cross-section of CAR paths."""

    rel: np.ndarray
    aar: np.ndarray
    aar_lo: np.ndarray
    aar_hi: np.ndarray
    caar_rel: np.ndarray
    caar: np.ndarray
    caar_lo: np.ndarray
    caar_hi: np.ndarray


def daily_series(aar: pl.DataFrame, car_path: pl.DataFrame) -> Daily:
    """From an ``aar`` frame (``rel_day, aar, t``) and the members' CAR paths, in percent."""
    a = aar.sort("rel_day")
    val = _floats(a, "aar") * 100
    t = _floats(a, "t")
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(np.isfinite(t) & (t != 0), np.abs(val / t), np.nan)
    stats = (
        car_path.filter(pl.col("car").is_not_null())
        .group_by("rel_day")
        .agg(pl.col("car").mean().alias("m"), pl.col("car").std().alias("s"), pl.len().alias("n"))
        .sort("rel_day")
    )
    m = _floats(stats, "m") * 100
    s = _floats(stats, "s") * 100
    n = _floats(stats, "n")
    band = Z95 * s / np.sqrt(n)
    return Daily(
        a.get_column("rel_day").to_numpy(),
        val,
        val - Z95 * se,
        val + Z95 * se,
        stats.get_column("rel_day").to_numpy(),
        m,
        m - band,
        m + band,
    )


def informative_events(run: StudyRun, limit: int, exclude: set[str]) -> list[str]:
    """The ``limit`` events (outside ``exclude``) with the largest |t| over the main window."""
    if limit <= 0:
        return []
    a, b = run.definition.main_window
    ranked = (
        run.main.car.filter(
            (pl.col("start") == a) & (pl.col("end") == b) & pl.col("car_t").is_not_null()
        )
        .filter(~pl.col("event_id").is_in(list(exclude)))
        .group_by("event_id")
        .agg(pl.col("car_t").abs().max().alias("m"))
        .sort("m", "event_id", descending=[True, False])
        .head(limit)
    )
    return [e for e, m in ranked.iter_rows() if is_number(m)]
