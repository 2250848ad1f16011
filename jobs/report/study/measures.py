"""The report's tables of abnormal volume and volatility (when the study measures them).

Shared by the terminal, Markdown and HTML reports. Nothing here computes a statistic beyond
turning the engine's numbers into readable units: a volume multiple is ``exp`` of an abnormal
log volume (``exp(CAV / L2)`` for a window: its geometric mean volume against the usual one).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

from backtest.names import VOLATILITY_TESTS, VOLUME_TESTS
from jobs.report.format import num, pval, stars, window_label
from jobs.report.study.answer import FULL_ROWS, marks_note, shown_rows
from jobs.report.text import TextTable

if TYPE_CHECKING:
    from jobs.answer import MeasureCell
    from jobs.runs import StudyRun

#: the tests each measure's table shows (backtest.names: those whose size holds)
REPORTED = {"volume": VOLUME_TESTS, "volatility": VOLATILITY_TESTS}
TITLES = {"volume": "abnormal volume", "volatility": "abnormal volatility"}


def multiple(log_ratio: float | None, days: int = 1) -> str:
    """``×4.12``: ``exp(log_ratio / days)``."""
    if log_ratio is None or not math.isfinite(log_ratio):
        return "–"
    return f"×{math.exp(log_ratio / days):.2f}"


def _z(z: float | None, p: float | None = None) -> str:
    if z is None:
        return "–"
    return f"z {num(z)}" + ("" if p is None else f"{stars(p)}\np {pval(p)}")


def _volume_cells(cell: MeasureCell | None, days: int) -> list[str]:
    if cell is None or cell.status != "ok":
        status = "–" if cell is None else cell.status.replace("_", " ")
        return [status, "–"]
    return [
        f"{multiple(cell.day0)}\n{_z(cell.day0_z)}",
        f"{multiple(cell.value, days)}\n{_z(cell.z, cell.p)}",
    ]


def _volatility_cells(cell: MeasureCell | None) -> list[str]:
    if cell is None or cell.status != "ok":
        status = "–" if cell is None else cell.status.replace("_", " ")
        return [status, "–"]
    return [
        f"{num(cell.day0)}\n{_z(cell.day0_z)}",
        f"{num(cell.value)}\n{_z(cell.z, cell.p)}",
    ]


def _compact_cells(cell: MeasureCell | None, volume: bool, days: int) -> list[str]:
    if cell is None or cell.status != "ok":
        return ["–", "–"]
    if volume:
        return [
            multiple(cell.day0),
            f"{multiple(cell.value, days)} z {num(cell.z, 1)}{stars(cell.p)}",
        ]
    return [num(cell.day0, 1), f"{num(cell.value, 1)} z {num(cell.z, 1)}{stars(cell.p)}"]


def compact_measures_table(run: StudyRun, *, limit: int | None = FULL_ROWS) -> TextTable | None:
    """:func:`measures_table` in one line per row (the terminal without --verbose)."""
    answer = run.answer
    if answer is None or not run.measures:
        return None
    w = window_label(*answer.window)
    days = answer.window[1] - answer.window[0] + 1
    header = ["event", "ticker"]
    if "volume" in run.measures:
        header += ["vol. 0", f"volume {w}"]
    if "volatility" in run.measures:
        header += ["U 0", f"VR {w}"]
    rows = []
    for r in shown_rows(answer, limit):
        row = [r.event_id, r.ticker]
        if "volume" in run.measures:
            row += _compact_cells(r.volume, True, days)
        if "volatility" in run.measures:
            row += _compact_cells(r.volatility, False, days)
        rows.append(row)
    return TextTable(
        f"Volume and volatility on day 0 and over {w}",
        header,
        rows,
        "vol. ×: volume as a multiple of the usual (geometric mean over the window); U: the squared "
        "abnormal return over its usual variance, VR: its mean over the window (1 = a usual "
        "day); z: the window's test (*** p<0.01, ** p<0.05, * p<0.10). --verbose: z and p of "
        "every cell.",
        labels=2,
    )


def measures_table(run: StudyRun, *, limit: int | None = FULL_ROWS) -> TextTable | None:
    """The answer's rows with their abnormal volume and volatility (None: neither measured)."""
    answer = run.answer
    if answer is None or not run.measures:
        return None
    w = window_label(*answer.window)
    days = answer.window[1] - answer.window[0] + 1
    has_volume, has_vol = "volume" in run.measures, "volatility" in run.measures
    header = ["event", "ticker", "day 0"]
    if has_volume:
        header += ["volume day 0", f"volume {w}"]
    if has_vol:
        header += ["volatility day 0", f"volatility {w}"]
    rows = []
    for r in shown_rows(answer, limit):
        row = [r.event_id, r.ticker, str(r.day0)]
        if has_volume:
            row += _volume_cells(r.volume, days)
        if has_vol:
            row += _volatility_cells(r.volatility)
        rows.append(row)
    notes = []
    if has_volume:
        notes.append(
            "Volume: the day's share volume as a multiple of its usual level (exp of the "
            "abnormal log volume, ln(1 + volume) against its estimation-window mean), over "
            f"{w} the geometric mean day's; z against the estimation-window spread."
        )
    if has_vol:
        notes.append(
            "Volatility: the squared abnormal return over its estimation-window variance (U; "
            f"1 is a usual day), over {w} the variance ratio (mean U); z against the "
            "estimation-window spread of squared standardized returns (fat tails allowed for)."
        )
    notes.append(
        "Both describe the reaction beside its CAR; the verdicts rest on the CAR alone. "
        "docs/statistics.md gives the formulas."
    )
    return TextTable(
        f"Trading volume and volatility of the answer's observations (day 0 and {w})",
        header,
        rows,
        " ".join(notes),
        labels=2,
    )


def _cell(r: dict[str, object] | None) -> str:
    if r is None or r.get("stat") is None:
        return "–"
    return f"{num(r['stat'])}{stars(r['p'])}\np {pval(r['p'])}"


def measure_tests_table(run: StudyRun) -> TextTable | None:
    """Each measure's reported cross-event tests (rows) over the study's windows (columns)."""
    if not run.measures:
        return None
    windows = [(int(a), int(b)) for a, b in run.definition.model.windows]
    rows, cells = [], []
    for name, measured in run.measures.items():
        tests = measured.tests
        by = {(str(r["test"]), r["start"], r["end"]): r for r in tests.iter_rows(named=True)}
        first = tests.filter(pl.col("test") == REPORTED[name][0])
        n = {(r["start"], r["end"]): r["n"] for r in first.iter_rows(named=True)}
        rows.append([TITLES[name], "N", *(str(n.get(wd, "–")) for wd in windows)])
        for test in REPORTED[name]:
            values = [_cell(by.get((test, a, b))) for a, b in windows]
            cells.extend(values)
            rows.append(["", test, *values])
    note = [
        "All the study's observations together (the pooled sample, as the returns' aggregate).",
        marks_note(cells, "tests"),
        "Shown: the tests whose size holds for each measure (volume: cross-sectional, "
        "standardized, Kolari-Pynnönen and rank; volatility: the portfolio and rank tests); "
        "study.json and the volume_tests / volatility_tests views hold every test.",
    ]
    return TextTable(
        "Abnormal volume and volatility: cross-event tests (statistic, p)",
        ["measure", "test", *(window_label(*wd) for wd in windows)],
        rows,
        " ".join(x for x in note if x),
        labels=2,
    )
