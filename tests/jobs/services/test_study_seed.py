"""The seed study end to end on the shared data: numbers, storage, reproducibility, reports.

Expected numbers come from the independent oracle (``tests/backtest/golden``: statsmodels OLS
and literal formulas, written from docs/statistics.md without the engine), never from the
code under test. The Markdown report is a snapshot (review its diffs like code).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from jobs.definitions.study import TEST_NAMES, seed_study
from jobs.report.study.files import write_report_files
from jobs.report.study.jsondoc import json_document
from jobs.report.study.markdown import markdown_report
from jobs.runs import StudyRun
from jobs.services import ingest
from jobs.services.sql import run_sql
from jobs.services.study import load_run_frames, run_study
from storage.store import Store

GOLDEN = Path(__file__).resolve().parents[2] / "backtest" / "golden"
SNAPSHOT = Path(__file__).resolve().parent / "golden" / "seed_report.md"
LOADED = dt.datetime(2026, 11, 20, 23, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.shared_data
#: Read at import: the autouse fixture of tests/conftest.py removes REACTION_* variables.
UPDATE_SNAPSHOTS = os.environ.get("REACTION_UPDATE_SNAPSHOTS") == "1"


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store(tmp_path_factory.mktemp("seed") / "seed.duckdb", clock=lambda: LOADED)
    with ingest.open_ready(s) as db:  # created and seeded
        ingest.import_price_files(
            db, [shared_data / "prices_daily.csv", shared_data / "dividends.csv"]
        )
        ingest.import_factor_files(db, [shared_data / "ff_factors_daily.csv"])
    return s


@pytest.fixture(scope="module")
def run(store: Store) -> StudyRun:
    return run_study(store, seed_study(), now=NOW, offline=True)


def _golden(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open() as f:
        return list(csv.DictReader(f))


CHECKED = [("amzn-q3", "AMZN"), ("openai-aws", "AMZN"), ("msft-fy26q1", "MSFT")]


@pytest.mark.parametrize(("event_id", "ticker"), CHECKED)
def test_seed_numbers_match_the_oracle(run: StudyRun, event_id: str, ticker: str) -> None:
    res = run.results["SPY"]
    diag = res.diagnostics.filter(
        (pl.col("event_id") == event_id) & (pl.col("ticker") == ticker)
    ).row(0, named=True)
    # Other events' windows do not reach these estimation windows (they end 11 sessions before
    # day 0 and every other AMZN/MSFT event is within 6 sessions), so cleaning drops nothing and
    # the oracle's clean_estimation = False numbers apply exactly.
    assert diag["n_dropped_clean"] == 0
    ev = next(
        r
        for r in _golden("seed_market_model_events.csv")
        if (r["event_id"], r["ticker"]) == (event_id, ticker)
    )
    assert diag["alpha"] == pytest.approx(float(ev["alpha"]), abs=1e-12)
    assert diag["beta"] == pytest.approx(float(ev["beta"]), rel=1e-10)
    assert diag["n_est"] == int(ev["n_est"])
    ar0 = next(
        r
        for r in _golden("seed_market_model_ar.csv")
        if (r["event_id"], r["ticker"], r["rel_day"]) == (event_id, ticker, "0")
    )
    got = res.ar.filter(
        (pl.col("event_id") == event_id) & (pl.col("ticker") == ticker) & (pl.col("rel_day") == 0)
    ).row(0, named=True)
    assert got["ar"] == pytest.approx(float(ar0["ar"]), abs=1e-12)
    assert got["t"] == pytest.approx(float(ar0["t_ar"]), rel=1e-9)
    car = next(
        r
        for r in _golden("seed_market_model_car.csv")
        if (r["event_id"], r["ticker"], r["start"], r["end"]) == (event_id, ticker, "-1", "1")
    )
    got_car = res.car.filter(
        (pl.col("event_id") == event_id)
        & (pl.col("ticker") == ticker)
        & (pl.col("start") == -1)
        & (pl.col("end") == 1)
    ).row(0, named=True)
    assert got_car["car"] == pytest.approx(float(car["car"]), abs=1e-12)
    assert got_car["car_t"] == pytest.approx(float(car["car_t"]), rel=1e-9)
    assert got_car["car_p"] == pytest.approx(float(car["car_p"]), rel=1e-7)
    assert got_car["bhar"] == pytest.approx(float(car["bhar"]), abs=1e-12)


def test_hand_checked_returns(run: StudyRun) -> None:
    # PROVENANCE.md: AMZN closed +9.58% on 2025-10-31 and +4.00% on 11-03; MSFT -2.92% on 10-30.
    ar = run.results["SPY"].ar

    def ret(e: str, t: str) -> float:
        return ar.filter(
            (pl.col("event_id") == e) & (pl.col("ticker") == t) & (pl.col("rel_day") == 0)
        ).item(0, "ret")

    assert ret("amzn-q3", "AMZN") == pytest.approx(244.22 / 222.86 - 1, abs=1e-6)
    assert ret("openai-aws", "AMZN") == pytest.approx(254.00 / 244.22 - 1, abs=1e-6)
    assert round(ret("msft-fy26q1", "MSFT"), 4) == -0.0292


def test_confounding_and_moves(run: StudyRun) -> None:
    car = run.results["SPY"].car
    row = car.filter(
        (pl.col("event_id") == "openai-aws")
        & (pl.col("ticker") == "AMZN")
        & (pl.col("start") == -1)
        & (pl.col("end") == 1)
    )
    assert "amzn-q3" in row.item(0, "confounded_by")
    assert any(
        "AMZN around openai-aws" in w and "amzn-q3" in w for w in (x.text for x in run.warnings)
    )
    nvda = run.moves.filter(
        (pl.col("event_id") == "nvda-q3fy26") & (pl.col("ticker") == "NVDA")
    ).row(0, named=True)
    # seed-events.md: NVDA 2025-11-20 gapped +5.1%, fell 7.8% open-to-close, closed -3.2%
    assert round(nvda["gap"], 3) == 0.051
    assert round(nvda["open_to_close"], 3) == -0.078
    assert round(nvda["close_to_close"], 3) == -0.032


def test_unmeasurable_observations_keep_their_reason(run: StudyRun) -> None:
    diag = run.results["SPY"].diagnostics
    crwv = diag.filter((pl.col("ticker") == "CRWV") & (pl.col("event_id") == "crwv-openai")).row(
        0, named=True
    )
    assert crwv["status"] == "insufficient_estimation"  # listed 2025-03-28: too little history
    assert crwv["alpha"] is None
    assert diag.height == run.observations.height  # nothing dropped


def test_stored_and_reproducible(store: Store, run: StudyRun) -> None:
    frames = load_run_frames(store, run.run_id)
    head = frames["study_runs"].row(0, named=True)
    assert head["input_hash"] == run.input_hash
    assert head["n_observations"] == 56
    assert frames["cars"].filter(pl.col("benchmark") == "QQQ").height == 56 * 6
    again = run_study(store, seed_study(), now=NOW + dt.timedelta(minutes=5), offline=True)
    assert again.input_hash == run.input_hash
    assert again.stamp == run.stamp
    assert again.run_id != run.run_id
    assert again.results["SPY"].car.equals(run.results["SPY"].car)
    found = run_sql(
        store,
        f"SELECT car FROM cars WHERE run_id = '{run.run_id}' AND benchmark = 'SPY' "
        "AND event_id = 'amzn-q3' AND ticker = 'AMZN' AND start = -1 AND \"end\" = 1",
    ).frame
    assert found is not None
    queried = found.item()
    assert queried == pytest.approx(
        run.results["SPY"]
        .car.filter(
            (pl.col("event_id") == "amzn-q3")
            & (pl.col("ticker") == "AMZN")
            & (pl.col("start") == -1)
            & (pl.col("end") == 1)
        )
        .item(0, "car")
    )


def test_answer_and_groups_in_sql(store: Store, run: StudyRun) -> None:
    """The answer rows, each group's tests per window and per day, and its members are in the
    views, equal to the run's own objects."""
    assert run.answer is not None
    got = run_sql(
        store,
        "SELECT event_id, ticker, car, q, verdict FROM answer WHERE run_id = "
        f"'{run.run_id}' ORDER BY event_id, ticker",
    ).frame
    assert got is not None
    want = sorted((r.event_id, r.ticker, r.car, r.q, r.verdict) for r in run.answer.rows)
    assert len(got.rows()) == len(want) == 7
    for row, expected in zip(got.rows(), want, strict=True):
        assert row[:2] == expected[:2] and row[4] == expected[4]
        assert row[2] == pytest.approx(expected[2], abs=1e-15)
        assert row[3] == pytest.approx(expected[3], abs=1e-15)
    groups = {g.id: g for g in run.groups}
    daily = run_sql(
        store,
        "SELECT group_id, rel_day, test, stat FROM group_daily WHERE run_id = "
        f"'{run.run_id}' AND group_id = 'event:openai-aws' AND rel_day = 0",
    ).frame
    assert daily is not None
    want_daily = groups["event:openai-aws"].daily.filter(pl.col("rel_day") == 0)
    assert set(daily.get_column("test")) == set(TEST_NAMES) == set(want_daily.get_column("test"))
    for test, stat in daily.select("test", "stat").iter_rows():
        expected = want_daily.filter(pl.col("test") == test).item(0, "stat")
        assert stat == pytest.approx(expected, abs=1e-12, nan_ok=True) or (
            stat is None and expected is None
        )
    members = run_sql(
        store,
        "SELECT count(*) FILTER (WHERE merged_into IS NULL) AS kept, "
        "count(*) FILTER (WHERE merged_into IS NOT NULL) AS merged FROM group_members "
        f"WHERE run_id = '{run.run_id}' AND group_id = 'all'",
    ).frame
    assert members is not None
    assert members.row(0) == (groups["all"].n, groups["all"].n_duplicates_merged) == (47, 9)
    tests = run_sql(
        store,
        f"SELECT count(*) FROM group_tests WHERE run_id = '{run.run_id}' AND group_id = 'all'",
    ).frame
    assert tests is not None and tests.item() == groups["all"].tests.height
    # the intervals' bounds are stored with the group's tests and its daily table
    for table, where in (
        ("group_tests", 'start = -1 AND "end" = 1'),
        ("group_daily", "rel_day = 0"),
    ):
        got = run_sql(
            store,
            f"SELECT test, stat, ci_low, ci_high FROM {table} WHERE run_id = '{run.run_id}' "
            f"AND group_id = 'all' AND {where} AND test IN ('bootstrap_ci', 'wilcoxon_ci') "
            "ORDER BY test",
        ).frame
        assert got is not None and got.height == 2, table
        for _, stat, lo, hi in got.iter_rows():
            assert lo < stat < hi, (table, lo, stat, hi)
    # the latest_* views hold one run of the study: the newest
    latest = run_sql(
        store,
        "SELECT (SELECT count(DISTINCT run_id) FROM latest_answer), "
        "(SELECT count(DISTINCT run_id) FROM latest_group_tests), "
        "(SELECT count(DISTINCT run_id) FROM latest_group_daily)",
    ).frame
    assert latest is not None and latest.row(0) == (1, 1, 1)


def test_stored_result_keys_are_unique(store: Store, run: StudyRun) -> None:
    """The result tables have no key index (migration 0010): the stored keys of a real run
    are still unique, table by table."""
    from storage.repos.study_runs import RESULT_KEYS

    for table, keys in RESULT_KEYS.items():
        cols = ", ".join(f'"{k}"' for k in keys)
        found = run_sql(
            store,
            f"SELECT count(*) AS n, count(DISTINCT ({cols})) AS keys FROM {table} "
            f"WHERE run_id = '{run.run_id}'",
        ).frame
        assert found is not None
        n, distinct = found.row(0)
        assert n > 0 and n == distinct, table


def _no_nan(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_no_nan(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_nan(v) for v in value)
    return True


def test_json_document(run: StudyRun) -> None:
    doc = json.loads(json.dumps(json_document(run), allow_nan=False))
    assert {"run_id", "events", "aggregate"} <= set(doc)
    assert _no_nan(doc)
    first = doc["events"][0]
    assert {
        "event_id",
        "ticker",
        "day0",
        "status",
        "model",
        "alpha",
        "beta",
        "sigma",
        "n_est",
        "confounded_by",
        "ar",
        "windows",
    } <= set(first)
    assert {"rel_day", "date", "ar", "t"} <= set(first["ar"][0])
    assert {"start", "end", "car", "car_t", "car_p", "bhar"} <= set(first["windows"][0])
    agg = doc["aggregate"][0]
    assert {"start", "end", "n", "caar", "tests"} <= set(agg)
    assert set(agg["tests"]) == set(TEST_NAMES)
    assert all({"stat", "p"} <= set(v) for v in agg["tests"].values())
    assert "QQQ" in doc["other_benchmarks"]
    crwv = next(
        e for e in doc["events"] if e["event_id"] == "crwv-openai" and e["ticker"] == "CRWV"
    )
    assert crwv["status"] == "insufficient_estimation"
    assert crwv["alpha"] is None


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.groups: list[str] = []
        self.svgs = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure" and a.get("data-kind") == "event":
            self.events.append(a.get("data-event") or "")
        if tag == "figure" and a.get("data-kind") == "group":
            self.groups.append(a.get("data-group") or "")
        if tag == "svg":
            self.svgs += 1
        if tag == "img" or tag in {"script", "link"}:
            self.external.append(tag)


def test_report_files(run: StudyRun, tmp_path: Path) -> None:
    written = {p.name for p in write_report_files(run, tmp_path)}
    assert {
        "report.md",
        "report.html",
        "study.json",
        "cars.csv",
        "cars.parquet",
        "abnormal_returns.parquet",
        "tests.csv",
        "answer.csv",
        "group_daily.parquet",
    } <= written
    parser = _Figures()
    parser.feed((tmp_path / "report.html").read_text())
    # the 14 events: the answer's 5 first, then the largest |t| (report.event_charts = 24)
    assert parser.events[:5] == [
        "amzn-layoffs-14k",
        "amzn-q3",
        "openai-aws",
        "nvda-q3fy26",
        "msft-fy26q1",
    ]
    assert sorted(parser.events) == sorted(run.events.get_column("event_id").to_list())
    assert parser.groups[0] == "all"
    assert parser.svgs == len(parser.events) + len(parser.groups)  # every chart is inline SVG
    assert parser.external == []  # self-contained
    cars = pl.read_parquet(tmp_path / "cars.parquet")
    assert cars.height == 2 * 56 * 6
    for name in ("volume", "volatility"):  # the main benchmark's only
        assert pl.read_parquet(tmp_path / f"{name}_windows.parquet").height == 56 * 6
        assert pl.read_csv(tmp_path / f"{name}_daily.csv").height == 56 * 16


def test_markdown_snapshot(run: StudyRun) -> None:
    text = markdown_report(run)
    if UPDATE_SNAPSHOTS:
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text(), (
        "report.md changed: review, then REACTION_UPDATE_SNAPSHOTS=1"
    )


def test_notebook_surface(run: StudyRun) -> None:
    from matplotlib.figure import Figure

    html = run._repr_html_()
    assert html.count("<table>") >= 3
    assert "amzn-q3" in html
    assert isinstance(run.plot(), Figure)
    assert isinstance(run.plot("openai-aws"), Figure)
    assert "benchmark SPY" in run.summary()


# -- abnormal volume and volatility (the seed study measures them) -------------------------------


def _day0(frame: pl.DataFrame, event_id: str, ticker: str) -> dict[str, object]:
    return frame.filter(
        (pl.col("event_id") == event_id) & (pl.col("ticker") == ticker) & (pl.col("rel_day") == 0)
    ).row(0, named=True)


@pytest.mark.parametrize(
    ("event_id", "day0", "shares"),
    [("amzn-q3", "2025-10-31", 166_340_800), ("openai-aws", "2025-11-03", 95_997_800)],
)
def test_amazon_volume_on_its_news(
    run: StudyRun, shared_data: Path, event_id: str, day0: str, shares: int
) -> None:
    """Day 0's volume against the geometric mean of the 250 sessions [-260, -11] before it,
    counted straight from the CSV (the engine leaves a few of them out: other events' windows)."""
    with (shared_data / "prices_daily.csv").open() as fh:
        amzn = [
            (r["date"], float(r["volume"])) for r in csv.DictReader(fh) if r["ticker"] == "AMZN"
        ]
    dates = [d for d, _ in amzn]
    i0 = dates.index(day0)
    assert amzn[i0][1] == shares
    usual = math.exp(sum(math.log1p(v) for _, v in amzn[i0 - 260 : i0 - 10]) / 250)
    day = _day0(run.measures["volume"].daily, event_id, "AMZN")
    assert str(day["date"]) == day0
    assert day["log_volume"] == pytest.approx(math.log1p(shares), rel=1e-12)
    got = math.exp(float(day["av"]))  # type: ignore[arg-type]
    assert got == pytest.approx(shares / usual, rel=0.05)  # about 4x on 10-31, 2.4x on 11-03
    assert float(day["z"]) > 2.0  # type: ignore[arg-type]


def test_volatility_is_the_squared_standardized_abnormal_return(run: StudyRun) -> None:
    ar = run.main.ar
    for event_id in ("amzn-q3", "openai-aws"):
        r = _day0(ar, event_id, "AMZN")
        u = _day0(run.measures["volatility"].daily, event_id, "AMZN")
        expected = float(r["ar"]) ** 2 / float(r["var_ar"])  # type: ignore[arg-type]
        assert u["sar2"] == pytest.approx(expected, rel=1e-10)
    # the earnings day's move is about 6.7 residual standard deviations: U about 44
    assert 30 < float(_day0(run.measures["volatility"].daily, "amzn-q3", "AMZN")["sar2"]) < 60  # type: ignore[arg-type]


def test_measures_in_the_answer_the_json_and_the_store(store: Store, run: StudyRun) -> None:
    assert run.definition.measure.measures == ("return", "volume", "volatility")
    row = next(r for r in run.answer.rows if (r.event_id, r.ticker) == ("amzn-q3", "AMZN"))  # type: ignore[union-attr]
    assert row.volume is not None and row.volatility is not None
    assert row.volume.status == "ok" and row.volume.z is not None and row.volume.z > 3
    assert row.volatility.value is not None and row.volatility.value > 5
    doc = json.loads(json.dumps(json_document(run), allow_nan=False))
    entry = next(e for e in doc["events"] if (e["event_id"], e["ticker"]) == ("openai-aws", "AMZN"))
    for key in ("abnormal_volume", "abnormal_volatility"):
        assert set(entry[key]) == {"daily", "windows"}
        assert len(entry[key]["daily"]) == 16 and len(entry[key]["windows"]) == 6
        assert {"rel_day", "date", "value", "z"} <= set(entry[key]["daily"][0])
        assert {"start", "end", "value", "stat", "p"} <= set(entry[key]["windows"][0])
    assert doc["measures"] == ["return", "volume", "volatility"]
    # QQQ's events (another benchmark) carry no measures: they are measured on the main one
    assert "abnormal_volume" not in doc["other_benchmarks"]["QQQ"]["events"][0]
    frames = load_run_frames(store, run.run_id)
    for table in ("volume_daily", "volatility_daily"):
        assert frames[table].height == 56 * 16
        assert set(frames[table].get_column("benchmark")) == {"SPY"}
    for table in ("volume_windows", "volatility_windows"):
        assert frames[table].height == 56 * 6
    assert frames["volume_tests"].height == 6 * len(TEST_NAMES)
    stored = run_sql(
        store,
        f"SELECT z FROM volume_daily WHERE run_id = '{run.run_id}' AND event_id = 'amzn-q3' "
        "AND ticker = 'AMZN' AND rel_day = 0",
    ).frame
    assert stored is not None
    assert stored.item() == pytest.approx(
        _day0(run.measures["volume"].daily, "amzn-q3", "AMZN")["z"]
    )
