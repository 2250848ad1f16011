"""The answer: Benjamini-Hochberg q-values (worked by hand), verdicts, and the seed study's rows."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.answer import bh_qvalues, build_answer
from jobs.definitions.study import ModelSpec, parse_study
from jobs.report.study.answer import conventions_text
from jobs.runs import StudyRun

GOLDEN = Path(__file__).resolve().parents[2] / "backtest" / "golden"


def test_bh_qvalues_by_hand() -> None:
    # m = 4 p-values (None has none). Sorted: 0.01 (rank 1), 0.03 (2), 0.04 (3), 0.20 (4).
    # m p / rank: 0.04, 0.06, 0.05333..., 0.20. Step-up (running minimum from the largest rank):
    # rank 4: 0.20; rank 3: min(0.20, 0.0533) = 0.0533; rank 2: min(0.0533, 0.06) = 0.0533;
    # rank 1: min(0.0533, 0.04) = 0.04.
    q = bh_qvalues([0.01, 0.04, 0.03, 0.20, None])
    assert q[0] == pytest.approx(0.04)
    assert q[1] == pytest.approx(0.16 / 3)
    assert q[2] == pytest.approx(0.16 / 3)
    assert q[3] == pytest.approx(0.20)
    assert q[4] is None


def test_bh_qvalues_ties_cap_and_empty() -> None:
    # 0.5·3/1 = 1.5, 0.9·3/2 = 1.35, 0.9·3/3 = 0.9: every q is 0.9
    assert bh_qvalues([0.5, 0.9, 0.9]) == pytest.approx([0.9, 0.9, 0.9])
    # 0.6·2/1 = 1.2 is capped by the running minimum (0.7·2/2 = 0.7), never above 1
    assert bh_qvalues([0.6, 0.7]) == pytest.approx([0.7, 0.7])
    assert bh_qvalues([1.0, 1.0]) == pytest.approx([1.0, 1.0])
    assert bh_qvalues([None, float("nan")]) == [None, None]
    assert bh_qvalues([]) == []


def _definition(**answer: object) -> object:
    return parse_study(
        {
            "model": {"windows": [[0, 0], [-1, 1]]},
            "report": {"answer": answer},
        },
        source="<test>",
    )


def _observations() -> pl.DataFrame:
    d = dt.date(2025, 11, 3)
    return pl.DataFrame(
        {
            "event_id": ["e1", "e1", "e2", "e3", "e4"],
            "ticker": ["AAA", "BBB", "AAA", "CCC", "DDD"],
            "day0": [d, d, d + dt.timedelta(days=1), d, d],
            "category": ["deal"] * 5,
            "timing": ["before_open"] * 5,
            "own": [True, False, True, True, True],
        }
    )


def _main() -> SimpleNamespace:
    car = pl.DataFrame(
        {
            "event_id": ["e1", "e1", "e2", "e3", "e4"],
            "ticker": ["AAA", "BBB", "AAA", "CCC", "DDD"],
            "start": [-1] * 5,
            "end": [1] * 5,
            "status": ["ok", "ok", "ok", "ok", "insufficient_estimation"],
            "car": [0.05, 0.01, 0.02, -0.01, None],
            "car_t": [4.0, 0.5, 2.0, -0.3, None],
            "car_p": [0.001, 0.6, 0.04, 0.7, None],
            "confounded_by": [[], [], ["e9"], [], []],
        }
    )
    return SimpleNamespace(car=car)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just(float("nan")),
            st.floats(0.0, 1.0),
            st.sampled_from([0.0, 0.01, 0.05, 1.0]),  # ties
        ),
        max_size=40,
    )
)
def test_bh_qvalues_match_the_definition(pvalues: list[float | None]) -> None:
    """``q_(i) = min(1, min_{j >= i} m p_(j) / j)`` over the m finite p-values, written out
    pair by pair (ties ordered by position, which the minimum makes irrelevant)."""
    finite = [(p, i) for i, p in enumerate(pvalues) if p is not None and math.isfinite(p)]
    ranked = sorted(finite)
    m = len(ranked)
    want: list[float | None] = [None] * len(pvalues)
    for rank, (_p, i) in enumerate(ranked, start=1):
        want[i] = min(1.0, min(ranked[j - 1][0] * m / j for j in range(rank, m + 1)))
    got = bh_qvalues(pvalues)
    assert [g is None for g in got] == [w is None for w in want]
    for g, w in zip(got, want, strict=True):
        if w is not None:
            assert g == pytest.approx(w, rel=1e-15)


def test_verdicts_and_family() -> None:
    answer = build_answer(_definition(), _observations(), _main(), [])  # type: ignore[arg-type]
    rows = {(r.event_id, r.ticker): r for r in answer.rows}
    # own tickers only (the default): BBB is a peer on e1
    assert set(rows) == {("e1", "AAA"), ("e2", "AAA"), ("e3", "CCC"), ("e4", "DDD")}
    # three p-values (e4 is not measured): 0.001, 0.04, 0.7 -> q = 0.003, 0.06, 0.7
    assert rows["e1", "AAA"].q == pytest.approx(0.003)
    assert rows["e2", "AAA"].q == pytest.approx(0.06)
    assert rows["e3", "CCC"].q == pytest.approx(0.7)
    assert rows["e1", "AAA"].verdict == "beyond noise"
    assert rows["e2", "AAA"].verdict == "confounded by e9"
    assert rows["e3", "CCC"].verdict == "not distinguishable from noise"
    assert rows["e4", "DDD"].verdict == "not measured (insufficient estimation)"
    assert rows["e4", "DDD"].q is None
    assert "Benjamini-Hochberg over the 3 row(s)" in answer.family
    # no groups were passed: e1 (two observations) has none, e3 (one) needs none
    assert rows["e1", "AAA"].robust.stat is None
    assert rows["e1", "AAA"].robust.note == "the event's group was not measured"
    assert (
        rows["e3", "CCC"].robust.note == "one observation of this event: its own t is the evidence"
    )


def test_answer_filters_order_and_fallback() -> None:
    answer = build_answer(
        _definition(events=["e1", "e3"], tickers=["CCC", "AAA"], own=True),
        _observations(),
        _main(),
        [],  # type: ignore[arg-type]
    )
    assert [(r.event_id, r.ticker) for r in answer.rows] == [("e3", "CCC"), ("e1", "AAA")]
    none = build_answer(_definition(events=["nope"]), _observations(), _main(), [])  # type: ignore[arg-type]
    assert none.fallback and len(none.rows) == 5
    # a stricter fdr turns "beyond noise" into noise at q = 0.003
    strict = build_answer(_definition(fdr=0.001), _observations(), _main(), [])  # type: ignore[arg-type]
    assert {r.verdict_code for r in strict.rows if r.event_id == "e1"} == {"noise"}


def _independent_bh(ps: list[float]) -> list[float]:
    """q_i = min over p_j ≥ p_i of min(1, m p_j / rank_j) (ranks 1..m by p; a direct loop)."""
    m = len(ps)
    ranked = sorted(ps)
    out = []
    for p in ps:
        out.append(min(min(1.0, m * pj / (k + 1)) for k, pj in enumerate(ranked) if pj >= p))
    return out


@pytest.mark.shared_data
def test_seed_answer_rows(seed_run: StudyRun) -> None:
    answer = seed_run.answer
    assert answer is not None
    assert answer.window == (-1, 1)
    assert answer.question.startswith("How did AMZN, NVDA and MSFT react")
    # the study's own tickers on their own news, AMZN first, then NVDA, then MSFT
    assert [(r.ticker, r.event_id) for r in answer.rows] == [
        ("AMZN", "amzn-layoffs-14k"),
        ("AMZN", "amzn-q3"),
        ("AMZN", "openai-aws"),
        ("NVDA", "openai-aws"),
        ("NVDA", "nvda-q3fy26"),
        ("MSFT", "msft-fy26q1"),
        ("MSFT", "openai-aws"),
    ]
    ps = [r.p for r in answer.rows]
    assert all(p is not None for p in ps)
    for r, q in zip(answer.rows, _independent_bh([float(p) for p in ps]), strict=True):  # type: ignore[arg-type]
        assert r.q == pytest.approx(q, rel=1e-12)
        assert r.q >= r.p  # type: ignore[operator]
    # the oracle's CAR[-1,+1] p-values where the seed's clean estimation removes nothing
    with (GOLDEN / "seed_market_model_car.csv").open() as f:
        golden = {
            (g["event_id"], g["ticker"]): float(g["car_p"])
            for g in csv.DictReader(f)
            if (g["start"], g["end"]) == ("-1", "1")
        }
    rows = {(r.event_id, r.ticker): r for r in answer.rows}
    for key in [("amzn-q3", "AMZN"), ("openai-aws", "AMZN"), ("msft-fy26q1", "MSFT")]:
        assert rows[key].p == pytest.approx(golden[key], rel=1e-7)
    # seed-events.md: AMZN's [-1,+1] around 11-03 holds its 10-31 earnings day, and the
    # window around the earnings holds the deal day; neither move is put down to its news
    assert rows["openai-aws", "AMZN"].verdict == "confounded by amzn-q3"
    assert rows["amzn-q3", "AMZN"].verdict == "confounded by openai-aws"
    assert rows["amzn-layoffs-14k", "AMZN"].confounded_by == ("amzn-layoffs-reuters",)
    # the other rows have no other event in the window: beyond noise exactly when q <= 0.05
    for r in answer.rows:
        if not r.confounded_by:
            assert r.verdict == (
                "beyond noise" if r.q <= 0.05 else "not distinguishable from noise"
            )  # type: ignore[operator]
        # every event of the answer has 3 observations: the robust test is the event group's
        assert r.robust.test == "bw1985_t"
        assert r.robust.group_id == f"event:{r.event_id}"
        assert r.robust.n == 3
        assert r.robust.stat is not None and math.isfinite(r.robust.stat)


def test_conventions_text_names_the_bootstrap_interval() -> None:
    assert conventions_text(ModelSpec()) == (
        "default conventions, 1,000 resamples (seed 20261201); "
        "bootstrap_ci: expanded percentile interval"
    )
    assert conventions_text(ModelSpec(conventions="eventstudies", seed=3)) == (
        "eventstudies conventions, 1,000 resamples (seed 3); bootstrap_ci: plain percentile interval"
    )
