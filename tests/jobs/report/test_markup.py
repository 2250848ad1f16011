"""Data is never read as markup or emoji: titles, questions, labels and event titles print as
they are in the terminal, and are escaped in Markdown and HTML."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from events import parse_event
from jobs.definitions.study import parse_study
from jobs.report.study.html import html_report
from jobs.report.study.jsondoc import json_document
from jobs.report.study.markdown import markdown_report
from jobs.report.study.terminal import print_report
from jobs.runs import StudyRun
from jobs.services import ingest
from jobs.services.study import run_study
from storage.store import Store

pytestmark = pytest.mark.shared_data

TITLE = "[bold]AMZN[/bold] :rocket: a:b:c"
QUESTION = "Did *QQQ* move on [link=http://x]news[/link] :smile:?"
EVENT_TITLE = "Q3 [prelim] results :thumbs_up: a:b:c [red]x[/]"
LABEL = "<b>peers</b> [i]x[/i] :tada:"


@pytest.fixture(scope="module")
def run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> StudyRun:
    store = Store(tmp_path_factory.mktemp("markup") / "m.duckdb")
    event = parse_event(
        {
            "id": "qqq-prelim",
            "title": EVENT_TITLE,
            "category": "earnings",
            "announced": dt.date(2025, 11, 10),
            "timing": "before_open",
            "tickers": ["QQQ"],
            "tags": ["markup"],
        },
        source="<test>",
        entry="markup",
    )
    with ingest.open_ready(store) as db:
        ingest.import_price_files(db, [shared_data / "prices_daily.csv"])
        ingest.store_events(db, [event], catalog="test")
    definition = parse_study(
        {
            "study": {"id": "markup", "title": TITLE},
            "select": {"events": ["qqq-prelim", "openai-aws"]},
            "measure": {"tickers": ["QQQ", "AMZN"], "own_tickers": True},
            "report": {
                "question": QUESTION,
                "groups": [{"by": "event"}, {"id": "peers", "label": LABEL, "own": False}],
            },
        },
        source="<test>",
    )
    return run_study(
        store, definition, now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC), offline=True, save=False
    )


def test_terminal_prints_data_as_it_is(run: StudyRun) -> None:
    console = Console(width=120, record=True, file=io.StringIO(), color_system=None)
    print_report(run, console, verbose=True)
    text = console.export_text()
    for literal in (TITLE, QUESTION, LABEL, "qqq-prelim (day 0 2025-11-10): Q3 [prelim] results"):
        assert literal in " ".join(text.split()), literal
    assert ":thumbs_up: a:b:c [red]x[/]" in text.replace("\n", " ")
    for emoji in ("🚀", "😄", "👍", "🎉"):
        assert emoji not in text


def test_markdown_escapes_data(run: StudyRun) -> None:
    text = markdown_report(run)
    assert "# \\[bold\\]AMZN\\[/bold\\] \\:rocket\\: a\\:b\\:c" in text
    assert "Did \\*QQQ\\* move on \\[link=http\\://x\\]news\\[/link\\] \\:smile\\:?" in text
    assert "\\<b\\>peers\\</b\\> \\[i\\]x\\[/i\\] \\:tada\\:" in text
    assert "Q3 \\[prelim\\] results \\:thumbs\\_up\\:" in text
    assert "<b>peers" not in text


def test_html_escapes_data(run: StudyRun) -> None:
    text = html_report(run)
    assert "&lt;b&gt;peers&lt;/b&gt; [i]x[/i] :tada:" in text
    assert "<b>peers" not in text
    assert "Q3 [prelim] results :thumbs_up: a:b:c [red]x[/]" in text
    assert "[bold]AMZN[/bold] :rocket: a:b:c" in text


def test_json_keeps_data_literal(run: StudyRun) -> None:
    doc = json.loads(json.dumps(json_document(run)))
    assert doc["title"] == TITLE
    assert doc["question"] == QUESTION
    labels = {g["id"]: g["label"] for g in doc["groups"]}
    assert labels["peers"] == LABEL
    assert EVENT_TITLE in labels["event:qqq-prelim"]
