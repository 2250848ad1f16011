"""The scheduler: trigger times (weekends, holidays, DST), wiring, catch-up, signals, logging."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import polars as pl
import pytest
import time_machine
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from events import nyse
from jobs.errors import SchedulerRunningError, UsageError
from jobs.runtime.locks import lock_path, pid_lock, refresh_lock
from jobs.runtime.logging import LineFormatter, configure_logging, remove_logging
from jobs.services import scheduler as sched_mod
from jobs.services.refresh import run_refresh
from jobs.services.scheduler import (
    JOB_ID,
    build_scheduler,
    prepare,
    refresh_job,
    refresh_trigger,
)
from jobs.settings import Settings
from storage.errors import StoreError
from storage.sources.memory import MemorySource
from storage.store import Store

NY = ZoneInfo("America/New_York")
WORKER_PATH = Path(__file__).with_name("refresh_worker.py")
REPO = Path(__file__).resolve().parents[3]


def settings_for(db: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "db": db,
        "benchmarks": ("SPY",),
        "history_start": dt.date(2025, 10, 1),
        "seed": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "s.duckdb")


@contextmanager
def started_paused(scheduler: BlockingScheduler) -> Iterator[BlockingScheduler]:
    """``start(paused=True)`` blocks a BlockingScheduler: run it on a thread, then shut down."""
    ready = threading.Event()
    scheduler.add_listener(lambda _: ready.set(), EVENT_SCHEDULER_STARTED)
    thread = threading.Thread(target=scheduler.start, kwargs={"paused": True}, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
        thread.join(10)
        assert not thread.is_alive()


def spy_bars(end: dt.date) -> pl.DataFrame:
    sessions = nyse().sessions_in_range(dt.date(2025, 10, 1), end)
    n = len(sessions)
    return pl.DataFrame(
        {
            "ticker": ["SPY"] * n,
            "date": sessions,
            "open": [1.0] * n,
            "high": [1.0] * n,
            "low": [1.0] * n,
            "close": [1.0 + i for i in range(n)],
            "adj_close": [None] * n,
            "volume": [1] * n,
        }
    )


# -- when the trigger fires --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2025, 11, 21, 18, 0, tzinfo=NY), dt.datetime(2025, 11, 21, 18, 30, tzinfo=NY)),
        (dt.datetime(2025, 11, 21, 19, 0, tzinfo=NY), dt.datetime(2025, 11, 24, 18, 30, tzinfo=NY)),
        (dt.datetime(2025, 11, 26, 19, 0, tzinfo=NY), dt.datetime(2025, 11, 27, 18, 30, tzinfo=NY)),
        (
            dt.datetime(2025, 10, 31, 19, 0, tzinfo=NY),
            dt.datetime(2025, 11, 3, 23, 30, tzinfo=dt.UTC),
        ),
        (
            dt.datetime(2025, 3, 7, 19, 0, tzinfo=NY),
            dt.datetime(2025, 3, 10, 22, 30, tzinfo=dt.UTC),
        ),
    ],
    ids=[
        "friday-before-1830",
        "friday-evening-to-monday",
        "fires-on-thanksgiving",
        "dst-end-monday-is-2330-utc",
        "dst-start-monday-is-2230-utc",
    ],
)
def test_cron_trigger_fire_times(
    settings: Settings, now: dt.datetime, expected: dt.datetime
) -> None:
    trigger = refresh_trigger(settings)
    fire = trigger.get_next_fire_time(None, now.astimezone(dt.UTC))
    assert fire == expected
    assert fire.utcoffset() == expected.astimezone(NY).utcoffset()  # expressed in New York time


def test_the_machine_time_zone_never_matters(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        sched = build_scheduler(settings, lambda: None)
        assert sched.timezone == NY
        trigger = refresh_trigger(settings)
        now = dt.datetime(2025, 11, 21, 19, 0, tzinfo=NY)
        assert trigger.get_next_fire_time(None, now) == dt.datetime(2025, 11, 24, 18, 30, tzinfo=NY)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_schedule_settings_are_honoured(tmp_path: Path) -> None:
    custom = settings_for(
        tmp_path / "s.duckdb",
        schedule_time=dt.time(7, 15),
        schedule_timezone="Europe/London",
        schedule_days="tue,thu",
    )
    trigger = refresh_trigger(custom)
    monday = dt.datetime(2025, 11, 24, 12, 0, tzinfo=dt.UTC)
    assert trigger.get_next_fire_time(None, monday) == dt.datetime(
        2025, 11, 25, 7, 15, tzinfo=ZoneInfo("Europe/London")
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"schedule_days": "mon-fry"}, r"schedule_days 'mon-fry' is not a cron day-of-week list"),
        ({"schedule_timezone": "Mars/Olympus"}, r"'Mars/Olympus' is not an IANA time zone"),
    ],
    ids=["bad-days", "bad-zone"],
)
def test_bad_schedule_settings_are_usage_errors(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        build_scheduler(settings_for(tmp_path / "s.duckdb", **overrides), lambda: None)


def test_the_job_records_a_noop_on_the_holiday_the_cron_fires_on(settings: Settings) -> None:
    store = Store(settings.db)
    source = MemorySource(spy_bars(dt.date(2025, 11, 26)))
    run_refresh(
        settings,
        as_of=dt.datetime(2025, 11, 26, 18, 30, tzinfo=NY),
        source=source,
        store=store,
    )
    fire = refresh_trigger(settings).get_next_fire_time(
        None, dt.datetime(2025, 11, 26, 19, 0, tzinfo=NY)
    )
    assert fire == dt.datetime(2025, 11, 27, 18, 30, tzinfo=NY)
    result = run_refresh(settings, as_of=fire, source=source, store=store)
    assert (result.status, result.target_session) == ("noop", dt.date(2025, 11, 26))
    assert result.message.startswith("2025-11-27 is not an NYSE session")


# -- wiring ------------------------------------------------------------------------------------


def test_build_scheduler_wiring(settings: Settings) -> None:
    with time_machine.travel(dt.datetime(2025, 11, 21, 19, 0, tzinfo=NY), tick=False):
        sched = build_scheduler(settings, lambda: None)
        with started_paused(sched):
            (job,) = sched.get_jobs()
            assert job.id == JOB_ID
            assert isinstance(job.trigger, CronTrigger)
            assert str(job.trigger) == (
                "cron[day_of_week='mon-fri', hour='18', minute='30', second='0']"
            )
            assert job.trigger.timezone == NY
            assert sched.timezone == NY
            assert job.misfire_grace_time is None  # however late: see jobs.scheduler
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.next_run_time == dt.datetime(2025, 11, 24, 18, 30, tzinfo=NY)


def test_interval_mode_for_demonstrations(settings: Settings) -> None:
    sched = build_scheduler(settings, lambda: None, interval_seconds=5)
    with started_paused(sched):
        job = sched.get_job(JOB_ID)
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == dt.timedelta(seconds=5)
    with pytest.raises(UsageError, match="must be a positive number of seconds"):
        build_scheduler(settings, lambda: None, interval_seconds=0)


@pytest.mark.parametrize(
    ("stored_through", "expected_next"),
    [
        (None, dt.datetime(2025, 11, 24, 19, 0, tzinfo=NY)),
        (dt.date(2025, 11, 21), dt.datetime(2025, 11, 24, 19, 0, tzinfo=NY)),
        (dt.date(2025, 11, 24), dt.datetime(2025, 11, 25, 18, 30, tzinfo=NY)),
    ],
    ids=["empty-store-catches-up-now", "behind-catches-up-now", "up-to-date-waits-for-cron"],
)
def test_catch_up_on_start_when_the_store_is_behind(
    settings: Settings, stored_through: dt.date | None, expected_next: dt.datetime
) -> None:
    store = Store(settings.db)
    if stored_through is not None:
        run_refresh(
            settings,
            as_of=dt.datetime.combine(stored_through, dt.time(18, 30), NY),
            source=MemorySource(spy_bars(stored_through)),
            store=store,
        )
    monday_evening = dt.datetime(2025, 11, 24, 19, 0, tzinfo=NY)  # after Monday's close
    with time_machine.travel(monday_evening, tick=False):
        sched, stop = prepare(
            settings,
            store=store,
            source_factory=lambda: MemorySource(spy_bars(dt.date(2025, 11, 24))),
        )
        with started_paused(sched):
            assert sched.get_job(JOB_ID).next_run_time == expected_next
    assert not stop.is_set()


@pytest.mark.parametrize(
    "wake",
    [
        dt.datetime(2025, 11, 24, 9, 0, tzinfo=NY),
        dt.datetime(2025, 11, 26, 9, 0, tzinfo=NY),
    ],
    ids=["missed-friday-wakes-monday-morning", "missed-fri-mon-tue-wakes-wednesday"],
)
def test_a_machine_asleep_through_fire_times_runs_one_catch_up(
    settings: Settings, wake: dt.datetime
) -> None:
    calls: list[dt.datetime] = []
    executed = threading.Event()

    def job() -> None:
        calls.append(dt.datetime.now(NY))

    with time_machine.travel(dt.datetime(2025, 11, 21, 12, 0, tzinfo=NY), tick=False) as traveller:
        sched = build_scheduler(settings, job)
        sched.add_listener(lambda _: executed.set(), EVENT_JOB_EXECUTED)
        thread = threading.Thread(target=sched.start, daemon=True)
        thread.start()
        try:
            traveller.move_to(wake)  # the machine slept from Friday noon until now
            sched.wakeup()
            assert executed.wait(10)
            # once, however late, then back on the cron
            assert sched.get_job(JOB_ID).next_run_time == dt.datetime.combine(
                wake.date(), dt.time(18, 30), NY
            )
        finally:
            sched.shutdown(wait=True)
            thread.join(10)
    assert calls == [wake]


# -- the job -----------------------------------------------------------------------------------


def test_the_job_logs_errors_instead_of_raising(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(settings.db)
    clock = lambda: dt.datetime(2025, 11, 21, 18, 30, tzinfo=NY)  # noqa: E731
    job = refresh_job(
        settings,
        store=store,
        source_factory=lambda: MemorySource(spy_bars(dt.date(2025, 11, 21))),
        clock=clock,
    )
    caplog.set_level(logging.INFO, logger="jobs")
    with refresh_lock(settings.db, started=dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)):
        job()  # a refresh is "running": this one is skipped with a warning
    assert "a refresh is already running" in caplog.text
    assert "skipping this run" in caplog.text
    job()
    assert [r.refresh_id for r in caplog.records if hasattr(r, "refresh_id")][-1] == 1  # type: ignore[attr-defined]
    assert "finished: ok: prices through 2025-11-21" in caplog.text

    def broken() -> MemorySource:
        raise StoreError("the store /x is broken")

    refresh_job(settings, store=store, source_factory=broken, clock=clock)()
    assert "refresh failed: the store /x is broken" in caplog.text


def test_log_lines_carry_the_refresh_id_and_stay_on_one_line() -> None:
    stream = io.StringIO()
    handler = configure_logging(stream)
    try:
        log = logging.getLogger("jobs.refresh")
        log.info("AMZN: %d new", 1, extra={"refresh_id": 42})
        logging.getLogger("jobs.scheduler").warning("two\nlines")
    finally:
        remove_logging(handler)
    first, second = stream.getvalue().splitlines()
    assert first.endswith(" INFO refresh 42: AMZN: 1 new")
    assert dt.datetime.strptime(first.split()[0], "%Y-%m-%dT%H:%M:%SZ")
    assert second.endswith(" WARNING scheduler: two | lines")
    assert logging.getLogger("jobs").propagate is True  # restored
    assert isinstance(handler.formatter, LineFormatter)


def test_a_second_scheduler_on_the_same_store_is_refused(settings: Settings) -> None:
    busy = lambda pid, when: SchedulerRunningError(f"held by {pid}")  # noqa: E731
    started = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)
    with (
        pid_lock(lock_path(settings.db, "schedule"), started=started, busy=busy),
        pytest.raises(
            SchedulerRunningError,
            match=r"a scheduler is already running for .*s\.duckdb \(pid \d+, started 2025-11-21T23:00:00\+00:00\)",
        ),
    ):
        sched_mod.serve(settings, log_stream=io.StringIO())


# -- SIGTERM on a real process -----------------------------------------------------------------


def _load_worker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_worker", WORKER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_finishes_the_current_ticker_records_the_run_and_exits_0(
    tmp_path: Path, sig: signal.Signals
) -> None:
    worker = _load_worker()
    db = tmp_path / "store.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REACTION_")}
    proc = subprocess.Popen(
        [sys.executable, str(WORKER_PATH), "serve", str(db), str(tmp_path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        marker = tmp_path / "fetching-BBB"
        deadline = time.monotonic() + 60
        while not marker.exists():  # the catch-up run started at once; BBB is under way
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the scheduler never started the catch-up refresh"
            time.sleep(0.01)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    lines = err.splitlines()
    assert any(
        line.endswith(
            f"scheduler: {sig.name} received: finishing the current ticker, then stopping"
        )
        for line in lines
    ), err
    assert any(
        " refresh 1: finished: interrupted: stopped after 2 of 5 ticker(s) to fetch" in line
        for line in lines
    ), err
    assert lines[-1].endswith("scheduler: scheduler stopped"), err

    store = Store(db)
    with store.open() as session:
        run = session.refresh_log.history()
        counts = session.market.coverage().select("ticker", "rows")
    assert len(run) == 1
    assert run[0].status == "interrupted"
    assert run[0].finished_at is not None
    assert run[0].tickers_ok == 2
    # the two tickers that ran are whole; the others untouched: no partial batch
    n = len(nyse().sessions_in_range(worker.HISTORY_START, worker.AS_OF.date()))
    assert counts.rows() == [("AAA", n), ("BBB", n)]
