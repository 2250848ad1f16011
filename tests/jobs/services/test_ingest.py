"""Loading real and fake data into a store: files, idempotence, atomicity, fetching."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from events import nyse
from jobs.services import ingest
from jobs.services.sql import run_sql
from storage.errors import ImportFileError, RateLimitedError
from storage.session import OpenStore
from storage.sources.memory import MemorySource
from storage.store import Store

FIXED = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.duckdb", clock=lambda: FIXED)


@pytest.fixture
def db(store: Store) -> Iterator[OpenStore]:
    """A write session on the fresh store (what a command holds for its unit of work)."""
    with store.open(write=True) as session:
        yield session


@pytest.mark.shared_data
def test_shared_price_file_loads_completely(store: Store, shared_data: Path) -> None:
    with store.open(write=True) as db:
        loads = ingest.import_price_files(
            db, [shared_data / "prices_daily.csv", shared_data / "dividends.csv"]
        )
    assert loads[0].prices.inserted == 73307
    assert loads[1].actions.inserted == 673
    closes = run_sql(
        store,
        "SELECT ticker, date, close FROM prices WHERE (ticker = 'AMZN' AND date = '2025-10-31') "
        "OR (ticker = 'NVDA' AND date = '2025-10-29') ORDER BY ticker",
    ).result
    assert closes.rows == [
        ("AMZN", dt.date(2025, 10, 31), 244.22),
        ("NVDA", dt.date(2025, 10, 29), 207.04),
    ]
    # every ticker has every XNYS session between its first and last date, and nothing else
    cal = nyse()
    with store.open() as db:
        coverage = db.market.coverage().select("ticker", "first", "last", "rows")
        for ticker, first, last, rows in coverage.iter_rows():
            stored = db.market.prices([ticker])
            assert stored.get_column("date").to_list() == cal.sessions_in_range(first, last), ticker
            assert rows == len(cal.sessions_in_range(first, last))
    # a second import changes nothing
    with store.open(write=True) as db:
        again = ingest.import_price_files(db, [shared_data / "prices_daily.csv"])
    assert (again[0].prices.inserted, again[0].prices.updated, again[0].prices.unchanged) == (
        0,
        0,
        73307,
    )


def test_bad_file_in_a_batch_writes_nothing(db: OpenStore, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "date,ticker,open,high,low,close,adj_close,volume\n2025-10-31,AMZN,243,245,242,244.22,,1\n"
    )
    ingest.import_price_files(db, [good])
    before = db.market.prices()
    newer = tmp_path / "newer.csv"
    newer.write_text(
        "date,ticker,open,high,low,close,adj_close,volume\n2025-11-03,AMZN,253,255,252,254.0,,1\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,ticker,open,high,low,close,adj_close,volume\n2025-11-04,AMZN,1,2,1,-1,,1\n"
    )
    with pytest.raises(
        ImportFileError,
        match=r"bad\.csv: 1 row\(s\) cannot be loaded \(line 2: close -1\.0 is not positive",
    ):
        ingest.import_price_files(db, [newer, bad])
    assert db.market.prices().equals(before)
    (failed,) = db.loads.recent(1)
    assert (failed.outcome, failed.target) == ("failed", str(bad))
    # with skip_bad_rows the good rows load and the bad one is reported
    loads = ingest.import_price_files(db, [newer, bad], skip_bad_rows=True)
    assert [len(fl.rejected) for fl in loads] == [0, 1]
    assert db.market.prices().height == 2


def test_seed_loaded_once(store: Store) -> None:
    with store.open(write=True) as db:
        assert ingest.prepare(db) is True
    with store.open(write=True) as db:
        assert ingest.prepare(db) is False
        events = db.events.frame()
        catalog = db.events.catalog()
    assert events.height == 14
    assert events.filter(pl.col("event_id") == "amzn-q3").item(0, "day0") == dt.date(2025, 10, 31)
    assert catalog.filter(pl.col("event_id") == "openai-aws").get_column("ticker").to_list() == [
        "AMZN",
        "NVDA",
        "MSFT",
    ]


def _bars(ticker: str, sessions: list[dt.date], close: float = 100.0) -> pl.DataFrame:
    n = len(sessions)
    return pl.DataFrame(
        {
            "ticker": [ticker] * n,
            "date": sessions,
            "open": [close] * n,
            "high": [close + 1] * n,
            "low": [close - 1] * n,
            "close": [close + i for i in range(n)],
            "adj_close": [None] * n,
            "volume": [1] * n,
        }
    )


def test_fetch_only_missing_plus_recent(store: Store) -> None:
    cal = nyse()
    sessions = cal.sessions_in_range(dt.date(2025, 10, 1), dt.date(2025, 11, 21))
    source = MemorySource(pl.concat([_bars("AMZN", sessions), _bars("SPY", sessions)]))
    first = ingest.fetch_prices(
        store,
        source,
        ["AMZN", "SPY"],
        end=dt.date(2025, 11, 14),
        default_start=dt.date(2025, 10, 1),
        recent_sessions=5,
        calendar=cal,
    )
    assert [o.inserted for o in first] == [
        len(cal.sessions_in_range(dt.date(2025, 10, 1), dt.date(2025, 11, 14)))
    ] * 2
    source.calls.clear()
    second = ingest.fetch_prices(
        store,
        source,
        ["AMZN"],
        end=dt.date(2025, 11, 21),
        default_start=dt.date(2025, 10, 1),
        recent_sessions=5,
        calendar=cal,
    )
    # re-fetch starts 5 stored sessions back: 11-10 .. 11-14 are re-read, 11-17 .. 11-21 are new
    assert source.calls == [("AMZN", dt.date(2025, 11, 10), dt.date(2025, 11, 21))]
    assert (second[0].inserted, second[0].revised, second[0].unchanged) == (5, 0, 5)


def test_one_failing_ticker_does_not_stop_the_others(store: Store) -> None:
    cal = nyse()
    sessions = cal.sessions_in_range(dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    source = MemorySource(
        pl.concat([_bars("AMZN", sessions), _bars("SPY", sessions)]),
        failures={
            "AMZN": RateLimitedError("Yahoo rate limit for AMZN after 4 tries", ticker="AMZN")
        },
    )
    outcomes = ingest.fetch_prices(
        store,
        source,
        ["AMZN", "SPY", "NOPE"],
        end=dt.date(2025, 10, 31),
        default_start=dt.date(2025, 10, 1),
        calendar=cal,
    )
    assert [o.error is None for o in outcomes] == [False, True, False]
    assert "rate limit" in (outcomes[0].error or "")
    assert "no prices for NOPE" in (outcomes[2].error or "")
    with store.open() as db:
        assert db.market.coverage().get_column("ticker").to_list() == ["SPY"]
        log = sorted(db.loads.recent(3), key=lambda r: r.load_id)
    assert [r.outcome for r in log] == ["failed", "ok", "failed"]


def test_new_dividend_refetches_history(store: Store) -> None:
    cal = nyse()
    sessions = cal.sessions_in_range(dt.date(2025, 10, 1), dt.date(2025, 11, 21))
    bars = _bars("MSFT", sessions)
    source = MemorySource(bars)
    ingest.fetch_prices(
        store,
        source,
        ["MSFT"],
        end=dt.date(2025, 11, 14),
        default_start=dt.date(2025, 10, 1),
        calendar=cal,
    )
    # Yahoo now reports a dividend on 11-20 and back-adjusts every earlier adj_close
    source.prices = bars.with_columns(adj_close=pl.col("close") * 0.99)
    source.actions = pl.DataFrame(
        {"ticker": ["MSFT"], "date": [dt.date(2025, 11, 20)], "kind": ["dividend"], "value": [0.91]}
    )
    source.calls.clear()
    out = ingest.fetch_prices(
        store,
        source,
        ["MSFT"],
        end=dt.date(2025, 11, 21),
        default_start=dt.date(2025, 10, 1),
        calendar=cal,
    )
    assert out[0].refetched_history
    assert source.calls[-1] == ("MSFT", dt.date(2025, 10, 1), dt.date(2025, 11, 21))
    with store.open() as db:
        assert db.market.prices(["MSFT"]).get_column("adj_close").null_count() == 0


@pytest.mark.shared_data
def test_factor_file_import_stores_fractions(db: OpenStore, shared_data: Path) -> None:
    counts = ingest.import_factor_files(db, [shared_data / "ff_factors_daily.csv"])
    assert counts.inserted == 15751
    # the file's row for 2025-10-31 reads "0.40,-0.07,-0.24,-1.31,0.18,-0.50,0.02" (percent)
    row = db.market.factors(dt.date(2025, 10, 31), dt.date(2025, 10, 31)).row(0, named=True)
    assert [row[c] for c in ("mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf")] == pytest.approx(
        [0.0040, -0.0007, -0.0024, -0.0131, 0.0018, -0.0050, 0.0002], abs=1e-12
    )
    assert ingest.import_factor_files(db, [shared_data / "ff_factors_daily.csv"]).unchanged == 15751


def test_changed_ticker_list_counts_as_an_update(db: OpenStore, tmp_path: Path) -> None:
    from events import load_catalog

    path = tmp_path / "c.toml"
    entry = '[[event]]\nid = "x1"\ntitle = "t"\ncategory = "deal"\nannounced = 2025-11-03\ntiming = "before_open"\ntickers = {}\n'
    path.write_text(entry.format('["AMZN"]'))
    assert ingest.store_events(db, load_catalog(path), catalog="c").inserted == 1
    assert ingest.store_events(db, load_catalog(path), catalog="c").unchanged == 1
    path.write_text(entry.format('["AMZN", "MSFT"]'))
    assert ingest.store_events(db, load_catalog(path), catalog="c").updated == 1
    stored = db.events.get("x1")
    assert stored is not None
    assert list(stored.tickers) == ["AMZN", "MSFT"]


HOLIDAY_FILE = (
    "date,ticker,open,high,low,close,adj_close,volume\n"
    "2025-11-26,AMZN,226.0,230.0,225.0,229.7,229.7,1000\n"
    "2025-11-27,AMZN,229.0,231.0,228.0,230.1,230.1,1000\n"  # Thanksgiving: no session
    "2025-11-28,AMZN,230.0,234.0,229.5,233.2,233.2,1000\n"
)


@pytest.mark.parametrize("prepared", [True, False], ids=["store calendar", "shipped calendar"])
def test_a_row_on_a_weekday_holiday_is_refused_by_either_calendar(
    store: Store, tmp_path: Path, prepared: bool
) -> None:
    """A prepared store checks dates against its own sessions (no calendar build); a store
    without them, against the shipped calendar: the same refusal either way."""
    path = tmp_path / "px.csv"
    path.write_text(HOLIDAY_FILE)
    with store.open(write=True) as db:
        if prepared:
            ingest.prepare(db, seed=False)
        with pytest.raises(ImportFileError, match="2025-11-27 is not a trading session"):
            ingest.import_price_files(db, [path])
    with store.open() as db:
        assert db.market.prices().height == 0


def test_the_store_calendar_used_for_the_check_is_the_shipped_one(store: Store) -> None:
    with store.open(write=True) as db:
        ingest.prepare(db, seed=False)
        got = ingest._holiday_check_sessions(db)
    assert list(got) == [dt.date.fromisoformat(str(d)) for d in nyse().sessions]


IMPORT_LIGHT = """
import sys
from jobs.cli import main
try:
    main(["--db", sys.argv[1], "prices", "import", sys.argv[2]])
except SystemExit as exc:
    assert not exc.code, exc.code
print(",".join(m for m in ("numpy", "pyarrow", "pandas", "events.calendar", "polars", "rich")
               if m in sys.modules) or "none")
"""


def test_a_price_import_builds_no_calendar_and_imports_no_numpy(tmp_path: Path) -> None:
    """A clean long CSV is loaded by DuckDB alone: no numpy, no calendar build, no polars;
    its one line of output needs no rich console."""
    import subprocess
    import sys

    path = tmp_path / "px.csv"
    path.write_text(HOLIDAY_FILE.replace("2025-11-27", "2025-11-25"))
    db = tmp_path / "s.duckdb"
    for _ in range(2):  # the first creates and prepares the store; the second is the usual
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_LIGHT, str(db), str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
    assert out.stdout.strip().splitlines()[-1] == "none", out.stderr


CLEAN = (
    "date,ticker,open,high,low,close,adj_close,volume\n"
    "2025-11-24,NVDA,179.5,183.0,176.8,182.55,182.54,256000000\n"
    "2025-11-25,NVDA,174.9,178.2,169.6,177.82,,320000000\n"
    "2025-11-24,AMZN,227.0,230.8,222.8,226.28,226.28,\n"
    "2025-11-25,AMZN,226.4,230.5,223.8,229.67,229.67,39000000\n"
)


def _temporary_tables(db: OpenStore) -> list[tuple[object, ...]]:
    return db.market._db.rows(
        "SELECT table_name FROM duckdb_tables() WHERE temporary", what="list temporary tables"
    )


def test_a_clean_file_loads_alike_by_either_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's fast path (store A) and polars' read_file (store B) load a clean file, and a
    changed copy of it, into equal tables with equal counts and load records."""
    from storage.repos.market import MarketRepo

    first = tmp_path / "px.csv"
    first.write_text(CLEAN)
    changed = tmp_path / "px2.csv"
    changed.write_text(
        CLEAN.replace("229.67,229.67", "229.68,229.68")
        + "2025-11-26,AMZN,230.1,231.7,228.8,229.16,229.16,38500000\n"
    )
    staged: list[object] = []
    fast = MarketRepo.stage_price_csv

    def spy(self: MarketRepo, path: Path) -> object:
        got = fast(self, path)
        staged.append(got)
        return got

    results = {}
    for name, stage in (("duckdb", spy), ("polars", lambda self, path: None)):
        monkeypatch.setattr(MarketRepo, "stage_price_csv", stage)
        store = Store(tmp_path / f"{name}.duckdb", clock=lambda: FIXED)
        with store.open(write=True) as db:
            ingest.prepare(db, seed=False)
            loads = [ingest.import_price_files(db, [p])[0] for p in (first, changed)]
            assert _temporary_tables(db) == []
            results[name] = (
                [(fl.layout, fl.rows_read, fl.prices, fl.actions, fl.rejected) for fl in loads],
                db.market.prices(),
                [
                    (r.kind, r.outcome, r.rows_inserted, r.rows_updated, r.rows_unchanged)
                    for r in db.loads.recent(5)
                ],
            )
    assert len(staged) == 2 and None not in staged  # store A took the fast path both times
    assert results["duckdb"][0] == results["polars"][0]
    assert results["duckdb"][1].equals(results["polars"][1])
    assert results["duckdb"][2] == results["polars"][2]
    counts = results["duckdb"][0][1][2]
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 3)


def test_a_bad_file_after_a_staged_one_writes_nothing_and_leaves_no_table(
    store: Store, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(CLEAN)
    bad = tmp_path / "bad.csv"
    bad.write_text(CLEAN.replace("182.55", "-1"))
    with store.open(write=True) as db:
        ingest.prepare(db, seed=False)
        with pytest.raises(ImportFileError, match=r"bad\.csv: 1 row\(s\) cannot be loaded"):
            ingest.import_price_files(db, [good, bad])
        assert db.market.prices().height == 0
        assert _temporary_tables(db) == []
