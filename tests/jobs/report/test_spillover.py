"""The spillover section: terminal tables whole at 80/100/120 columns, the heat map, the files."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from jobs.definitions.shipped import shipped_study
from jobs.report.study.files import write_report_files
from jobs.report.study.heatmap import colour, heatmap_svg
from jobs.report.study.markdown import markdown_report
from jobs.report.study.spillover import cells_table, matrix_table, roles_table
from jobs.report.study.terminal import print_report
from jobs.report.text import TextTable
from jobs.runs import StudyRun
from jobs.services.study import run_study
from storage.store import Store

pytestmark = pytest.mark.shared_data
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
WIDTHS = [80, 100, 120]


@pytest.fixture(scope="module")
def deals(report_store: Store) -> StudyRun:
    return run_study(report_store, shipped_study("openai-deals"), now=NOW, offline=True, save=False)


def _whole(text: str, table: TextTable, width: int) -> None:
    assert max(cell_len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    for h in table.header:
        assert h in text, h
    for row in table.rows:
        for i, cell in enumerate(row):
            for piece in cell.split() if i in table.wrap else [cell]:
                assert piece in text, (piece, cell)


@pytest.mark.parametrize("width", WIDTHS, ids=[f"w{w}" for w in WIDTHS])
@pytest.mark.parametrize("verbose", [False, True], ids=["default", "verbose"])
def test_the_spillover_tables_fit_every_width(deals: StudyRun, width: int, verbose: bool) -> None:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    print_report(deals, console, verbose=verbose)
    text = console.export_text()
    _whole(text, matrix_table(deals), width)
    _whole(text, roles_table(deals), width)
    if verbose:
        _whole(text, cells_table(deals), width)
    # the spillover answer comes right after the question, before the per-event answer table
    assert text.index("Question:") < text.index("Spillover answer") < text.index("Answer: CAR")
    assert "The pattern is" in text


def test_matrix_cells_carry_role_and_mark(deals: StudyRun) -> None:
    table = matrix_table(deals)
    assert table.header[:3] == ["event", "ORCL", "NVDA"]
    assert table.header[-3:] == ["SPY mkt", "QQQ mkt", "XLK mkt"]
    rows = {r[0]: r for r in table.rows}
    orcl = rows["orcl-q1fy26"][table.header.index("ORCL")]
    assert orcl.endswith(" D*")  # counterparty, beyond noise
    aws = rows["openai-aws"][table.header.index("AMZN")]
    assert aws.endswith(" Dc")  # counterparty, amzn-q3 in the window
    assert rows["openai-aws"][table.header.index("GOOGL")].endswith(" P")


def test_the_heat_map_is_valid_svg_with_a_cell_per_observation(deals: StudyRun) -> None:
    assert deals.spillover is not None
    svg = heatmap_svg(deals.spillover, "market_model", "SPY")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    cells = [t for t in texts if "." in t and t.rstrip("*c").endswith("%")]  # not the legend's
    assert len(cells) == 63 + 21
    assert "+28.6%*" in texts and "+12.7%c" in texts
    thick = [r for r in root.iter(f"{ns}rect") if r.get("stroke-width") == "3"]
    assert len(thick) == 7 + 1  # one counterparty per event, and the legend's key


def test_colour_scale_is_symmetric_and_white_at_zero() -> None:
    assert colour(0.0, 0.3) == "#ffffff"
    assert colour(0.3, 0.3) == "#2166ac" and colour(1.0, 0.3) == "#2166ac"
    assert colour(-0.3, 0.3) == "#b2182b"
    assert colour(None, 0.3) == "#eeeeee"


def test_markdown_and_files(deals: StudyRun, tmp_path: Path) -> None:
    md = markdown_report(deals)
    assert md.index("## Spillover") < md.index("### Answer")
    assert "### Spillover matrix" in md and "### Per-role tests" in md
    names = write_report_files(deals, tmp_path / "r")
    for name in ("spillover_cells", "spillover_role_tests", "spillover_controls"):
        assert any(n.name == f"{name}.csv" for n in names), name
    doc = json.loads((tmp_path / "r" / "study.json").read_text())
    assert len(doc["matrix"]) == 63
    assert "data-kind='spillover-heatmap'" in (tmp_path / "r" / "report.html").read_text()
