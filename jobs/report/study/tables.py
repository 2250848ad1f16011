"""The report's tables as plain rows of strings, shared by the terminal, Markdown and HTML."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from jobs.report.format import num, pct, pval, stars, window_label
from jobs.report.text import TextTable

if TYPE_CHECKING:
    from jobs.runs import StudyRun


def _windows(run: StudyRun) -> list[tuple[int, int]]:
    return [tuple(w) for w in run.definition.model.windows]  # type: ignore[misc]


def per_event_table(
    run: StudyRun, benchmark: str | None = None, *, compact: bool = False
) -> TextTable:
    """Rows: observations; columns: CAR per window with t, p and marks, and BHAR over [-1,+1] or the first window."""
    bench = benchmark or run.benchmark
    res = run.results[bench]
    windows = _windows(run)
    bhar_window = (-1, 1) if (-1, 1) in windows else windows[0]
    car = {
        (r["event_id"], r["ticker"], r["start"], r["end"]): r for r in res.car.iter_rows(named=True)
    }
    lead = ["event", "ticker", "day 0"] + ([] if compact else ["status"])
    header = (
        lead
        + [f"CAR{window_label(a, b)}" for a, b in windows]
        + [f"BHAR{window_label(*bhar_window)}"]
    )
    rows = []
    for d in res.diagnostics.sort("day0", "event_id", "ticker").iter_rows(named=True):
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
    return TextTable(
        f"Abnormal returns per event ({run.definition.model.name} on {bench})",
        header,
        rows,
        ("CAR, and below it t / p. " if compact else "")
        + "CAR with its t statistic (prediction-error variance incl. estimation error) and two-sided p; "
        "*** p<0.01, ** p<0.05, * p<0.10. BHAR against the benchmark.",
    )


def moves_table(run: StudyRun) -> TextTable:
    """Day-0 gap, open-to-close and close-to-close for news before the open or after the close."""
    m = run.moves.filter(pl.col("timing").is_in(["before_open", "after_close"]))
    own = run.observations.filter(pl.col("own")).select("event_id", "ticker")
    m = m.join(own, on=["event_id", "ticker"], how="inner").sort("day0", "event_id", "ticker")
    rows = [
        [
            r["event_id"],
            r["ticker"],
            str(r["day0"]),
            r["timing"],
            pct(r["gap"]),
            pct(r["open_to_close"]),
            pct(r["close_to_close"]),
        ]
        for r in m.iter_rows(named=True)
    ]
    return TextTable(
        "Day 0: open-to-close next to close-to-close (news before the open or after the close)",
        ["event", "ticker", "day 0", "timing", "gap", "open→close", "close→close"],
        rows,
        "Price moves (no dividends). A gap that fades intraday shows in open→close.",
    )


def significance_table(run: StudyRun, benchmark: str | None = None) -> TextTable:
    """Rows: tests; columns: windows; cells: statistic (p) with marks."""
    bench = benchmark or run.benchmark
    tests = run.results[bench].tests
    windows = _windows(run)
    by = {(r["test"], r["start"], r["end"]): r for r in tests.iter_rows(named=True)}
    n_row = ["N"]
    caar_row = ["CAAR"]
    for a, b in windows:
        any_row = next(
            (r for r in tests.iter_rows(named=True) if (r["start"], r["end"]) == (a, b)), None
        )
        n_row.append(str(any_row["n"]) if any_row else "–")
        caar_row.append(pct(any_row["caar"]) if any_row else "–")
    rows = [n_row, caar_row]
    for name in run.definition.report.tests:
        cells = [name]
        for a, b in windows:
            r = by.get((name, a, b))
            if r is None or r["stat"] is None:
                cells.append(f"– ({r['note']})" if r is not None and r.get("note") else "–")
            else:
                cells.append(f"{num(r['stat'])}{stars(r['p'])} ({pval(r['p'])})")
        rows.append(cells)
    return TextTable(
        f"Cross-event tests on {bench} (statistic, two-sided p)",
        ["test"] + [window_label(a, b) for a, b in windows],
        rows,
        "See docs/statistics.md for each statistic and its reference distribution.",
    )


def benchmark_comparison_table(run: StudyRun) -> TextTable | None:
    """CAR[-1,+1] (or the first window) per observation on each benchmark, side by side."""
    if len(run.results) < 2:
        return None
    windows = _windows(run)
    w = (-1, 1) if (-1, 1) in windows else windows[0]
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
        "The same model estimated against each benchmark.",
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
    )


def all_tables(run: StudyRun, *, compact: bool = False) -> list[TextTable]:
    """Every table of the report; ``compact`` wraps t and p under each CAR (terminals)."""
    tables = [per_event_table(run, compact=compact), moves_table(run), significance_table(run)]
    comparison = benchmark_comparison_table(run)
    if comparison is not None:
        tables.append(comparison)
    tables.append(stamp_table(run))
    return tables
