"""The shipped spillover study ``openai-deals`` end to end on the shared prices and dividends.

Expected numbers are computed here from the literal closes and dividends of
``/work/shared/data`` (``csv`` and numpy OLS, the textbook formulas of docs/statistics.md),
never from the engine: the counterparty cells, one calendar-time portfolio, the BH q-values.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
import tomllib
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats
from typer.testing import CliRunner

from jobs.cli import app
from jobs.definitions.shipped import shipped_study
from jobs.runs import StudyRun
from jobs.services import ingest
from jobs.services.sql import run_sql
from jobs.services.study import run_study
from storage.store import Store

LOADED = dt.datetime(2026, 11, 20, 23, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.shared_data

#: The counterparty of each deal (the catalog's first ticker).
COUNTERPARTY = {
    "orcl-q1fy26": "ORCL",
    "nvda-openai-loi": "NVDA",
    "crwv-openai": "CRWV",
    "amd-openai": "AMD",
    "avgo-openai": "AVGO",
    "msft-openai-recap": "MSFT",
    "openai-aws": "AMZN",
}
PARTNERS = set(COUNTERPARTY.values())
PEERS = {"GOOGL", "META"}


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The shared prices and dividends (no factors: the market model needs none)."""
    s = Store(tmp_path_factory.mktemp("spill") / "s.duckdb", clock=lambda: LOADED)
    with ingest.open_ready(s) as db:
        ingest.import_price_files(
            db, [shared_data / "prices_daily.csv", shared_data / "dividends.csv"]
        )
    return s


@pytest.fixture(scope="module")
def run(store: Store) -> StudyRun:
    return run_study(store, shipped_study("openai-deals"), now=NOW, offline=True)


# -- the independent calculation ------------------------------------------------------------------


@pytest.fixture(scope="module")
def returns(shared_data: Path) -> dict[str, dict[dt.date, float]]:
    """Total returns from the literal closes: (close_t + dividend_t) / close_{t-1} - 1."""
    closes: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    with (shared_data / "prices_daily.csv").open() as f:
        for r in csv.DictReader(f):
            closes[r["ticker"]].append((dt.date.fromisoformat(r["date"]), float(r["close"])))
    dividends: dict[tuple[str, dt.date], float] = defaultdict(float)
    with (shared_data / "dividends.csv").open() as f:
        for r in csv.DictReader(f):
            dividends[(r["ticker"], dt.date.fromisoformat(r["date"]))] += float(r["dividend"])
    out: dict[str, dict[dt.date, float]] = {}
    for ticker, rows in closes.items():
        rows.sort()
        out[ticker] = {
            d: (c + dividends.get((ticker, d), 0.0)) / c0 - 1
            for (_, c0), (d, c) in itertools.pairwise(rows)
        }
    return out


def _market_model_car(
    y: dict[dt.date, float],
    m: dict[dt.date, float],
    sessions: list[dt.date],
    day0: dt.date,
    window: tuple[int, int] = (-1, 1),
    other_days0: frozenset[dt.date] = frozenset(),
) -> tuple[float, float, float, int]:
    """CAR, t, p and L of the market model fitted by OLS over [-260, -11] (docs/statistics.md):
    Var(CAR) = s² (L2 + L2²/L + (Σ_W (R_m - R̄_m))² / S_mm), s² = SSR / (L - 2), t(L - 2).

    Clean estimation: sessions within [-1, +1] of another event's day 0 (``other_days0``) are
    left out of the estimation window."""
    i = sessions.index(day0)
    dirty = {sessions[sessions.index(d) + k] for d in other_days0 for k in (-1, 0, 1)}
    est = [d for d in sessions[i - 260 : i - 10] if d in y and d in m and d not in dirty]
    ry = np.array([y[d] for d in est])
    rm = np.array([m[d] for d in est])
    X = np.column_stack([np.ones_like(rm), rm])
    (alpha, beta), *_ = np.linalg.lstsq(X, ry, rcond=None)
    resid = ry - alpha - beta * rm
    L = len(est)
    s2 = float(resid @ resid) / (L - 2)
    days = sessions[i + window[0] : i + window[1] + 1]
    ar = [y[d] - alpha - beta * m[d] for d in days]
    car = float(sum(ar))
    L2 = len(days)
    dev = sum(m[d] - rm.mean() for d in days)
    var = s2 * (L2 + L2**2 / L + dev**2 / float(((rm - rm.mean()) ** 2).sum()))
    t = car / math.sqrt(var)
    return car, t, float(2 * stats.t.sf(abs(t), L - 2)), L


def _bh(pvalues: list[float]) -> list[float]:
    """Benjamini-Hochberg q-values, a literal loop: q_i = min over j with p_j ≥ p_i of m p_j / rank_j."""
    m = len(pvalues)
    ranked = sorted(pvalues)
    out = []
    for p in pvalues:
        out.append(min(1.0, min(m * ranked[j] / (j + 1) for j in range(m) if ranked[j] >= p)))
    return out


# -- the tests ------------------------------------------------------------------------------------


def test_every_cell_has_the_role_its_definition_gives(run: StudyRun) -> None:
    assert run.spillover is not None
    m = run.spillover.main_matrix
    assert m.height == 7 * 9  # seven deals x (seven partners + two peers)
    for r in m.iter_rows(named=True):
        if r["ticker"] == COUNTERPARTY[r["event_id"]]:
            assert r["role"] == "direct"
        elif r["ticker"] in PARTNERS:
            assert r["role"] == "spillover"
        else:
            assert r["ticker"] in PEERS and r["role"] == "peer"
    assert set(m.get_column("status")) == {"ok"}


@pytest.fixture(scope="module")
def catalog_tickers() -> dict[str, list[str]]:
    """Each seed event's tickers, read from the catalog file itself."""
    path = Path(__file__).resolve().parents[3] / "events" / "seed" / "seed-events.toml"
    return {e["id"]: e["tickers"] for e in tomllib.loads(path.read_text())["event"]}


@pytest.mark.parametrize("event_id", sorted(COUNTERPARTY))
def test_counterparty_cells_match_ols_on_the_literal_closes(
    run: StudyRun,
    returns: dict[str, dict[dt.date, float]],
    catalog_tickers: dict[str, list[str]],
    event_id: str,
) -> None:
    assert run.spillover is not None
    ticker = COUNTERPARTY[event_id]
    cell = run.spillover.main_matrix.filter(
        (pl.col("event_id") == event_id) & (pl.col("ticker") == ticker)
    ).row(0, named=True)
    diag = run.main.diagnostics.filter(
        (pl.col("event_id") == event_id) & (pl.col("ticker") == ticker)
    ).row(0, named=True)
    # clean estimation: the ticker's other catalog events (their day 0 as the catalog resolved
    # it) leave [-1, +1] around them out of the estimation window
    day0s = dict(run.catalog.select("event_id", "day0").iter_rows())
    others = frozenset(
        day0s[e] for e, tickers in catalog_tickers.items() if ticker in tickers and e != event_id
    )
    sessions = sorted(returns["SPY"])
    car, t, p, L = _market_model_car(
        returns[ticker], returns["SPY"], sessions, cell["day0"], other_days0=others
    )
    assert diag["n_est"] == L
    assert cell["car"] == pytest.approx(car, abs=1e-10)
    assert cell["t"] == pytest.approx(t, rel=1e-8)
    assert cell["p"] == pytest.approx(p, rel=1e-6, abs=1e-15)


def test_crwv_has_its_short_history_and_the_others_250_sessions(run: StudyRun) -> None:
    d = run.main.diagnostics
    crwv = d.filter(pl.col("ticker") == "CRWV").get_column("n_est").to_list()
    assert max(crwv) < 150 and min(crwv) >= 100  # listed 2025-03-28; min_obs = 100
    orcl = d.filter(pl.col("ticker") == "ORCL")
    assert set((orcl["n_est"] + orcl["n_dropped_clean"]).to_list()) == {250}


def test_q_values_are_benjamini_hochberg_over_the_whole_matrix(run: StudyRun) -> None:
    assert run.spillover is not None
    m = run.spillover.main_matrix
    expected = _bh(m.get_column("p").to_list())
    assert m.get_column("q").to_list() == pytest.approx(expected, rel=1e-12)


def test_a_calendar_time_portfolio_matches_ols_on_the_mean_return(
    run: StudyRun, returns: dict[str, dict[dt.date, float]]
) -> None:
    """The other partners of the first deal as one portfolio: the mean of the members' returns
    that exist each day (CRWV only since its listing), fitted on SPY like any ticker."""
    assert run.spillover is not None
    members = sorted(PARTNERS - {"ORCL"})
    dates = sorted({d for t in members for d in returns[t]})
    portfolio = {}
    for d in dates:
        values = [returns[t][d] for t in members if d in returns[t]]
        portfolio[d] = sum(values) / len(values)
    sessions = sorted(returns["SPY"])
    day0 = dt.date(2025, 9, 10)
    car, t, _, _ = _market_model_car(portfolio, returns["SPY"], sessions, day0)
    row = run.spillover.portfolios.filter(
        (pl.col("role") == "spillover")
        & (pl.col("event_id") == "orcl-q1fy26")
        & (pl.col("start") == -1)
    ).row(0, named=True)
    assert sorted(row["members"].split()) == members
    assert row["car"] == pytest.approx(car, abs=1e-10)
    assert row["t"] == pytest.approx(t, rel=1e-8)


def test_the_calendar_time_test_combines_the_event_portfolios(run: StudyRun) -> None:
    """t_CT = Σ CAR_p / sqrt(Σ Var(CAR_p)) over the seven event portfolios of each role."""
    assert run.spillover is not None
    for role in ("direct", "spillover", "peer"):
        p = run.spillover.portfolios.filter(
            (pl.col("role") == role) & (pl.col("start") == -1) & (pl.col("end") == 1)
        )
        expected = p.get_column("car").sum() / math.sqrt(p.get_column("var_car").sum())
        row = run.spillover.calendar.filter((pl.col("role") == role) & (pl.col("start") == -1)).row(
            0, named=True
        )
        assert row["n_events"] == 7 and row["n_days"] == 21
        assert row["stat"] == pytest.approx(expected, rel=1e-12)
        assert row["overlap_days"] == 0  # the seven windows share no calendar day


def test_role_tests_are_the_engine_tests_on_the_role_observations(run: StudyRun) -> None:
    """Each role's csect_t is the cross-sectional t of its cells' CARs (a hand formula)."""
    assert run.spillover is not None
    m = run.spillover.main_matrix
    for g in run.spillover.role_tests:
        role = g.id.removeprefix("role:")
        cars = np.array(m.filter(pl.col("role") == role).get_column("car").to_list())
        t = cars.mean() / (cars.std(ddof=1) / math.sqrt(cars.size))
        row = g.tests.filter(
            (pl.col("test") == "csect_t") & (pl.col("start") == -1) & (pl.col("end") == 1)
        ).row(0, named=True)
        assert row["n"] == cars.size
        assert row["stat"] == pytest.approx(t, rel=1e-10)
        assert {"bw1985_t", "kp_bmp_t"} <= set(g.tests.get_column("test"))


def test_controls_are_the_benchmarks_own_compounded_moves(
    run: StudyRun, returns: dict[str, dict[dt.date, float]]
) -> None:
    assert run.spillover is not None
    sessions = sorted(returns["SPY"])
    c = run.spillover.controls
    assert set(c.get_column("ticker")) == {"SPY", "QQQ", "XLK"}
    for r in c.iter_rows(named=True):
        i = sessions.index(r["day0"])
        expected = math.prod(1 + returns[r["ticker"]][d] for d in sessions[i - 1 : i + 2]) - 1
        assert r["window_ret"] == pytest.approx(expected, rel=1e-12)
        assert r["day0_ret"] == pytest.approx(returns[r["ticker"]][r["day0"]], rel=1e-12)


def test_the_answer_speaks_of_every_deal_every_role_and_the_pattern(run: StudyRun) -> None:
    assert run.spillover is not None
    text = run.spillover.sentences
    assert len(text) == 7 + 3 + 1
    for k, event_id in enumerate(COUNTERPARTY):
        assert text[k].startswith(event_id)
    # the numbers in the sentences are those of the matrix
    orcl = run.spillover.main_matrix.filter(pl.col("event_id") == "orcl-q1fy26").row(0, named=True)
    assert f"ORCL moved {100 * orcl['car']:+.1f}%" in text[0] and "beyond noise" in text[0]
    assert "amzn-q3 fell in the same window" in text[6]
    assert text[-1].startswith("The pattern is")


def test_the_run_is_stored_and_its_views_answer(run: StudyRun, store: Store) -> None:
    frame = run_sql(
        store,
        "SELECT event_id, ticker, car, q FROM spillover_matrix "
        f"WHERE run_id = '{run.run_id}' AND benchmark = 'SPY' AND role = 'direct' "
        "ORDER BY day0",
    ).frame
    assert frame.get_column("event_id").to_list() == list(COUNTERPARTY)
    m = run.spillover.main_matrix if run.spillover else pl.DataFrame()
    direct = m.filter(pl.col("role") == "direct").sort("day0")
    assert frame.get_column("car").to_list() == pytest.approx(direct.get_column("car").to_list())
    roles = run_sql(
        store,
        "SELECT role, stat FROM spillover_roles WHERE run_id = "
        f"'{run.run_id}' AND test = 'calendar_time_t' AND start = -1 ORDER BY role",
    ).frame
    assert roles.get_column("role").to_list() == ["direct", "peer", "spillover"]
    controls = run_sql(
        store, f"SELECT count(*) AS n FROM spillover_controls WHERE run_id = '{run.run_id}'"
    ).frame
    assert controls.item(0, "n") == 21


def test_the_cli_runs_the_shipped_study_offline_as_json(store: Store, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["--db", str(store.path), "study", "openai-deals", "--offline", "--format", "json"],
        env={"COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["matrix"]) == 63
    cell = doc["matrix"][0]
    assert {"event_id", "ticker", "role", "start", "end", "car", "t", "p", "q"} <= set(cell)
    assert set(doc["roles"]) == {"direct", "spillover", "peer"}
    window = next(w for w in doc["roles"]["spillover"]["windows"] if w["start"] == -1)
    assert window["n"] == 42
    assert {"bw1985_t", "kp_bmp_t", "calendar_time_t"} <= set(window["tests"])
    assert doc["spillover"]["answer"][-1].startswith("The pattern is")
