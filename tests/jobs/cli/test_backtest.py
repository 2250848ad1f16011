"""``reaction backtest`` on the shared data: the seed rules end to end, JSON, guards, storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import app

runner = CliRunner()
pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bt") / "r.duckdb"
    for args in (
        [
            "prices",
            "import",
            str(shared_data / "prices_daily.csv"),
            str(shared_data / "dividends.csv"),
        ],
        ["events", "import", str(shared_data / "earnings_dates.csv")],
    ):
        result = runner.invoke(app, ["--db", str(path), *args])
        assert result.exit_code == 0, result.stderr
    return path


def _bt(db: Path, out: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        ["--db", str(db), "backtest", *args, "--offline", "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    return result.exit_code, result.stdout, result.stderr


def test_amzn_rule_json(db: Path, tmp_path: Path) -> None:
    code, stdout, stderr = _bt(
        db,
        tmp_path,
        "amzn-events",
        "--event",
        "amzn-q3",
        "--event",
        "openai-aws",
        "--entry",
        "close:0",
        "--exit",
        "close:+1",
        "--cost-bps",
        "5",
        "--hedge",
        "benchmark",
        "--format",
        "json",
    )
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert {"run_id", "trades", "summary"} <= set(doc)
    by_event = {t["event_id"]: t for t in doc["trades"]}
    # amzn-q3: bought at the close of 2025-10-31 (244.22), sold at the close of 11-03 (254.00)
    q3 = by_event["amzn-q3"]
    assert (q3["entry_date"], q3["entry_price"], q3["exit_date"], q3["exit_price"]) == (
        "2025-10-31",
        244.22,
        "2025-11-03",
        254.00,
    )
    assert q3["gross"] == pytest.approx(254.00 / 244.22 - 1, abs=1e-12)
    assert q3["net"] == pytest.approx(254.00 / 244.22 - 1 - 2 * 5e-4, abs=1e-12)
    spy = 683.34 / 682.06 - 1  # SPY closes on 2025-10-31 and 2025-11-03 (prices_daily.csv)
    assert q3["hedge"] == pytest.approx(spy, abs=1e-9)
    assert q3["hedged"] == pytest.approx(254.00 / 244.22 - 1 - spy - 4 * 5e-4, abs=1e-9)
    assert {"n", "mean_net", "hit_rate", "t"} <= set(doc["summary"])
    assert doc["summary"]["n"] == 2
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "trades.parquet").is_file()


def test_lookahead_guard_and_foresight_label(db: Path, tmp_path: Path) -> None:
    code, _, stderr = _bt(db, tmp_path, "amzn-events", "--entry", "close:-1")
    assert code == 1
    assert "entry" in stderr and "before the news" in stderr
    code, stdout, stderr = _bt(
        db,
        tmp_path,
        "amzn-events",
        "--event",
        "openai-aws",  # a deal: its date was not known in advance
        "--entry",
        "close:-1",
        "--allow-lookahead",
        "--format",
        "json",
    )
    assert code == 0, stderr
    assert json.loads(stdout)["perfect_foresight"] is True


def test_earnings_drift_with_sweep(db: Path, tmp_path: Path) -> None:
    code, stdout, stderr = _bt(db, tmp_path, "earnings-drift", "--sweep")
    assert code == 0, stderr
    assert "PERFECT FORESIGHT" not in stdout
    assert "best cell of a sweep is optimistic" in stdout
    stored = runner.invoke(
        app,
        [
            "--db",
            str(db),
            "sql",
            "--format",
            "json",
            "SELECT count(*) AS runs, sum(n_trades) AS trades FROM backtest_runs WHERE rule_id = 'earnings-drift'",
        ],
    )
    row = json.loads(stored.stdout)[0]
    assert row["runs"] == 1
    assert row["trades"] > 300  # nine tickers' earnings since 2005
    cells = runner.invoke(
        app, ["--db", str(db), "sql", "--format", "json", "SELECT count(*) AS n FROM sweep_cells"]
    )
    assert json.loads(cells.stdout)[0]["n"] == 4 * 6


def test_bad_rule_file(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[trade]\nhedge = "gold"\n')
    code, _, stderr = _bt(db, tmp_path, str(bad))
    assert code == 1
    assert "field 'trade.hedge'" in stderr


PORTFOLIO_KEYS = {
    "rule",
    "initial_capital",
    "daily",
    "total_return",
    "ann_return",
    "ann_vol",
    "sharpe",
    "sortino",
    "max_drawdown",
    "turnover",
}
DAILY_KEYS = {"date", "ret", "equity", "gross_exposure", "net_exposure", "positions"}


def _check_book(book: dict[str, object]) -> list[float]:
    """The documented keys; equity > 0 throughout and = capital · Π(1 + ret) (to 1e-9)."""
    assert set(book) >= PORTFOLIO_KEYS
    daily = book["daily"]
    assert isinstance(daily, list) and daily
    assert all(set(d) == DAILY_KEYS for d in daily)
    equity = [d["equity"] for d in daily]
    assert min(equity) > 0
    compounded, value = [], float(book["initial_capital"])  # type: ignore[arg-type]
    for d in daily:
        value *= 1.0 + d["ret"]
        compounded.append(value)
    assert equity == pytest.approx(compounded, rel=1e-9)
    assert book["total_return"] == pytest.approx(equity[-1] / book["initial_capital"] - 1, rel=1e-9)  # type: ignore[operator]
    return equity


@pytest.mark.parametrize("direction", ["long", "sign"])
def test_earnings_drift_portfolio_never_reaches_zero(
    db: Path, tmp_path: Path, direction: str
) -> None:
    """Long-only and long-short (sign), capital split equally across the open positions:
    the equity stays positive (the trade-cohort chain went to -99.95%) and compounds."""
    code, stdout, stderr = _bt(
        db, tmp_path, "earnings-drift", "--direction", direction, "--format", "json", "--no-save"
    )
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["portfolio"]["rule"] == "equal_weight"
    _check_book(doc["portfolio"])
    _check_book(doc["benchmark_portfolio"])
    assert max(d["positions"] for d in doc["portfolio"]["daily"]) > 1  # positions overlap
    if direction == "sign":
        assert min(d["net_exposure"] for d in doc["portfolio"]["daily"]) < 0  # shorts too


def test_fixed_notional_from_the_rule_file(db: Path, tmp_path: Path) -> None:
    from importlib import resources

    text = (resources.files("jobs") / "rules" / "earnings-drift.toml").read_text()
    rule = tmp_path / "fixed.toml"
    shipped = '[portfolio]\nallocation = "equal_weight"\ninitial_capital = 100000\n'
    assert shipped in text
    rule.write_text(
        text.replace(
            shipped,
            '[portfolio]\nallocation = "fixed_notional"\ninitial_capital = 50000\n'
            "notional_per_trade = 10000\n",
        )
    )
    code, stdout, stderr = _bt(db, tmp_path, str(rule), "--format", "json", "--no-save")
    assert code == 0, stderr
    book = json.loads(stdout)["portfolio"]
    assert (book["rule"], book["initial_capital"], book["notional_per_trade"]) == (
        "fixed_notional",
        50000,
        10000,
    )
    _check_book(book)


def test_no_t_for_two_trades_and_the_report_says_why(db: Path, tmp_path: Path) -> None:
    args = ["amzn-events", "--event", "amzn-q3", "--event", "openai-aws", "--exit", "close:+1"]
    code, stdout, stderr = _bt(db, tmp_path, *args, "--format", "json")
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["summary"]["n"] == 2
    assert doc["summary"]["t"] is None and doc["summary"]["ci_low"] is None
    assert "n = 2 < 10" in doc["summary"]["note"]
    for row in doc["summary"]["by_series"].values():
        assert row["t"] is None and row["ci_low"] is None and row["ci_high"] is None
        assert "no t-statistic or bootstrap interval" in row["note"]
    result = runner.invoke(
        app,
        ["--db", str(db), "backtest", *args, "--offline", "--out", str(tmp_path)],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "n = 2 < 10: no t-statistic or bootstrap interval" in " ".join(text.split())
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines()]
    trade_level = next(r for r in rows if r[:2] == ["benchmark", "2"])
    assert trade_level[-2:] == ["–", "–"]  # t and the interval are dashes, not -720.31
    # three sessions: no annualised figures either, and the report says why
    assert doc["portfolio"]["sharpe"] is None and doc["portfolio"]["ann_return"] is None
    assert "3 session(s) < 21" in doc["portfolio"]["note"]
    assert "3 session(s) < 21: no annualised return" in " ".join(text.split())


def test_every_trade_is_reachable(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["--db", str(db), "backtest", "earnings-drift", "--offline", "--out", str(tmp_path)],
        env={"COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    run_id = text.split("(run ")[1].split(")")[0]
    # 584 earnings dates with prices, less the 5 that are the seed catalog's own events (linked
    # at import as duplicates, issue 13)
    assert f"showing the first 50 of 579 trades; all 579 are in {tmp_path}/trades.csv" in text
    assert f"SELECT * FROM trades WHERE run_id = '{run_id}'" in text
    assert len((tmp_path / "trades.csv").read_text().splitlines()) == 579 + 1
    stored = runner.invoke(
        app,
        [
            "--db",
            str(db),
            "sql",
            "--format",
            "json",
            f"SELECT (SELECT count(*) FROM trades WHERE run_id = '{run_id}') AS trades, "
            f"(SELECT count(*) FROM backtest_portfolio WHERE run_id = '{run_id}' "
            "AND book = 'portfolio') AS days, (SELECT min(equity) FROM backtest_portfolio "
            f"WHERE run_id = '{run_id}') AS low",
        ],
    )
    row = json.loads(stored.stdout)[0]
    assert row["trades"] == 579
    assert row["days"] == len(pl_read(tmp_path / "portfolio.csv"))
    assert row["low"] > 0


def pl_read(path: Path) -> list[str]:
    return path.read_text().splitlines()[1:]


def test_scheduled_events_allow_a_fixed_entry_before_day0(db: Path, tmp_path: Path) -> None:
    """Earnings dates are known in advance: holding AMZN long from the close before each
    release is a real strategy; trading the sign of the reaction from there is not."""
    code, stdout, stderr = _bt(
        db,
        tmp_path,
        "amzn-events",
        "--category",
        "earnings",
        "--entry",
        "close:-1",
        "--exit",
        "close:+1",
        "--format",
        "json",
        "--no-save",
    )
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["perfect_foresight"] is False and doc["summary"]["n"] > 50
    code, _, stderr = _bt(db, tmp_path, "earnings-drift", "--entry", "close:-1", "--no-save")
    assert code == 1
    assert "before the news" in stderr and "depends on the outcome" in " ".join(stderr.split())
