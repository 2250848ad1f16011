"""Report tables: titles follow what is measured; day-0 moves for every timing; compact tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jobs.definitions.study import seed_study
from jobs.report.study.answer import measured_line, report_title
from jobs.report.study.tables import moves_table, per_event_table, shown_observations
from jobs.runs import StudyRun
from jobs.services.study import run_study

pytestmark = pytest.mark.shared_data


def test_one_event_variant_title_and_intraday_moves(report_store: Any, seed_run: StudyRun) -> None:
    definition = seed_study().with_overrides(events=["amzn-layoffs-reuters"])
    run = run_study(
        report_store,
        definition,
        now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
        offline=True,
        save=False,
    )
    # the seed's title names the seed's question; the variant measures one event
    assert (
        report_title(run) == "AMZN, NVDA and MSFT around amzn-layoffs-reuters (market_model on SPY)"
    )
    assert run.answer is not None
    assert run.answer.question == (
        "How did AMZN react to amzn-layoffs-reuters, and which reactions are more than noise?"
    )
    assert measured_line(run).startswith(
        "Measured: 3 observations (3 with a model fit) of 3 ticker(s) around 1 event(s), day 0 on 2025-10-27"
    )
    # news during the session (Reuters, ~15:00): the day-0 table is there, with open→close.
    # prices_daily.csv: AMZN closed 224.21 on 10-24; opened 227.66 and closed 226.97 on 10-27:
    # gap 227.66/224.21-1 = +1.54%, open→close 226.97/227.66-1 = -0.30%, 226.97/224.21-1 = +1.23%
    moves = moves_table(run)
    assert moves is not None
    assert moves.rows == [
        ["amzn-layoffs-reuters", "AMZN", "2025-10-27", "intraday", "+1.54%", "-0.30%", "+1.23%"]
    ]
    assert report_title(seed_run).startswith("Amazon layoffs, Q3 earnings and the OpenAI-AWS deal")
    assert measured_line(seed_run).startswith(
        "Measured: 56 observations (53 with a model fit) of 9 ticker(s) around 14 event(s)"
    )


def test_compact_tables_above_the_limit(seed_run: StudyRun) -> None:
    assert shown_observations(seed_run, None) is None
    assert shown_observations(seed_run, 100) is None
    shown = shown_observations(seed_run, 10)
    assert shown is not None and shown.height == 10
    # the answer's seven observations first, then the largest |t| over [-1,+1]
    assert shown.head(7).rows() == [
        (r.event_id, r.ticker)
        for r in seed_run.answer.rows  # type: ignore[union-attr]
    ]
    assert ("orcl-q1fy26", "ORCL") in shown.rows()  # t = 7.57, the largest outside the answer
    table = per_event_table(seed_run, compact=True, limit=10)
    assert len(table.rows) == 10
    assert "Showing 10 of 56 observations" in table.note
