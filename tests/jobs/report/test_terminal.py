"""The terminal report never cuts a number, a header or a mark, at 80, 100 and 120 columns."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console

from jobs.report.layout import fit, print_table
from jobs.report.study.answer import answer_table, groups_table
from jobs.report.study.measures import compact_measures_table, measures_table
from jobs.report.study.tables import per_event_table
from jobs.report.study.terminal import print_report
from jobs.report.text import TextTable
from jobs.runs import StudyRun

WIDTHS = [80, 100, 120]


def _console(width: int) -> Console:
    return Console(width=width, record=True, file=io.StringIO(), color_system=None)


def _assert_whole(text: str, table: TextTable, width: int) -> None:
    """Every header and cell of ``table`` appears whole; no line is wider than the console."""
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert "…" not in text
    for h in table.header:
        assert h in text, h
    for row in table.rows:
        for i, cell in enumerate(row):
            pieces = cell.split() if i in table.wrap else cell.split("\n")
            for piece in pieces:
                assert piece in text, (piece, cell)


def _wide() -> TextTable:
    rows = [
        [f"event-{i:02d}-with-a-long-id", "AMZN", "2025-10-31"]
        + [f"+{i}.{j:02d}%***\n{i}.{j}1 / <0.001" for j in range(9)]
        + ["confounded by amzn-layoffs-14k, amzn-layoffs-reuters and openai-aws"]
        for i in range(3)
    ]
    return TextTable(
        "A wide table",
        ["event", "ticker", "day 0"] + [f"CAR[{-j},{j:+d}]" for j in range(9)] + ["verdict"],
        rows,
        "note",
        wrap=(12,),
        labels=3,
    )


@pytest.mark.parametrize("width", WIDTHS, ids=[f"w{w}" for w in WIDTHS])
def test_fit_splits_without_cutting(width: int) -> None:
    table = _wide()
    parts = fit(table, width)
    assert len(parts) > 1  # it does not fit whole at these widths
    assert all(p.header[:3] == ["event", "ticker", "day 0"] for p in parts)
    console = _console(width)
    print_table(console, table)
    _assert_whole(console.export_text(), table, width)


def test_fit_stacks_when_labels_leave_no_room() -> None:
    # a 60-character event id leaves no room for a value column at 80 columns: each row is
    # printed as its own (column, value) table
    table = TextTable(
        "t",
        ["event", "CAR[-1,+1]", "CAR[-5,+5]"],
        [["e" * 60, "+1.00%***", "-2.00%*"], ["f" * 60, "+3.00%", "-4.00%**"]],
        labels=1,
    )
    parts = fit(table, 80)
    assert [p.title for p in parts] == ["t (1 of 2)", "t (2 of 2)"]
    console = _console(80)
    print_table(console, table)
    _assert_whole(console.export_text(), table, 80)


@pytest.mark.shared_data
@pytest.mark.parametrize("width", WIDTHS, ids=[f"w{w}" for w in WIDTHS])
@pytest.mark.parametrize("verbose", [False, True], ids=["default", "verbose"])
def test_seed_report_at_every_width(seed_run: StudyRun, width: int, verbose: bool) -> None:
    console = _console(width)
    print_report(seed_run, console, verbose=verbose)
    text = console.export_text()
    _assert_whole(text, answer_table(seed_run, limit=None), width)
    _assert_whole(
        text,
        groups_table(seed_run, tests=None if verbose else ["csect_t"], limit=12, titles=verbose),
        width,
    )
    # the seed study measures volume and volatility: their table is whole too
    measures = (
        measures_table(seed_run, limit=None)
        if verbose
        else compact_measures_table(seed_run, limit=20)
    )
    assert measures is not None
    _assert_whole(text, measures, width)
    if verbose:
        _assert_whole(text, per_event_table(seed_run, compact=True, limit=200), width)
    # the answer comes before any warning; the output is short without --verbose
    assert text.index("Answer") < text.index("Warnings")
    assert text.index("Question:") < text.index("Answer")
    if not verbose:
        assert len(text.splitlines()) < 160


@pytest.mark.shared_data
def test_answer_rows_printed_at_120(seed_run: StudyRun) -> None:
    console = _console(120)
    print_report(seed_run, console)
    text = console.export_text()
    lines = [line for line in text.splitlines() if "openai-aws" in line and "AMZN" in line]
    # one table at 120 columns: the row carries its CAR, t, p, q and verdict on one line
    assert any("+12.67%" in line and "confounded by" in line for line in lines)
