"""The report's first part as text tables: the title, what is measured, the answer, the groups.

Shared by the terminal, Markdown and HTML reports (the JSON document has its own shape,
:mod:`jobs.report.study.jsondoc`). Nothing here computes a statistic: the answer rows come from
:mod:`jobs.answer`, the groups' tests from :mod:`jobs.groups` (the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import polars as pl

from backtest.names import INTERVAL_TESTS
from jobs.answer import Answer, AnswerRow, built_title
from jobs.report.format import num, pct, pval, stars, window_label
from jobs.report.text import TextTable

if TYPE_CHECKING:
    from jobs.definitions.study import ModelSpec
    from jobs.groups import GroupResult
    from jobs.runs import StudyRun

#: Rows a table shows before it shows only the rows that matter (the rest are in the files).
FULL_ROWS = 50
#: The tests a terminal shows per group without --verbose (when the study reports them).
KEY_TESTS = ("csect_t", "bmp_t", "kp_bmp_t", "bw1985_t", "grank_t")
_KIND_ORDER = {"all": 0, "explicit": 1, "own": 2, "category": 3, "day0": 4, "ticker": 5, "event": 6}


def report_title(run: StudyRun) -> str:
    """The definition's title, or one built from what is measured (ad-hoc variants)."""
    return run.definition.study.title or built_title(run.definition, run.observations)


def conventions_text(model: ModelSpec) -> str:
    """Which conventions the run used, and the resampling's size, seed and bootstrap interval."""
    what = {
        "default": "default conventions",
        "eventstudy": "eventstudy conventions (s² with ddof 0, no prediction-error term)",
        "estudy2": "estudy2 conventions (bw1985_t against N(0, 1))",
        "eventstudies": "eventstudies conventions",
    }[model.conventions]
    interval = "plain percentile" if model.conventions == "eventstudies" else "expanded percentile"
    return (
        f"{what}, {model.replications:,} resamples (seed {model.seed}); "
        f"bootstrap_ci: {interval} interval"
    )


def measured_line(run: StudyRun) -> str:
    """What the run measured, in one sentence."""
    obs = run.observations
    tickers = obs.get_column("ticker").n_unique()
    events = obs.get_column("event_id").n_unique()
    first, last = str(obs.get_column("day0").min()), str(obs.get_column("day0").max())
    d = run.definition
    ok = run.main.diagnostics.filter(pl.col("status") == "ok").height
    span = f"day 0 from {first} to {last}" if first != last else f"day 0 on {first}"
    return (
        f"Measured: {obs.height:,} observations ({ok:,} with a model fit) of {tickers:,} "
        f"ticker(s) around {events:,} event(s), {span}; {d.model.name} on {run.benchmark}, "
        f"main window {window_label(*d.main_window)}; {conventions_text(d.model)}."
    )


def _answer(run: StudyRun) -> Answer:
    if run.answer is None:
        raise ValueError("this run has no answer (it was not made by jobs.services.study)")
    return run.answer


def shown_rows(answer: Answer, limit: int | None) -> list[AnswerRow]:
    """The answer's rows, or above ``limit`` the first ``limit`` by verdict (beyond noise
    first), then q, then |t|."""
    rows = list(answer.rows)
    if limit is None or len(rows) <= limit:
        return rows
    return [rows[i] for i in answer.ranked[:limit]]


def robust_cell(row: AnswerRow) -> str:
    r = row.robust
    if r.stat is None:
        return "–"
    return f"{num(r.stat)} (N {r.n})\np {pval(r.p)}"


def answer_table(run: StudyRun, *, limit: int | None = FULL_ROWS) -> TextTable:
    """One row per (event, ticker) of the answer, over the main window."""
    answer = _answer(run)
    w = window_label(*answer.window)
    shown = shown_rows(answer, limit)
    rows = [
        [
            r.event_id,
            r.ticker,
            str(r.day0),
            pct(r.car),
            num(r.t),
            pval(r.p),
            pval(r.q),
            robust_cell(r),
            r.verdict,
        ]
        for r in shown
    ]
    notes = [answer.family + "."]
    notes.append(
        f"{answer.robust_test}: the clustering-robust test of all the event's observations "
        f"together over {w} (they share day 0; N of them), from the event's group."
    )
    missing = sorted({r.robust.note for r in shown if r.robust.stat is None and r.robust.note})
    if missing:
        notes.append(f"–: {'; '.join(missing)}.")
    if answer.fallback:
        notes.append("The answer's filters matched no observation, so every one is listed.")
    hidden = len(answer.rows) - len(shown)
    if hidden > 0:
        notes.append(
            f"{len(shown)} of {len(answer.rows):,} rows shown (beyond noise first, then by q and "
            "|t|); "
            "every row is in answer.csv and study.json."
        )
    c = answer.counts()
    notes.append(
        f"Verdicts: {c['beyond_noise']} beyond noise, {c['noise']} not distinguishable from "
        f"noise, {c['confounded']} confounded, {c['not_measured']} not measured."
    )
    return TextTable(
        f"Answer: CAR{w} per event and ticker ({run.definition.model.name} on {run.benchmark})",
        ["event", "ticker", "day 0", f"CAR{w}", "t", "p", "q", answer.robust_test, "verdict"],
        rows,
        " ".join(notes),
        wrap=(7, 8),
        labels=2,
    )


def _test_cell(r: dict[str, object] | None) -> str:
    if r is None:
        return "–"
    if r.get("stat") is None:
        return "–"
    if r.get("test") in INTERVAL_TESTS:  # the point estimate and its 95% interval
        if r.get("ci_low") is None or r.get("ci_high") is None:
            return f"{pct(r['stat'])}\nno 95% CI"
        return f"{pct(r['stat'])}\n[{pct(r['ci_low'], 1)}, {pct(r['ci_high'], 1)}]"
    if r.get("p") is None:
        return num(r["stat"])
    return f"{num(r['stat'])}{stars(r['p'])}\np {pval(r['p'])}"


def _by_test(tests: pl.DataFrame, start: int, end: int) -> dict[str, dict[str, object]]:
    sub = tests.filter((pl.col("start") == start) & (pl.col("end") == end))
    return {str(r["test"]): r for r in sub.iter_rows(named=True)}


def marks_note(cells: Sequence[str], what: str) -> str:
    """How many cells carry a mark at p < 0.10, against how many chance alone would give."""
    marked = sum(1 for c in cells if "*" in c.split("\n")[0])
    total = sum(1 for c in cells if c not in ("–", ""))
    if not total:
        return ""
    return (
        f"*** p<0.01, ** p<0.05, * p<0.10, per test and not adjusted for multiple testing: "
        f"{marked} of the {total} {what} shown carry a mark, where chance alone would mark "
        f"about {total / 10:.0f}."
    )


def display_groups(run: StudyRun) -> list[GroupResult]:
    """The groups in reading order: all, the explicit ones, own vs peers, categories, days 0,
    tickers, then events (the answer's first, by day 0)."""
    focus = {r.event_id: i for i, r in enumerate(run.answer.rows)} if run.answer else {}

    def key(ig: tuple[int, GroupResult]) -> tuple[int, int, int]:
        i, g = ig
        event = g.id.split(":", 1)[1] if g.kind == "event" else ""
        return (_KIND_ORDER.get(g.kind, 9), 0 if event in focus else 1, i)

    return [g for _, g in sorted(enumerate(run.groups), key=key)]


def groups_table(
    run: StudyRun,
    *,
    tests: Sequence[str] | None = None,
    limit: int | None = FULL_ROWS,
    titles: bool = True,
) -> TextTable:
    """Each group over the main window: N, duplicates merged, CAAR and the tests.

    ``titles``: the event groups' labels carry the event's title (else only the explicit
    groups are described, for narrow terminals).
    """
    window = run.definition.main_window
    names = [t for t in (tests or run.definition.report.tests) if t in run.definition.report.tests]
    groups = display_groups(run)
    shown = groups if limit is None else groups[:limit]
    rows, cells = [], []
    for g in shown:
        by = _by_test(g.tests, *window)
        first = next(iter(by.values()), None)
        values = [_test_cell(by.get(t)) for t in names]
        cells.extend(values)
        rows.append(
            [
                g.id,
                f"{g.n:,}",
                f"{g.n_duplicates_merged:,}",
                pct(first.get("caar")) if first else "–",
                *values,
                g.label if titles or g.kind in ("all", "explicit", "own") else "",
            ]
        )
    note = [
        "N: observations in the group, each (ticker, day 0) once; merged: duplicates counted once.",
        marks_note(cells, "tests"),
    ]
    if len(shown) < len(groups):
        note.append(f"{len(shown)} of {len(groups):,} groups shown; all are in study.json.")
    return TextTable(
        f"Groups over {window_label(*window)}: cross-event tests (statistic, p)",
        ["group", "N", "merged", "CAAR", *names, "what"],
        rows,
        " ".join(n for n in note if n),
        wrap=(4 + len(names),),
        labels=1,
    )


def _once(
    run: StudyRun, group: GroupResult, build: Callable[[StudyRun, GroupResult], TextTable]
) -> TextTable:
    """``build(run, group)``, built once per run and group: the terminal, Markdown and HTML
    reports all show the same group tables."""
    key = (build.__name__, group.id)
    if key not in run.tables:
        run.tables[key] = build(run, group)
    table: TextTable = run.tables[key]
    return table


def group_tests_table(run: StudyRun, group: GroupResult) -> TextTable:
    """One group's tests (rows) over the study's windows (columns)."""
    return _once(run, group, _group_tests_table)


def _group_tests_table(run: StudyRun, group: GroupResult) -> TextTable:
    windows = [(int(a), int(b)) for a, b in run.definition.model.windows]
    by_w = {w: _by_test(group.tests, *w) for w in windows}
    n_row, caar_row = ["N"], ["CAAR"]
    for w in windows:
        first = next(iter(by_w[w].values()), None)
        n_row.append(str(first["n"]) if first else "–")
        caar_row.append(pct(first["caar"]) if first else "–")
    rows, cells = [n_row, caar_row], []
    for name in run.definition.report.tests:
        values = [_test_cell(by_w[w].get(name)) for w in windows]
        cells.extend(values)
        rows.append([name, *values])
    return TextTable(
        f"{group.id}: cross-event tests per window (N = {group.n:,}, "
        f"{group.n_duplicates_merged:,} duplicate(s) merged)",
        ["test", *(window_label(*w) for w in windows)],
        rows,
        " ".join(
            n
            for n in (
                group.label + ".",
                marks_note(cells, "tests"),
                "docs/statistics.md defines each test and its reference distribution.",
            )
            if n
        ),
        labels=1,
    )


def daily_table(run: StudyRun, group: GroupResult) -> TextTable:
    """One group's AAR, CAAR and the tests of each event day."""
    return _once(run, group, _daily_table)


def _daily_table(run: StudyRun, group: GroupResult) -> TextTable:
    daily = group.daily
    names = [t for t in run.definition.report.tests if t in set(daily.get_column("test"))]
    if not names:
        names = sorted(set(daily.get_column("test").drop_nulls()))
    rows, cells = [], []
    for (rel_day,), part in daily.group_by(["rel_day"], maintain_order=True):
        first = part.row(0, named=True)
        by = {str(r["test"]): r for r in part.iter_rows(named=True)}
        values = [_test_cell(by.get(t)) for t in names]
        cells.extend(values)
        rows.append(
            [f"{int(rel_day):+d}", str(first["n"]), pct(first["aar"]), pct(first["caar"]), *values]
        )
    note = [marks_note(cells, "daily tests")]
    if group.daily_note:
        note.append(group.daily_note[0].upper() + group.daily_note[1:] + ".")
    return TextTable(
        f"{group.id}: AAR, CAAR and tests per event day",
        ["day", "N", "AAR", "CAAR", *names],
        rows,
        " ".join(n for n in note if n),
        labels=1,
    )


def full_groups(run: StudyRun, limit: int = 12) -> list[GroupResult]:
    """The groups whose tables are printed in full: every one when few, else ``all`` and the
    explicit groups, then the others in order up to ``limit``."""
    groups = display_groups(run)
    first = [g for g in groups if g.kind in ("all", "explicit")]
    return groups[: max(limit, len(first))]
