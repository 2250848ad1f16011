"""The refresh job: what it fetches, what it records, how it fails, stops and recovers."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from events import nyse
from jobs.errors import RefreshRunningError, UsageError
from jobs.runtime import locks, signals
from jobs.services import refresh, sources
from jobs.services.refresh import run_refresh
from jobs.settings import Settings
from storage.errors import (
    RateLimitedError,
    SourceError,
    SourceTimeoutError,
    UnknownTickerError,
)
from storage.sources.base import PriceBatch, empty_prices
from storage.sources.files import FileSource
from storage.sources.memory import MemorySource
from storage.store import Store

NY = ZoneInfo("America/New_York")
THU = dt.datetime(2025, 11, 20, 18, 30, tzinfo=NY)
FRI = dt.datetime(2025, 11, 21, 18, 30, tzinfo=NY)
MON = dt.datetime(2025, 11, 24, 18, 30, tzinfo=NY)
START = dt.date(2025, 10, 1)
CAL = nyse()
VALUE_COLUMNS = ["ticker", "date", "open", "high", "low", "close", "adj_close", "volume"]


class Ticking:
    """A store clock that moves one second per call (fetched_at / started_at stay ordered)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2025, 11, 21, 23, 30, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def make_store(path: Path) -> Store:
    return Store(path, clock=Ticking())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "s.duckdb")


def make_settings(store: Store, *tickers: str) -> Settings:
    return Settings(
        db=store.path,
        benchmarks=tickers or ("AMZN", "SPY"),
        history_start=START,
        recent_sessions=5,
        seed=False,
    )


def bars(ticker: str, start: dt.date = START, end: dt.date = dt.date(2025, 11, 28)) -> pl.DataFrame:
    sessions = CAL.sessions_in_range(start, end)
    n = len(sessions)
    base = 100.0 + sum(map(ord, ticker)) % 50
    close = [base + 0.5 * i for i in range(n)]
    return pl.DataFrame(
        {
            "ticker": [ticker] * n,
            "date": sessions,
            "open": close,
            "high": [c + 1 for c in close],
            "low": [c - 1 for c in close],
            "close": close,
            "adj_close": close,
            "volume": [10 * (i + 1) for i in range(n)],
        }
    )


def source_for(*tickers: str, **kwargs: object) -> MemorySource:
    return MemorySource(pl.concat([bars(t) for t in tickers]), **kwargs)  # type: ignore[arg-type]


class Recorder:
    """A fake ``recompute``: remembers what it was given and, like the real one (which re-runs a
    study only when its input hash changed), reports a study recomputed only when tickers changed."""

    def __init__(self, result: list[str] | None = None) -> None:
        self.calls: list[set[str]] = []
        self.result = ["seed"] if result is None else result

    def __call__(self, store: Store, tickers: set[str]) -> list[str]:
        self.calls.append(set(tickers))
        return list(self.result) if tickers else []


def runs(store: Store) -> list[dict[str, object]]:
    return store.query("SELECT * FROM refresh_runs ORDER BY refresh_id").to_dicts()


def ticker_rows(store: Store, refresh_id: int) -> dict[str, dict[str, object]]:
    rows = store.query("SELECT * FROM refresh_tickers WHERE refresh_id = ?", [refresh_id])
    return {r["ticker"]: r for r in rows.to_dicts()}


def stored_values(store: Store) -> pl.DataFrame:
    return store.prices().select(VALUE_COLUMNS)


# -- the target session ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.datetime(2025, 11, 21, 15, 59, tzinfo=NY), dt.date(2025, 11, 20)),
        (dt.datetime(2025, 11, 21, 16, 0, tzinfo=NY), dt.date(2025, 11, 21)),
        (dt.datetime(2025, 11, 22, 12, 0, tzinfo=NY), dt.date(2025, 11, 21)),
        (dt.datetime(2025, 11, 27, 18, 30, tzinfo=NY), dt.date(2025, 11, 26)),
        (dt.datetime(2025, 11, 28, 12, 59, tzinfo=NY), dt.date(2025, 11, 26)),
        (dt.datetime(2025, 11, 28, 13, 0, tzinfo=NY), dt.date(2025, 11, 28)),
        (dt.datetime(2025, 11, 3, 23, 30, tzinfo=dt.UTC), dt.date(2025, 11, 3)),
    ],
    ids=[
        "fri-before-close",
        "fri-at-close",
        "saturday",
        "thanksgiving",
        "before-early-close",
        "at-early-close-13h",
        "utc-evening-after-dst",
    ],
)
def test_target_session_is_the_last_completed_nyse_session(
    as_of: dt.datetime, expected: dt.date
) -> None:
    assert refresh.target_session(as_of) == expected


def test_naive_as_of_is_refused(store: Store) -> None:
    with pytest.raises(UsageError, match="timezone-aware"):
        run_refresh(
            make_settings(store),
            as_of=dt.datetime(2025, 11, 21, 18, 30),
            source=source_for("AMZN"),
            store=store,
        )


# -- the happy path ----------------------------------------------------------------------------


def test_first_refresh_stores_history_up_to_the_target_and_records_it(store: Store) -> None:
    source = source_for("AMZN", "SPY")  # it has bars up to 11-28, a week past the target
    recompute = Recorder()
    result = run_refresh(
        make_settings(store), as_of=FRI, source=source, store=store, recompute=recompute
    )
    target = dt.date(2025, 11, 21)
    assert (result.status, result.target_session, result.exit_code) == ("ok", target, 0)
    assert source.calls == [("AMZN", START, target), ("SPY", START, target)]
    n = len(CAL.sessions_in_range(START, target))
    cov = store.coverage()
    assert cov.select("ticker", "first", "last", "rows").rows() == [
        ("AMZN", START, target, n),
        ("SPY", START, target, n),
    ]
    assert recompute.calls == [{"AMZN", "SPY"}]
    assert result.changed_tickers == {"AMZN", "SPY"}
    assert result.studies_recomputed == ("seed",)

    (run,) = runs(store)
    assert run["refresh_id"] == result.refresh_id
    assert run["status"] == "ok"
    assert run["target_session"] == target
    assert run["source"] == "memory"
    assert run["as_of"] == FRI
    assert run["finished_at"] is not None and run["finished_at"] > run["started_at"]
    assert (run["tickers_ok"], run["tickers_failed"]) == (2, 0)
    assert (run["rows_inserted"], run["rows_revised"]) == (2 * n, 0)
    assert run["studies_recomputed"] == ["seed"]
    assert (
        run["message"]
        == f"prices through {target}: 2 ticker(s) changed ({2 * n} new rows, 0 revised); 1 study(ies) recomputed"
    )
    rows = ticker_rows(store, result.refresh_id)
    assert rows["AMZN"]["status"] == "ok"
    assert (rows["AMZN"]["fetch_start"], rows["AMZN"]["fetch_end"]) == (START, target)
    assert (rows["AMZN"]["rows_inserted"], rows["AMZN"]["error"]) == (n, None)


def test_next_day_fetches_the_new_session_plus_the_last_five_again(store: Store) -> None:
    source = source_for("AMZN", "SPY")
    run_refresh(make_settings(store), as_of=THU, source=source, store=store)
    source.calls.clear()
    # Yahoo revised Wednesday's SPY close
    source.prices = source.prices.with_columns(
        close=pl.when((pl.col("ticker") == "SPY") & (pl.col("date") == dt.date(2025, 11, 19)))
        .then(pl.col("close") + 0.25)
        .otherwise(pl.col("close"))
    )
    recompute = Recorder()
    result = run_refresh(
        make_settings(store), as_of=FRI, source=source, store=store, recompute=recompute
    )
    # five stored sessions (11-14 .. 11-20) are re-read, 11-21 is new, nothing beyond
    assert source.calls == [
        ("AMZN", dt.date(2025, 11, 14), dt.date(2025, 11, 21)),
        ("SPY", dt.date(2025, 11, 14), dt.date(2025, 11, 21)),
    ]
    rows = ticker_rows(store, result.refresh_id)
    assert (rows["AMZN"]["rows_inserted"], rows["AMZN"]["rows_revised"]) == (1, 0)
    assert (rows["SPY"]["rows_inserted"], rows["SPY"]["rows_revised"]) == (1, 1)
    assert result.status == "ok"
    assert (runs(store)[-1]["rows_inserted"], runs(store)[-1]["rows_revised"]) == (2, 1)
    assert recompute.calls == [{"AMZN", "SPY"}]
    assert store.prices(["SPY"], dt.date(2025, 11, 19), dt.date(2025, 11, 19)).item(0, "close") == (
        source.prices.filter(
            (pl.col("ticker") == "SPY") & (pl.col("date") == dt.date(2025, 11, 19))
        ).item(0, "close")
    )


def test_a_day_with_nothing_new_does_nothing_and_says_so(store: Store) -> None:
    source = source_for("AMZN", "SPY")
    run_refresh(make_settings(store), as_of=FRI, source=source, store=store)
    source.calls.clear()
    before = store.prices()
    recompute = Recorder()
    saturday = dt.datetime(2025, 11, 22, 9, 0, tzinfo=NY)
    result = run_refresh(
        make_settings(store), as_of=saturday, source=source, store=store, recompute=recompute
    )
    assert result.status == "noop"
    assert result.exit_code == 0
    assert source.calls == []
    # the registered studies are still checked (a new event needs no new prices); with no
    # changed tickers the fake, like the real hash guard, recomputes nothing
    assert recompute.calls == [set()]
    assert store.prices().equals(before)
    assert result.message == (
        "2025-11-22 is not an NYSE session; prices are already through 2025-11-21 "
        "for all 2 tracked ticker(s)"
    )
    # the same evening again: a session day, nothing new either
    again = run_refresh(make_settings(store), as_of=FRI, source=source, store=store)
    assert (again.status, again.message) == (
        "noop",
        "nothing new: prices are already through 2025-11-21",
    )
    assert {r["status"] for r in ticker_rows(store, again.refresh_id).values()} == {"up_to_date"}
    assert [r["status"] for r in runs(store)] == ["ok", "noop", "noop"]


def test_thanksgiving_fire_records_a_noop(store: Store) -> None:
    source = source_for("AMZN", "SPY")
    run_refresh(
        make_settings(store),
        as_of=dt.datetime(2025, 11, 26, 18, 30, tzinfo=NY),
        source=source,
        store=store,
    )
    source.calls.clear()
    thanksgiving = dt.datetime(2025, 11, 27, 18, 30, tzinfo=NY)
    result = run_refresh(make_settings(store), as_of=thanksgiving, source=source, store=store)
    assert (result.status, result.target_session) == ("noop", dt.date(2025, 11, 26))
    assert result.message.startswith("2025-11-27 is not an NYSE session")
    assert source.calls == []
    run = runs(store)[-1]
    assert (run["status"], run["target_session"]) == ("noop", dt.date(2025, 11, 26))


def test_a_holiday_fire_still_catches_up_a_missed_session(store: Store) -> None:
    source = source_for("AMZN", "SPY")
    run_refresh(
        make_settings(store),
        as_of=dt.datetime(2025, 11, 25, 18, 30, tzinfo=NY),
        source=source,
        store=store,
    )
    thanksgiving = dt.datetime(2025, 11, 27, 18, 30, tzinfo=NY)
    result = run_refresh(make_settings(store), as_of=thanksgiving, source=source, store=store)
    assert result.status == "ok"
    assert store.coverage().get_column("last").to_list() == [dt.date(2025, 11, 26)] * 2


def test_catalog_and_registered_study_tickers_are_tracked(store: Store) -> None:
    store.init()
    with store.transaction() as con:
        con.execute(
            "INSERT INTO events (event_id, title, category, announced_date, timing, day0, "
            "day0_rule, timing_assumed, updated_at) VALUES ('e1', 'x', 'earnings', '2025-10-30', "
            "'after_close', '2025-10-31', 'next_session_after_close', false, now())"
        )
        con.execute("INSERT INTO event_tickers VALUES ('e1', 'AMZN', 0)")
        con.execute(
            "INSERT INTO studies (study_id, definition, registered_at) VALUES "
            "('s1', ?, now()), ('broken', 'this is [not toml', now())",
            [
                '[study]\nid = "s1"\n[select]\ntickers = ["nvda"]\n'
                '[measure]\ntickers = ["MSFT"]\n[model]\nbenchmarks = ["QQQ"]\n'
            ],
        )
    settings = make_settings(store, "SPY")
    assert refresh.tracked_tickers(store, settings) == ["AMZN", "MSFT", "NVDA", "QQQ", "SPY"]
    source = source_for("AMZN", "MSFT", "NVDA", "QQQ", "SPY")
    result = run_refresh(settings, as_of=FRI, source=source, store=store)
    assert result.status == "ok"
    assert [c[0] for c in source.calls] == ["AMZN", "MSFT", "NVDA", "QQQ", "SPY"]


def test_new_dividend_refetches_history_and_is_recorded(store: Store) -> None:
    source = source_for("MSFT")
    settings = make_settings(store, "MSFT")
    run_refresh(settings, as_of=THU, source=source, store=store)
    source.actions = pl.DataFrame(
        {"ticker": ["MSFT"], "date": [dt.date(2025, 11, 20)], "kind": ["dividend"], "value": [0.91]}
    )
    source.prices = source.prices.with_columns(adj_close=pl.col("close") * 0.99)
    result = run_refresh(settings, as_of=FRI, source=source, store=store)
    row = ticker_rows(store, result.refresh_id)["MSFT"]
    assert row["refetched_history"] is True
    assert row["new_actions"] == 1
    assert row["rows_revised"] == len(CAL.sessions_in_range(START, dt.date(2025, 11, 20)))
    assert source.calls[-1] == ("MSFT", START, dt.date(2025, 11, 21))


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (RateLimitedError("Yahoo answered 429 for AMZN after 4 tries", ticker="AMZN"), "429"),
        (SourceTimeoutError("Yahoo timed out for AMZN after 4 tries", ticker="AMZN"), "timed out"),
        (UnknownTickerError("Yahoo does not know AMZN (delisted?)", ticker="AMZN"), "delisted"),
    ],
    ids=["rate-limited", "timeout", "unknown-ticker"],
)
def test_a_failing_ticker_is_recorded_and_retried_next_run(
    store: Store, error: SourceError, text: str
) -> None:
    source = source_for("AMZN", "NVDA", "SPY", failures={"AMZN": error})
    recompute = Recorder()
    settings = make_settings(store, "AMZN", "NVDA", "SPY")
    result = run_refresh(settings, as_of=FRI, source=source, store=store, recompute=recompute)
    assert (result.status, result.exit_code) == ("partial", 1)
    assert [t.ticker for t in result.failed_tickers] == ["AMZN"]
    assert store.coverage().get_column("ticker").to_list() == ["NVDA", "SPY"]
    assert recompute.calls == [{"NVDA", "SPY"}]
    rows = ticker_rows(store, result.refresh_id)
    assert rows["AMZN"]["status"] == "error"
    assert text in str(rows["AMZN"]["error"])
    assert rows["AMZN"]["rows_inserted"] == 0
    assert [rows[t]["status"] for t in ("NVDA", "SPY")] == ["ok", "ok"]
    run = runs(store)[-1]
    assert (run["status"], run["tickers_ok"], run["tickers_failed"]) == ("partial", 2, 1)
    assert f"AMZN: {error}" in str(run["message"])
    assert str(run["message"]).endswith("the next refresh retries them")

    # the next run, without the failure, fetches what is missing: AMZN's whole history
    source.failures.clear()
    source.calls.clear()
    recompute.calls.clear()
    again = run_refresh(settings, as_of=FRI, source=source, store=store, recompute=recompute)
    assert again.status == "ok"
    assert source.calls == [("AMZN", START, dt.date(2025, 11, 21))]
    assert recompute.calls == [{"AMZN"}]
    assert store.coverage().get_column("last").to_list() == [dt.date(2025, 11, 21)] * 3


def test_every_ticker_failing_is_a_failed_run(store: Store) -> None:
    boom = {t: SourceTimeoutError(f"timeout for {t}", ticker=t) for t in ("AMZN", "SPY")}
    result = run_refresh(
        make_settings(store),
        as_of=FRI,
        source=source_for("AMZN", "SPY", failures=boom),
        store=store,
    )
    assert result.status == "failed"
    assert result.message == (
        "all 2 ticker(s) to fetch failed (AMZN: timeout for AMZN; SPY: timeout for SPY)"
    )
    assert runs(store)[-1]["tickers_failed"] == 2


def test_an_empty_series_is_an_error_not_an_empty_load(store: Store) -> None:
    class EmptyForSpy(MemorySource):
        def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
            if ticker == "SPY":  # a source breaking the contract: an empty frame
                return PriceBatch("SPY", empty_prices(), source=self.name)
            return super().fetch_daily(ticker, start, end)

    src = source_for("AMZN")
    result = run_refresh(
        make_settings(store, "AMZN", "SPY", "NEWCO"),
        as_of=FRI,
        source=EmptyForSpy(src.prices),
        store=store,
    )
    assert result.status == "partial"
    rows = ticker_rows(store, result.refresh_id)
    assert rows["SPY"]["status"] == "error"
    assert (
        rows["SPY"]["error"]
        == "memory returned no prices for SPY between 2025-10-01 and 2025-11-21"
    )
    assert rows["NEWCO"]["status"] == "error"
    assert "no prices for NEWCO" in str(rows["NEWCO"]["error"])
    assert store.coverage().get_column("ticker").to_list() == ["AMZN"]


def test_fewer_sessions_than_asked_keeps_what_came_and_the_next_run_gets_the_rest(
    store: Store,
) -> None:
    full = source_for("AMZN", "SPY")
    short = MemorySource(
        full.prices.filter(
            ~((pl.col("ticker") == "AMZN") & (pl.col("date") > dt.date(2025, 11, 19)))
        )
    )
    settings = make_settings(store)
    result = run_refresh(settings, as_of=FRI, source=short, store=store)
    assert result.status == "partial"
    row = ticker_rows(store, result.refresh_id)["AMZN"]
    assert row["status"] == "incomplete"
    assert row["error"] == (
        "memory returned sessions only through 2025-11-19, not 2025-11-21; "
        "the next refresh asks again"
    )
    assert row["rows_inserted"] == len(CAL.sessions_in_range(START, dt.date(2025, 11, 19)))
    assert store.coverage().get_column("last").to_list() == [
        dt.date(2025, 11, 19),
        dt.date(2025, 11, 21),
    ]
    # the next run asks AMZN again from five stored sessions back, and gets the rest
    recompute = Recorder()
    again = run_refresh(settings, as_of=FRI, source=full, store=store, recompute=recompute)
    assert again.status == "ok"
    assert full.calls == [("AMZN", dt.date(2025, 11, 13), dt.date(2025, 11, 21))]
    assert recompute.calls == [{"AMZN"}]
    reference = make_store(store.path.with_name("ref.duckdb"))
    run_refresh(
        make_settings(reference), as_of=FRI, source=source_for("AMZN", "SPY"), store=reference
    )
    assert stored_values(store).equals(stored_values(reference))


def test_a_missing_price_folder_fails_every_ticker_with_a_sentence(
    store: Store, tmp_path: Path
) -> None:
    result = run_refresh(
        make_settings(store), as_of=FRI, source=FileSource(tmp_path / "nope"), store=store
    )
    assert result.status == "failed"
    assert f"{tmp_path / 'nope'}: no such file or folder" in result.message


def test_an_unexpected_error_is_recorded_as_failed_and_raised(store: Store) -> None:
    def broken(store: Store, tickers: set[str]) -> list[str]:
        raise RuntimeError("study engine exploded")

    with pytest.raises(RuntimeError, match="exploded"):
        run_refresh(
            make_settings(store),
            as_of=FRI,
            source=source_for("AMZN", "SPY"),
            store=store,
            recompute=broken,
        )
    run = runs(store)[-1]
    assert (run["status"], run["message"]) == (
        "failed",
        "failed: RuntimeError: study engine exploded",
    )
    assert run["finished_at"] is not None
    # the prices it stored stay; the next run recomputes the studies for them
    recompute = Recorder()
    again = run_refresh(
        make_settings(store),
        as_of=FRI,
        source=source_for("AMZN", "SPY"),
        store=store,
        recompute=recompute,
    )
    assert (again.status, recompute.calls) == ("ok", [{"AMZN", "SPY"}])


# -- stopping and recovery ---------------------------------------------------------------------


class StopDuring(MemorySource):
    """Sets ``stop`` while fetching ``ticker`` (as SIGTERM would, mid-ticker)."""

    stop: threading.Event
    at: str

    def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
        if ticker == self.at:
            self.stop.set()
        return super().fetch_daily(ticker, start, end)


def test_stop_finishes_the_current_ticker_and_records_interrupted(store: Store) -> None:
    tickers = ("AAA", "BBB", "CCC", "DDD")
    src = source_for(*tickers)
    source = StopDuring(src.prices)
    source.stop, source.at = threading.Event(), "BBB"
    recompute = Recorder()
    settings = make_settings(store, *tickers)
    result = run_refresh(
        settings, as_of=FRI, source=source, store=store, recompute=recompute, stop=source.stop
    )
    assert result.status == "interrupted"
    assert [c[0] for c in source.calls] == ["AAA", "BBB"]
    assert store.coverage().get_column("ticker").to_list() == ["AAA", "BBB"]
    assert recompute.calls == []  # left for the next run
    assert result.message.startswith("stopped after 2 of 4 ticker(s) to fetch")
    run = runs(store)[-1]
    assert (run["status"], run["tickers_ok"]) == ("interrupted", 2)
    assert run["finished_at"] is not None
    # the next run fetches the rest and recomputes everything the stopped run changed too
    again = run_refresh(settings, as_of=FRI, source=src, store=store, recompute=recompute)
    assert again.status == "ok"
    assert [c[0] for c in src.calls] == ["CCC", "DDD"]
    assert recompute.calls == [{"AAA", "BBB", "CCC", "DDD"}]
    # and the one after that has nothing left over
    recompute.calls.clear()
    assert (
        run_refresh(settings, as_of=FRI, source=src, store=store, recompute=recompute).status
        == "noop"
    )
    assert recompute.calls == [set()]  # checked, nothing left over


def test_a_stop_before_the_first_ticker_fetches_nothing(store: Store) -> None:
    stop = threading.Event()
    stop.set()
    source = source_for("AMZN", "SPY")
    result = run_refresh(make_settings(store), as_of=FRI, source=source, store=store, stop=stop)
    assert (result.status, source.calls) == ("interrupted", [])


def test_a_run_whose_process_died_is_marked_interrupted(store: Store) -> None:
    settings = make_settings(store)
    store.init()
    with store.transaction() as con:  # what a SIGKILLed refresh leaves behind
        con.execute(
            "INSERT INTO refresh_runs (started_at, as_of, source, status) "
            "VALUES (?, ?, 'memory', 'running')",
            [store.clock(), FRI],
        )
    source = source_for("AMZN", "SPY")
    # pretend the dead run had stored SPY already
    run_refresh(make_settings(store, "SPY"), as_of=THU, source=source, store=store)
    recompute = Recorder()
    result = run_refresh(settings, as_of=FRI, source=source, store=store, recompute=recompute)
    first = runs(store)[0]
    assert first["status"] == "interrupted"
    assert str(first["message"]).startswith(
        "the refresh process ended without recording its outcome (killed or crashed); found by refresh 2"
    )
    assert result.status == "ok"
    assert recompute.calls == [{"AMZN", "SPY"}]


# -- one refresh at a time ---------------------------------------------------------------------


def test_a_second_refresh_while_one_runs_is_refused(store: Store) -> None:
    started = dt.datetime(2025, 11, 21, 23, 30, 5, tzinfo=dt.UTC)
    with (
        locks.refresh_lock(store.path, started=started),
        pytest.raises(RefreshRunningError) as caught,
    ):
        run_refresh(make_settings(store), as_of=FRI, source=source_for("AMZN"), store=store)
    assert str(caught.value) == (
        f"a refresh is already running (pid {os.getpid()}, started 2025-11-21T23:30:05+00:00) "
        f"on {store.path}; wait for it to finish, or stop it with 'kill -TERM {os.getpid()}'"
    )
    assert caught.value.pid == os.getpid()
    assert not store.path.exists()  # nothing was opened, nothing recorded
    # released: the next one runs
    assert (
        run_refresh(
            make_settings(store), as_of=FRI, source=source_for("AMZN", "SPY"), store=store
        ).status
        == "ok"
    )
    assert locks.lock_path(store.path).read_text() == ""


def test_concurrent_refreshes_in_threads_one_runs_one_is_refused(store: Store) -> None:
    entered, release = threading.Event(), threading.Event()

    class Gate(MemorySource):
        def fetch_daily(self, ticker: str, start: dt.date, end: dt.date) -> PriceBatch:
            entered.set()
            assert release.wait(10)
            return super().fetch_daily(ticker, start, end)

    outcome: list[object] = []
    src = source_for("AMZN", "SPY")
    worker = threading.Thread(
        target=lambda: outcome.append(
            run_refresh(make_settings(store), as_of=FRI, source=Gate(src.prices), store=store)
        )
    )
    worker.start()
    try:
        assert entered.wait(10)
        with pytest.raises(RefreshRunningError, match=r"a refresh is already running \(pid \d+"):
            run_refresh(make_settings(store), as_of=FRI, source=src, store=store)
    finally:
        release.set()
        worker.join(10)
    assert [r.status for r in outcome] == ["ok"]  # type: ignore[attr-defined]


# -- file sources behave like Yahoo ------------------------------------------------------------


def write_drop(path: Path, frame: pl.DataFrame) -> None:
    frame.with_columns(pl.col("date").cast(pl.String)).write_csv(path)


def test_a_folder_of_price_files_refreshes_exactly_like_a_network_source(
    tmp_path: Path,
) -> None:
    everything = pl.concat([bars("AMZN"), bars("SPY")])
    drops = tmp_path / "drops"
    drops.mkdir()
    write_drop(drops / "2025-11-20.csv", everything.filter(pl.col("date") <= dt.date(2025, 11, 20)))
    # the Monday drop is already in the folder: a Friday refresh must not store it
    write_drop(drops / "2025-11-24.csv", everything.filter(pl.col("date") > dt.date(2025, 11, 20)))

    by_file = make_store(tmp_path / "file.duckdb")
    by_memory = make_store(tmp_path / "memory.duckdb")
    memory = MemorySource(everything)

    def both(as_of: dt.datetime) -> tuple[refresh.RefreshResult, refresh.RefreshResult]:
        return (
            run_refresh(
                make_settings(by_file), as_of=as_of, source=FileSource(drops), store=by_file
            ),
            run_refresh(make_settings(by_memory), as_of=as_of, source=memory, store=by_memory),
        )

    for as_of in (THU, FRI, MON, MON):
        f, m = both(as_of)
        assert (f.status, f.target_session, f.message) == (m.status, m.target_session, m.message)
        assert stored_values(by_file).equals(stored_values(by_memory))
        assert stored_values(by_file).get_column("date").max() == f.target_session
        fr, mr = (
            refresh.refresh_details(s, r.refresh_id).drop("error")
            for s, r in ((by_file, f), (by_memory, m))
        )
        assert fr.equals(mr)
    assert [r["status"] for r in runs(by_file)] == ["ok", "ok", "ok", "noop"]
    assert runs(by_file)[0]["source"] == f"file:{drops}"
    # Monday fetched 11-17 .. 11-24: the five stored sessions again plus Monday
    monday = refresh.refresh_details(by_file, 3).to_dicts()
    assert {(r["fetch_start"], r["fetch_end"], r["rows_inserted"]) for r in monday} == {
        (dt.date(2025, 11, 17), dt.date(2025, 11, 24), 1)
    }


# -- history -----------------------------------------------------------------------------------


def test_history_lists_runs_newest_first(store: Store) -> None:
    source = source_for("AMZN", "SPY", failures={"SPY": RateLimitedError("429", ticker="SPY")})
    run_refresh(make_settings(store), as_of=THU, source=source, store=store)
    source.failures.clear()
    run_refresh(make_settings(store), as_of=FRI, source=source, store=store)
    run_refresh(make_settings(store), as_of=FRI, source=source, store=store)
    history = refresh.refresh_history(store, limit=2)
    assert history.columns == [
        "refresh_id",
        "started_at",
        "finished_at",
        "as_of",
        "target_session",
        "source",
        "status",
        "tickers_ok",
        "tickers_failed",
        "rows_inserted",
        "rows_revised",
        "studies_recomputed",
        "message",
    ]
    assert history.select("refresh_id", "status").rows() == [(3, "noop"), (2, "ok")]
    first = refresh.refresh_details(store, 1)
    assert first.select("ticker", "status").rows() == [("SPY", "error"), ("AMZN", "ok")]


def test_stop_on_signals_sets_the_event_and_restores_handlers() -> None:
    import signal

    stop = threading.Event()
    seen: list[signal.Signals] = []
    before = signal.getsignal(signal.SIGTERM)
    with signals.stop_on_signals(stop, then=seen.append):
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)
    assert stop.is_set()
    assert seen == [signal.SIGTERM]  # ``then`` only once
    assert signal.getsignal(signal.SIGTERM) is before


def test_nothing_to_track_is_a_noop_that_says_why(store: Store) -> None:
    settings = Settings(db=store.path, benchmarks=(), seed=False)
    source = source_for("AMZN")
    result = run_refresh(settings, as_of=FRI, source=source, store=store)
    assert (result.status, result.message) == (
        "noop",
        "no tickers to track: add events, register a study or set benchmarks",
    )
    assert source.calls == []


def test_default_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from storage.sources.yahoo import YahooSource

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # Yahoo's cache folder
    settings = Settings(db=tmp_path / "s.duckdb", seed=False)
    assert isinstance(sources.default_source(settings), YahooSource)
    yahoo = sources.default_source_factory(settings)
    assert yahoo() is yahoo()  # one session for the life of the scheduler
    drops = tmp_path / "drops"
    files = sources.default_source_factory(settings, drops)
    first, second = files(), files()
    assert isinstance(first, FileSource) and first.root == drops
    assert first is not second  # re-reads the folder each run: new daily drops are seen
    configured = Settings(db=tmp_path / "s.duckdb", source=drops, seed=False)
    assert isinstance(sources.default_source(configured), FileSource)


# -- what is tracked, and a source that cannot be reached -----------------------------------------


def _store_prices(store: Store, frame: pl.DataFrame) -> None:
    with store.transaction() as con:
        store.upsert_prices(con, frame, source="file:test.csv")


def test_every_stored_ticker_is_tracked_unless_untracked(store: Store) -> None:
    # IBM and XLK were imported by the user (no event, no study names them): they stay current
    _store_prices(
        store,
        pl.concat([bars("IBM", end=dt.date(2025, 10, 31)), bars("XLK", end=dt.date(2025, 10, 31))]),
    )
    settings = make_settings(store, "SPY")
    assert refresh.tracked_tickers(store, settings) == ["IBM", "SPY", "XLK"]
    result = run_refresh(settings, as_of=FRI, source=source_for("IBM", "SPY", "XLK"), store=store)
    assert result.status == "ok"
    last = dict(store.coverage().select("ticker", "last").iter_rows())
    assert last == {t: dt.date(2025, 11, 21) for t in ("IBM", "SPY", "XLK")}

    untracked = settings.model_copy(update={"untracked": ("XLK",)})
    assert refresh.tracked_tickers(store, untracked) == ["IBM", "SPY"]


def test_a_new_ticker_says_how_much_history_was_fetched(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(store, "SPY")
    with caplog.at_level(logging.INFO, logger="jobs.refresh"):
        result = run_refresh(settings, as_of=FRI, source=source_for("SPY"), store=store)
    assert result.tickers[0].new_ticker
    assert any(
        "a new ticker: its history from 2025-10-01 was fetched" in r.getMessage()
        for r in caplog.records
    )


def test_an_unreachable_source_stops_after_two_tickers_and_names_the_offline_route(
    store: Store,
) -> None:
    names = ("AMZN", "MSFT", "NVDA", "QQQ", "SPY")
    boom = {t: SourceTimeoutError(f"timeout for {t}", ticker=t) for t in names}
    source = source_for(*names, failures=boom)
    result = run_refresh(make_settings(store, *names), as_of=FRI, source=source, store=store)
    assert [c[0] for c in source.calls] == ["AMZN", "MSFT"]  # then it stops trying
    assert result.status == "failed"
    assert "the other 3 ticker(s) were not tried" in result.message
    assert "'reaction refresh --source FILE_OR_FOLDER'" in result.message
    assert store.coverage().height == 0
