"""The report's tables as plain rows of strings, shared by the terminal, Markdown and HTML."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from jobs.report.format import num, pct, pval, stars, window_label
from jobs.report.text import TextTable

if TYPE_CHECKING:
    from jobs.runs import StudyRun


def _windows(run: StudyRun) -> list[tuple[int, int]]:
    return [tuple(w) for w in run.definition.model.windows]  # type: ignore[misc]


def shown_observations(run: StudyRun, limit: int | None) -> pl.DataFrame | None:
    """``event_id, ticker`` of the observations a compact table shows (None: all of them).

    Above ``limit`` observations: the answer's, then the largest |t| over the main window.
    """
    from jobs.report.study.answer import shown_rows

    diag = run.main.diagnostics
    if limit is None or diag.height <= limit:
        return None
    a, b = run.definition.main_window
    answer = pl.DataFrame(
        [(r.event_id, r.ticker) for r in (shown_rows(run.answer, limit) if run.answer else ())],
        schema={"event_id": pl.String, "ticker": pl.String},
        orient="row",
    )
    rest = (
        run.main.car.filter((pl.col("start") == a) & (pl.col("end") == b))
        .join(answer, on=["event_id", "ticker"], how="anti")
        .sort(pl.col("car_t").abs(), descending=True, nulls_last=True)
        .select("event_id", "ticker")
        .head(max(0, limit - answer.height))
    )
    shown: pl.DataFrame = pl.concat([answer, rest])
    return shown


def hidden_note(run: StudyRun, shown: pl.DataFrame | None) -> str:
    if shown is None:
        return ""
    return (
        f" Showing {shown.height} of {run.main.diagnostics.height:,} observations (the answer's, "
        f"then the largest |t| over {window_label(*run.definition.main_window)}); every one is in "
        "cars.csv / cars.parquet, and 'reaction study show EVENT' prints one event."
    )


_COMPUTE: Any = object()  # "work out the shown observations from limit"


def per_event_table(
    run: StudyRun,
    benchmark: str | None = None,
    *,
    compact: bool = False,
    limit: int | None = None,
    shown: Any = _COMPUTE,
) -> TextTable:
    """Rows: observations; columns: CAR per window with t, p and marks, and BHAR over [-1,+1] or the first window."""
    from jobs.report.study.answer import marks_note

    bench = benchmark or run.benchmark
    res = run.results[bench]
    windows = _windows(run)
    bhar_window = (-1, 1) if (-1, 1) in windows else windows[0]
    if shown is _COMPUTE:
        shown = shown_observations(run, limit)
    car_frame = res.car
    diag = res.diagnostics
    if shown is not None:
        car_frame = car_frame.join(shown, on=["event_id", "ticker"], how="semi")
        diag = diag.join(shown, on=["event_id", "ticker"], how="semi")
    car = {
        (r["event_id"], r["ticker"], r["start"], r["end"]): r
        for r in car_frame.iter_rows(named=True)
    }
    lead = ["event", "ticker", "day 0"] + ([] if compact else ["status"])
    header = (
        lead
        + [f"CAR{window_label(a, b)}" for a, b in windows]
        + [f"BHAR{window_label(*bhar_window)}"]
    )
    rows = []
    for d in diag.sort("day0", "event_id", "ticker").iter_rows(named=True):
        cells = [d["event_id"], d["ticker"], str(d["day0"])] + ([] if compact else [d["status"]])
        for a, b in windows:
            c = car.get((d["event_id"], d["ticker"], a, b))
            if c is None or c["status"] != "ok":
                cells.append((c["status"] if c else d["status"]).replace("_", " "))
            elif compact:
                cells.append(
                    f"{pct(c['car'])}{stars(c['car_p'])}\n{num(c['car_t'])} / {pval(c['car_p'])}"
                )
            else:
                cells.append(
                    f"{pct(c['car'])}{stars(c['car_p'])} (t {num(c['car_t'])}, p {pval(c['car_p'])})"
                )
        c = car.get((d["event_id"], d["ticker"], *bhar_window))
        cells.append(pct(c["bhar"]) if c else "–")
        rows.append(cells)
    marked = [
        ("*" if r["car_p"] is not None and r["car_p"] < 0.10 else "x")
        for r in car_frame.filter(pl.col("status") == "ok").iter_rows(named=True)
    ]
    return TextTable(
        f"Abnormal returns per event ({run.definition.model.name} on {bench})",
        header,
        rows,
        ("CAR, and below it t / p. " if compact else "")
        + "CAR with its t statistic (prediction-error variance incl. estimation error) and "
        "two-sided p. BHAR against the benchmark. "
        + marks_note(marked, "window tests")
        + hidden_note(run, shown),
    )


def moves_table(
    run: StudyRun, *, limit: int | None = None, shown: Any = _COMPUTE
) -> TextTable | None:
    """Day-0 gap, open-to-close and close-to-close of each event's own tickers (None: no rows).

    For news before the open or after the close the gap is the first reaction and open→close
    shows whether it held; for news during the session open→close holds the reaction.
    """
    own = run.observations.filter(pl.col("own")).select("event_id", "ticker")
    m = run.moves.join(own, on=["event_id", "ticker"], how="inner").sort(
        "day0", "event_id", "ticker"
    )
    if shown is _COMPUTE:
        shown = shown_observations(run, limit)
    if shown is not None:
        m = m.join(shown, on=["event_id", "ticker"], how="semi")
    if m.height == 0:
        return None
    rows = [
        [
            r["event_id"],
            r["ticker"],
            str(r["day0"]),
            str(r["timing"]).replace("_", " "),
            pct(r["gap"]),
            pct(r["open_to_close"]),
            pct(r["close_to_close"]),
        ]
        for r in m.iter_rows(named=True)
    ]
    return TextTable(
        "Day 0: gap, open-to-close and close-to-close of each event's own tickers",
        ["event", "ticker", "day 0", "timing", "gap", "open→close", "close→close"],
        rows,
        "Price moves (no dividends). News before the open or after the close: the gap is the "
        "first reaction and open→close shows whether it held. News during the session: "
        "open→close holds the reaction." + hidden_note(run, shown),
    )


def benchmark_comparison_table(
    run: StudyRun, *, limit: int | None = None, shown: Any = _COMPUTE
) -> TextTable | None:
    """The main window's CAR per observation on each benchmark, side by side."""
    if len(run.results) < 2:
        return None
    w = run.definition.main_window
    benches = list(run.results)
    frames = []
    for b in benches:
        c = run.results[b].car.filter((pl.col("start") == w[0]) & (pl.col("end") == w[1]))
        frames.append(
            c.select(
                "event_id",
                "ticker",
                pl.col("car").alias(f"car_{b}"),
                pl.col("car_t").alias(f"t_{b}"),
                pl.col("car_p").alias(f"p_{b}"),
            )
        )
    joined = frames[0]
    for f in frames[1:]:
        joined = joined.join(f, on=["event_id", "ticker"], how="full", coalesce=True)
    order = run.results[benches[0]].diagnostics.select("event_id", "ticker", "day0")
    joined = order.join(joined, on=["event_id", "ticker"], how="left").sort(
        "day0", "event_id", "ticker"
    )
    if shown is _COMPUTE:
        shown = shown_observations(run, limit)
    if shown is not None:
        joined = joined.join(shown, on=["event_id", "ticker"], how="semi")
    rows = []
    for r in joined.iter_rows(named=True):
        rows.append(
            [r["event_id"], r["ticker"]]
            + [f"{pct(r[f'car_{b}'])}{stars(r[f'p_{b}'])} (t {num(r[f't_{b}'])})" for b in benches]
        )
    return TextTable(
        f"CAR{window_label(*w)} by benchmark",
        ["event", "ticker", *benches],
        rows,
        "The same model estimated against each benchmark." + hidden_note(run, shown),
        labels=2,
    )


def stamp_table(run: StudyRun) -> TextTable:
    rows = [
        [
            s["ticker"],
            str(s.get("first_used")),
            str(s.get("last_used")),
            str(s.get("rows")),
            str(s.get("source")),
            str(s.get("loaded_at")),
        ]
        for s in run.stamp
    ]
    return TextTable(
        "Data used",
        ["ticker", "first", "last", "rows", "source", "loaded"],
        rows,
        f"run {run.run_id}; inputs hash {run.input_hash}; market-reaction {run.package_version}",
        labels=1,
    )


def detail_tables(
    run: StudyRun, *, compact: bool = False, limit: int | None = None
) -> list[TextTable]:
    """The per-observation tables: CARs per window, day-0 moves, benchmarks side by side.

    ``compact`` puts t and p under each CAR (terminals, HTML); above ``limit`` observations
    only the answer's and the largest |t| are shown (the files hold every one).
    """
    shown = shown_observations(run, limit)
    tables = [per_event_table(run, compact=compact, shown=shown)]
    for extra in (moves_table(run, shown=shown), benchmark_comparison_table(run, shown=shown)):
        if extra is not None:
            tables.append(extra)
    return tables
