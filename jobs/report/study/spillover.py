"""The spillover section of the reports: the answer's sentences, the matrix, the role tests.

One set of :class:`~jobs.report.text.TextTable` objects, rendered by the terminal, Markdown and
HTML reports (the HTML adds the heat map, :mod:`jobs.report.study.heatmap`), and the JSON keys
``matrix``, ``roles`` and ``spillover`` (docs/study-json.md).

Matrix cells read ``+28.6 D*``: the CAR over the main window in percent, the role's letter
(D counterparty, S other partner, P peer, O other) and ``*`` when the cell is beyond noise
(q ≤ the answer's fdr, no other event in the window) or ``c`` when another event falls in the
window. The controls' columns hold their own compounded return over the same window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from jobs.report.format import num, pct, pval, window_label
from jobs.report.study.spillcells import (
    LETTER,
    ROLE_ORDER,
    ROLE_TESTS,
    beyond,
    cell_mark,
    ticker_order,
)
from jobs.report.text import TextTable, md_escape, table_html, table_markdown

if TYPE_CHECKING:
    from jobs.runs import StudyRun
    from jobs.spillover.result import Spillover


def _cell_text(cell: dict[str, Any] | None, fdr: float) -> str:
    if cell is None:
        return ""
    letter = LETTER.get(cell["role"], "?")
    if cell["status"] != "ok" or cell["car"] is None:
        return f"n/a {letter}"
    return f"{100 * cell['car']:+.1f} {letter}{cell_mark(cell, fdr)}"


def matrix_table(run: StudyRun, benchmark: str | None = None) -> TextTable:
    """Events (rows) x tickers (columns), then the controls' own moves."""
    s = _sp(run)
    bench = benchmark or run.benchmark
    m = s.matrix[bench]
    tickers = ticker_order(s)
    by = {(r["event_id"], r["ticker"]): r for r in m.iter_rows(named=True)}
    controls = {
        (r["event_id"], r["ticker"]): r["window_ret"] for r in s.controls.iter_rows(named=True)
    }
    events = m.get_column("event_id").unique(maintain_order=True).to_list()
    rows = []
    for event_id in events:
        cells = [_cell_text(by.get((event_id, t)), s.fdr) for t in tickers]
        market = [pct(controls.get((event_id, t)), 1).removesuffix("%") for t in s.controls_tickers]
        rows.append([event_id, *cells, *market])
    n_cells = m.filter(pl.col("q").is_not_null()).height
    note = (
        f"CAR{window_label(*s.window)} in % ({run.definition.model.name} on {bench}); "
        "D counterparty, S other partner, P peer, O other; "
        f"* beyond noise (q ≤ {s.fdr:g}, Benjamini-Hochberg over the {n_cells} cells with a "
        "p-value), c another event in the window; "
        f"{', '.join(s.controls_tickers)}: their own return over the window, in %"
    )
    return TextTable(
        f"Spillover matrix: CAR{window_label(*s.window)} per event and ticker ({bench})",
        ["event", *tickers, *(f"{t} mkt" for t in s.controls_tickers)],
        rows,
        note,
        labels=1,
    )


def cells_table(run: StudyRun) -> TextTable:
    """One row per cell: role, CAR, t, p, q and what the cell says."""
    s = _sp(run)
    rows = []
    for r in s.main_matrix.iter_rows(named=True):
        if r["status"] != "ok":
            says = f"not measured ({r['status'].replace('_', ' ')})"
        elif r["confounded_by"]:
            says = "confounded by " + ", ".join(r["confounded_by"])
        else:
            says = "beyond noise" if beyond(r, s.fdr) else "noise"
        rows.append(
            [
                r["event_id"],
                r["ticker"],
                r["role"],
                pct(r["car"]),
                num(r["t"]),
                pval(r["p"]),
                pval(r["q"]),
                says,
            ]
        )
    return TextTable(
        f"Spillover cells: CAR{window_label(*s.window)} with t, p and q ({run.benchmark})",
        ["event", "ticker", "role", "CAR", "t", "p", "q", "says"],
        rows,
        "q: Benjamini-Hochberg over every cell of the matrix with a p-value",
        wrap=(7,),
        labels=3,
    )


def _stat(row: dict[str, Any] | None) -> str:
    if row is None or row.get("stat") is None:
        return "–"
    return f"{row['stat']:.2f} ({pval(row['p'])})"


def roles_table(run: StudyRun) -> TextTable:
    """Per role and window: N, CAAR and the tests, the calendar-time portfolio last."""
    from jobs.spillover.frames import role_tests_frame

    s = _sp(run)
    tests = role_tests_frame(s)
    by = {(r["role"], r["start"], r["end"], r["test"]): r for r in tests.iter_rows(named=True)}
    rows = []
    windows = [(int(a), int(b)) for a, b in run.definition.model.windows]
    windows.sort(key=lambda w: w != s.window)  # the main window first
    for role in ROLE_ORDER:
        for a, b in windows:
            first = by.get((role, a, b, "bw1985_t")) or by.get((role, a, b, "csect_t"))
            if first is None:
                continue
            cal = by.get((role, a, b, "calendar_time_t"))
            rows.append(
                [
                    role,
                    window_label(a, b),
                    str(first["n"]),
                    pct(first["caar"]),
                    *[_stat(by.get((role, a, b, t))) for t in ROLE_TESTS[:-1]],
                    _stat(cal),
                    pct(cal["caar"]) if cal else "–",
                ]
            )
    return TextTable(
        "Per-role tests across events (statistic, two-sided p)",
        ["role", "window", "N", "CAAR", *ROLE_TESTS, "portfolio CAR"],
        rows,
        "bw1985_t and kp_bmp_t allow for the same-day clustering of an event's tickers; "
        "calendar_time_t: one equal-weighted portfolio per event and role, t = Σ CAR_p / "
        "sqrt(Σ Var(CAR_p)) from the portfolios' own estimation-window variance (portfolio "
        "CAR: their mean); docs/statistics.md",
        labels=2,
    )


def portfolios_table(run: StudyRun) -> TextTable:
    s = _sp(run)
    p = s.portfolios.filter((pl.col("start") == s.window[0]) & (pl.col("end") == s.window[1]))
    rows = [
        [
            r["role"],
            r["event_id"],
            str(r["n_members"]),
            r["members"],
            pct(r["car"]),
            num(r["t"]),
            pval(r["p"]),
        ]
        for r in p.iter_rows(named=True)
    ]
    return TextTable(
        f"Calendar-time portfolios per role and event: CAR{window_label(*s.window)}",
        ["role", "event", "n", "members", "CAR", "t", "p"],
        rows,
        wrap=(3,),
        labels=2,
    )


def _sp(run: StudyRun) -> Spillover:
    if run.spillover is None:
        raise ValueError(f"study {run.definition.study.id!r} has no [roles]")
    return run.spillover


# -- the formats --------------------------------------------------------------------------------


def print_spillover(run: StudyRun, console: Any, *, verbose: bool = False) -> None:
    """The terminal section: the sentences, the matrix and the role tests."""
    import textwrap

    from rich.text import Text

    from jobs.report.layout import print_table

    s = _sp(run)
    console.print(Text("Spillover answer", style="bold"), markup=False)

    for sentence in s.sentences:
        for line in textwrap.wrap(
            sentence,
            max(20, console.width),
            initial_indent="  - ",
            subsequent_indent="    ",
            break_on_hyphens=False,
        ):
            console.print(Text(line, no_wrap=True), highlight=False, emoji=False, markup=False)
    print_table(console, matrix_table(run))
    print_table(console, roles_table(run))
    if verbose:
        print_table(console, cells_table(run))
        print_table(console, portfolios_table(run))


def spillover_markdown(run: StudyRun) -> list[str]:
    """The Markdown section (a list of lines)."""
    s = _sp(run)
    out = ["## Spillover", ""]
    out += [f"- {md_escape(x)}" for x in s.sentences]
    out.append("")
    for table in (
        matrix_table(run),
        roles_table(run),
        cells_table(run),
        portfolios_table(run),
    ):
        out += [table_markdown(table), ""]
    return out


def spillover_html(run: StudyRun) -> str:
    """The HTML section: the sentences, the heat map, the tables."""
    import html

    from jobs.report.study.heatmap import heatmap_svg

    s = _sp(run)
    parts = ["<h2>Spillover</h2><ul class='spill'>"]
    parts += [f"<li>{html.escape(x)}</li>" for x in s.sentences]
    parts.append("</ul>")
    parts.append(
        "<figure class='chart' data-kind='spillover-heatmap'>"
        f"{heatmap_svg(s, run.definition.model.name, run.benchmark)}"
        "<figcaption>CAR over the main window per event (rows) and ticker (columns); colour: "
        "the CAR (blue up, red down); thick border: counterparty, dashed: peer; * beyond noise "
        "(BH q over the matrix), c another event in the window; right: the market's own move."
        "</figcaption></figure>"
    )
    parts.append(f"<div class='tables'>{table_html(roles_table(run))}</div>")
    parts.append(f"<div class='tables groups'>{table_html(cells_table(run))}")
    parts += [table_html(portfolios_table(run)), "</div>"]
    return "".join(parts)


def _window_tests(tests: pl.DataFrame, calendar_test: str) -> list[dict[str, Any]]:
    out = []
    for (a, b), part in tests.group_by(["start", "end"], maintain_order=True):
        engine = part.filter(pl.col("test") != calendar_test)
        first = (engine if engine.height else part).row(0, named=True)
        out.append(
            {
                "start": a,
                "end": b,
                "n": first["n"],
                "caar": first["caar"],
                "tests": {
                    r["test"]: {
                        "stat": r["stat"],
                        "p": r["p"],
                        "distribution": r["distribution"],
                        "note": r["note"],
                    }
                    for r in part.iter_rows(named=True)
                },
            }
        )
    return out


def _matrix_rows(m: pl.DataFrame) -> list[dict[str, Any]]:
    cols = ["event_id", "ticker", "role", "start", "end", "car", "t", "p", "q"]
    return [
        {
            **{c: r[c] for c in cols},
            "day0": r["day0"],
            "own_ticker": r["own"],
            "status": r["status"],
            "confounded_by": r["confounded_by"] or [],
        }
        for r in m.iter_rows(named=True)
    ]


def spillover_json(run: StudyRun) -> dict[str, Any]:
    """``matrix``, ``roles`` and ``spillover`` (docs/study-json.md); empty without [roles]."""
    from jobs.spillover.frames import CALENDAR_TEST, role_tests_frame

    s = run.spillover
    if s is None:
        return {}
    tests = role_tests_frame(s)
    roles: dict[str, Any] = {}
    for role in ROLE_ORDER:
        part = tests.filter(pl.col("role") == role)
        if part.height == 0:
            continue
        group = next(g for g in s.role_tests if g.id == f"role:{role}")
        cal = s.calendar.filter(pl.col("role") == role)
        roles[role] = {
            "n": group.n,
            "rbar": group.rbar,
            "windows": _window_tests(part, CALENDAR_TEST),
            "calendar_time": cal.drop("role").to_dicts(),
        }
    return {
        "matrix": _matrix_rows(s.main_matrix),
        "roles": roles,
        "spillover": {
            "window": {"start": s.window[0], "end": s.window[1]},
            "fdr": s.fdr,
            "robust_test": s.robust_test,
            "answer": list(s.sentences),
            "assigned": s.roles.to_dicts(),
            "controls": s.controls.to_dicts(),
            "portfolios": s.portfolios.to_dicts(),
            "other_benchmarks": {
                b: _matrix_rows(m) for b, m in s.matrix.items() if b != run.benchmark
            },
        },
    }
