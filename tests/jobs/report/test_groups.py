"""Groups: which observations, duplicates merged, tests per window and per day.

Expected numbers come from the independent oracle's golden files (tests/backtest/golden) and
from hand calculations on them, never from the engine.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from backtest import TEST_NAMES
from jobs.definitions.study import DAILY_TESTS_AUTO_LIMIT, parse_study
from jobs.groups import (
    daily_t_note,
    daily_windows,
    every_daily_test,
    measure_groups,
    merge_duplicates,
    resolve_groups,
)
from jobs.runs import StudyRun

GOLDEN = Path(__file__).resolve().parents[2] / "backtest" / "golden"
D28, D30 = dt.date(2025, 10, 28), dt.date(2025, 10, 30)


def _obs() -> pl.DataFrame:
    rows = [
        ("googl-q3", "AMZN", D30, "earnings", False),
        ("meta-q3", "AMZN", D30, "earnings", False),
        ("msft-fy26q1", "AMZN", D30, "earnings", False),
        ("googl-q3", "MSFT", D30, "earnings", False),
        ("msft-fy26q1", "MSFT", D30, "earnings", True),
        ("amzn-layoffs-14k", "AMZN", D28, "layoffs", True),
        ("msft-openai-recap", "AMZN", D28, "restructuring", False),
    ]
    return pl.DataFrame(
        rows, schema=["event_id", "ticker", "day0", "category", "own"], orient="row"
    )


def test_merge_duplicates_keeps_the_own_observation() -> None:
    kept, merged = merge_duplicates(_obs())
    assert sorted(kept.select("ticker", "day0", "event_id").rows()) == [
        ("AMZN", D28, "amzn-layoffs-14k"),  # own ticker of its event
        ("AMZN", D30, "googl-q3"),  # nobody's own: the first event id
        ("MSFT", D30, "msft-fy26q1"),  # own, although googl-q3 comes first
    ]
    assert sorted(merged.rows()) == [
        ("googl-q3", "MSFT", D30, "msft-fy26q1"),
        ("meta-q3", "AMZN", D30, "googl-q3"),
        ("msft-fy26q1", "AMZN", D30, "googl-q3"),
        ("msft-openai-recap", "AMZN", D28, "amzn-layoffs-14k"),
    ]


def test_resolve_groups() -> None:
    definition = parse_study(
        {
            "report": {
                "groups": [
                    {"by": "category"},
                    {"by": "own"},
                    {"id": "amzn", "label": "AMZN only", "tickers": ["amzn"]},
                    {"by": "event", "events": ["googl-q3"]},
                ]
            }
        },
        source="<test>",
    )
    groups = {g.id: g for g in resolve_groups(definition, _obs(), extra_events=["msft-fy26q1"])}
    assert list(groups) == [
        "all",
        "category:earnings",
        "category:layoffs",
        "category:restructuring",
        "own:own",
        "own:peers",
        "amzn",
        "event:googl-q3",
        "event:msft-fy26q1",  # the answer's event, added
    ]
    assert (groups["all"].n, groups["all"].n_duplicates_merged) == (3, 4)
    assert (groups["category:earnings"].n, groups["category:earnings"].n_duplicates_merged) == (
        2,
        3,
    )
    assert groups["amzn"].label == "AMZN only" and groups["amzn"].n == 2
    assert groups["own:own"].n == 2 and groups["own:peers"].n_duplicates_merged == 2
    # a small study: every test per day for every group (daily_tests = "auto")
    assert all(g.daily_tests and g.daily_note is None for g in groups.values())
    with pytest.raises(Exception, match="a group needs an id"):
        parse_study({"report": {"groups": [{"label": "x"}]}}, source="<test>")


def _measure_with(
    daily_tests: str, main_daily: pl.DataFrame | None = None
) -> tuple[dict[str, Any], list[tuple[int, tuple[tuple[int, int], ...]]]]:
    definition = parse_study(
        {
            "model": {"windows": [[0, 0], [-1, 1]]},
            "report": {"groups": [{"by": "category"}], "daily_tests": daily_tests},
        },
        source="<test>",
    )
    obs = _obs().unique(subset=["ticker", "day0"], keep="first", maintain_order=True)
    calls: list[tuple[int, tuple[tuple[int, int], ...]]] = []

    def frame(rows: list[tuple[int, int, str, float]]) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "start": [r[0] for r in rows],
                "end": [r[1] for r in rows],
                "test": [r[2] for r in rows],
                "stat": [r[3] for r in rows],
                "p": [0.5] * len(rows),
                "distribution": ["t"] * len(rows),
                "df": [1.0] * len(rows),
                "note": pl.Series([None] * len(rows), dtype=pl.String),
            }
        )

    tests = frame([(0, 0, "csect_t", 1.0), (-1, 1, "csect_t", 2.0)])
    aar = pl.DataFrame(
        {
            "rel_day": [-1, 0, 1],
            "n": [2, 2, 2],
            "aar": [0.0, 0.01, 0.0],
            "caar": [0.0, 0.01, 0.01],
            "t": [0.1, 1.0, 0.1],
            "p": [0.9, 0.4, 0.9],
        }
    )
    main = SimpleNamespace(tests=tests, aar=aar, rbar=0.5)

    def engine(events: pl.DataFrame, windows: Sequence[tuple[int, int]]) -> Any:
        calls.append((events.height, tuple(windows)))
        one_day = frame([(d, d, "bmp_t", 10.0 + d) for d, e in windows if d == e])
        return SimpleNamespace(tests=pl.concat([tests, one_day]), aar=aar, rbar=0.1)

    groups = measure_groups(
        resolve_groups(definition, obs),
        study_observations=obs.height,
        main=main,
        windows=[(0, 0), (-1, 1)],
        engine=engine,
        main_daily=main_daily,
    )
    return {g.id: g for g in groups}, calls


def test_measure_groups_calls_with_every_daily_test() -> None:
    by, calls = _measure_with("auto")  # 3 observations: every test per day
    # all: every observation, no duplicate -> the main run's windows, one call for the days
    assert by["all"].source == "main run" and by["all"].daily_note is None
    # each category: its observations on the study's windows plus one-day windows
    assert calls == [
        (3, ((0, 0), (-1, -1), (1, 1))),
        (2, ((0, 0), (-1, 1), (-1, -1), (1, 1))),
        (1, ((0, 0), (-1, 1), (-1, -1), (1, 1))),
    ]
    assert by["all"].tests.height == 2  # the main run's own tests frame
    assert by["category:earnings"].tests.height == 3  # [0,0] twice (csect, bmp) and [-1,+1]
    daily = by["category:earnings"].daily
    assert daily.filter(pl.col("test") == "bmp_t").select("rel_day", "stat").rows() == [
        (-1, 9.0),
        (0, 10.0),
        (1, 11.0),
    ]


def test_the_main_runs_daily_tests_spare_the_engine_call_for_all() -> None:
    main_daily = pl.DataFrame(
        {
            "start": [0, -1, -1, 1],
            "end": [0, 1, -1, 1],
            "test": ["bmp_t"] * 4,
            "stat": [20.0, 21.0, 19.0, 22.0],
            "p": [0.5] * 4,
            "distribution": ["t"] * 4,
            "df": [1.0] * 4,
            "note": pl.Series([None] * 4, dtype=pl.String),
        }
    )
    by, calls = _measure_with("auto", main_daily)
    # all is the main run: its days come from main_daily; only the categories call the engine
    assert calls == [
        (2, ((0, 0), (-1, 1), (-1, -1), (1, 1))),
        (1, ((0, 0), (-1, 1), (-1, -1), (1, 1))),
    ]
    assert by["all"].source == "main run" and by["all"].tests.height == 2
    daily = by["all"].daily
    # one-day windows only ([-1,+1] is not a day), on the main run's aar rows
    assert daily.select("rel_day", "n", "test", "stat").rows() == [
        (-1, 2, "bmp_t", 19.0),
        (0, 2, "bmp_t", 20.0),
        (1, 2, "bmp_t", 22.0),
    ]


def test_measure_groups_calls_with_the_daily_t_only() -> None:
    by, calls = _measure_with("t")
    assert by["all"].source == "main run"
    assert by["all"].daily_note is not None and 'daily_tests = "t"' in by["all"].daily_note
    # no call for all; each category on the study's windows only
    assert calls == [(2, ((0, 0), (-1, 1))), (1, ((0, 0), (-1, 1)))]
    assert set(by["category:earnings"].daily.get_column("test")) == {"csect_t"}
    assert by["category:earnings"].tests.height == 3  # csect_t twice, bmp_t on [0,0]
    assert daily_windows([(0, 0), (-1, 1), (0, 2)]) == (
        (0, 0),
        (-1, 1),
        (0, 2),
        (-1, -1),
        (1, 1),
        (2, 2),
    )


def test_auto_daily_tests_stop_above_the_limit() -> None:
    definition = parse_study({}, source="<test>")
    assert every_daily_test(definition, DAILY_TESTS_AUTO_LIMIT)
    assert not every_daily_test(definition, DAILY_TESTS_AUTO_LIMIT + 1)
    note = daily_t_note(definition, DAILY_TESTS_AUTO_LIMIT + 1)
    assert "5,001 observations" in note and 'daily_tests = "every"' in note
    every = parse_study({"report": {"daily_tests": "every"}}, source="<test>")
    assert every_daily_test(every, 10**7)


def _golden_tests(name: str) -> dict[tuple[int, int, str], tuple[float, float]]:
    with (GOLDEN / name).open() as f:
        return {
            (int(r["start"]), int(r["end"]), r["test"]): (float(r["stat"]), float(r["p"]))
            for r in csv.DictReader(f)
            if r["stat"]
        }


@pytest.mark.shared_data
def test_group_tests_match_the_oracle(make_run: Callable[[dict[str, Any]], StudyRun]) -> None:
    # the oracle measured openai-aws on AMZN, NVDA, MSFT without cleaning the estimation
    # windows; an explicit group of these three observations in a larger study must give its
    # numbers, per window and (one-day windows) on day 0
    run = make_run(
        {
            "study": {"id": "aws-group"},
            "select": {"events": ["openai-aws", "amzn-q3"]},
            "measure": {"tickers": ["AMZN", "NVDA", "MSFT"], "own_tickers": False},
            "model": {"clean_estimation": False},
            "report": {"groups": [{"id": "aws", "events": ["openai-aws"]}, {"by": "event"}]},
        }
    )
    group = next(g for g in run.groups if g.id == "aws")
    # the same observations as one group of the by-event family (one grouped engine call)
    family = next(g for g in run.groups if g.id == "event:openai-aws")
    assert (group.n, group.n_duplicates_merged, group.source) == (3, 0, "group run")
    golden = _golden_tests("seed_market_model_tests_openai_aws.csv")
    got = {(r["start"], r["end"], r["test"]): r for r in group.tests.iter_rows(named=True)}
    assert set(golden) <= set(got)
    in_family = {(r["start"], r["end"], r["test"]): r for r in family.tests.iter_rows(named=True)}
    for key, (stat, p) in golden.items():
        assert got[key]["stat"] == pytest.approx(stat, rel=1e-8), key
        assert got[key]["p"] == pytest.approx(p, rel=1e-6, abs=1e-12), key
        assert in_family[key]["stat"] == pytest.approx(stat, rel=1e-8), key
    day0 = group.daily.filter(pl.col("rel_day") == 0)
    for r in day0.iter_rows(named=True):
        if (0, 0, r["test"]) in golden:  # the other tools' tests: tests/backtest/test_golden
            stat, p = golden[(0, 0, r["test"])]
            assert r["stat"] == pytest.approx(stat, rel=1e-8), r["test"]
    assert set(day0.get_column("test")) == set(TEST_NAMES)
    assert {t for s, e, t in golden if (s, e) == (0, 0)} < set(TEST_NAMES)
    assert group.daily.get_column("rel_day").unique().sort().to_list() == list(range(-5, 11))


@pytest.mark.shared_data
def test_duplicates_counted_once(make_run: Callable[[dict[str, Any]], StudyRun]) -> None:
    # amzn-layoffs-14k and msft-openai-recap share day 0 (2025-10-28): measured on AMZN and
    # MSFT each, the four observations are two (ticker, day 0) pairs
    run = make_run(
        {
            "study": {"id": "dups"},
            "select": {"events": ["amzn-layoffs-14k", "msft-openai-recap"]},
            "measure": {"tickers": ["AMZN", "MSFT"], "own_tickers": False},
            "model": {"clean_estimation": False},
        }
    )
    assert run.observations.height == 4
    group = run.groups[0]
    assert group.id == "all"
    assert (group.n, group.n_duplicates_merged) == (2, 2)
    assert sorted(group.members.select("event_id", "ticker").rows()) == [
        ("amzn-layoffs-14k", "AMZN"),
        ("msft-openai-recap", "MSFT"),
    ]
    with (GOLDEN / "seed_market_model_car.csv").open() as f:
        cars = {
            (r["event_id"], r["ticker"]): float(r["car"])
            for r in csv.DictReader(f)
            if (r["start"], r["end"]) == ("0", "0")
        }
    a, b = cars["amzn-layoffs-14k", "AMZN"], cars["msft-openai-recap", "MSFT"]
    # by hand, N = 2: mean (a+b)/2, sd |a-b|/√2, so csect_t = mean / (sd/√2) = (a+b)/|a-b|
    expected = (a + b) / abs(a - b)
    got = group.tests.filter(
        (pl.col("test") == "csect_t") & (pl.col("start") == 0) & (pl.col("end") == 0)
    ).row(0, named=True)
    assert got["n"] == 2
    assert got["stat"] == pytest.approx(expected, rel=1e-9)
    # counted twice each (a, a, b, b) the t would be (a+b)/|a-b| · √3: the pooled aggregate
    pooled = run.main.tests.filter(
        (pl.col("test") == "csect_t") & (pl.col("start") == 0) & (pl.col("end") == 0)
    ).row(0, named=True)
    assert pooled["n"] == 4
    assert pooled["stat"] == pytest.approx(expected * math.sqrt(3), rel=1e-9)
    assert any(w.code == "duplicates" for w in run.warnings)


def test_one_engine_call_per_family_with_a_group_column() -> None:
    # an engine that takes a group column measures a family (disjoint groups) in one call
    definition = parse_study(
        {
            "model": {"windows": [[0, 0], [-1, 1]]},
            "report": {"groups": [{"by": "category"}, {"id": "amzn", "tickers": ["AMZN"]}]},
        },
        source="<test>",
    )
    obs = _obs()
    calls: list[list[str]] = []

    def engine(events: pl.DataFrame, windows: Sequence[tuple[int, int]]) -> Any:
        labels = (
            events.get_column("group").unique(maintain_order=True).to_list()
            if "group" in events.columns
            else ["-"]
        )
        calls.append(labels)
        sizes = (
            events.group_by("group", maintain_order=True).len()
            if "group" in events.columns
            else pl.DataFrame({"group": ["-"], "len": [events.height]})
        )
        tests = sizes.select(
            "group",
            pl.lit(0).alias("start"),
            pl.lit(0).alias("end"),
            pl.lit("csect_t").alias("test"),
            pl.col("len").alias("n"),
            pl.col("len").cast(pl.Float64).alias("stat"),
            pl.lit(0.2).alias("p"),
            pl.lit("t").alias("distribution"),
            pl.lit(1.0).alias("df"),
            pl.lit(None, pl.String).alias("note"),
            pl.lit(0.5).alias("rbar"),
        )
        aar = sizes.select(
            "group",
            pl.lit(0).alias("rel_day"),
            pl.col("len").alias("n"),
            pl.lit(0.01).alias("aar"),
            pl.lit(0.01).alias("caar"),
            pl.lit(1.0).alias("t"),
            pl.lit(0.3).alias("p"),
        )
        if "group" not in events.columns:
            tests, aar = tests.drop("group"), aar.drop("group")
        return SimpleNamespace(tests=tests, aar=aar, rbar=0.5)

    groups = measure_groups(
        resolve_groups(definition, obs),
        study_observations=obs.height,
        main=None,
        windows=[(0, 0), (-1, 1)],
        engine=engine,
        grouped=True,
    )
    # all and the explicit group alone; the three categories in one call
    assert calls == [
        ["-"],
        ["category:earnings", "category:layoffs", "category:restructuring"],
        ["-"],
    ]
    by = {g.id: g for g in groups}
    # each group gets its own rows back: N after merging (earnings: 5 observations, 2 kept)
    assert by["category:earnings"].tests.get_column("n").to_list() == [2]
    assert by["category:layoffs"].tests.get_column("n").to_list() == [1]
    assert by["category:earnings"].rbar == 0.5
    assert "group" not in by["category:earnings"].daily.columns
