"""``reaction schedule``: the daily refresh on APScheduler 3.x, in the foreground.

Wiring only; the work is :func:`jobs.services.refresh.run_refresh`.

* A :class:`~apscheduler.schedulers.blocking.BlockingScheduler` in the
  configured zone (never the machine's), with one job, ``refresh``, on a
  ``CronTrigger(day_of_week=settings.schedule_days, hour, minute)`` in that zone
  (18:30 America/New_York, Monday to Friday, by default). Cron also fires on
  NYSE holidays; the job then records a ``noop``.
* ``misfire_grace_time=None`` (however late) and ``coalesce=True``: a machine
  that slept through one or more fire times runs **one** catch-up when it
  wakes. The refresh never fetches past the last completed session, so a late
  run (even during market hours) is safe; a finite grace (APScheduler's default
  is 1 s) would skip a Friday run missed by a machine asleep until Monday.
  ``max_instances=1``; the memory job store (nothing pickled, nothing in the
  DuckDB file), re-added with ``replace_existing=True`` at every start.
* On start, if a tracked ticker's prices end before the latest completed
  session, the job runs at once.
* SIGTERM / SIGINT set the refresh's stop event and shut the scheduler down with
  ``wait=True`` (from a helper thread, not inside the signal handler): a running
  refresh finishes its current ticker, records ``interrupted``, and the process
  exits 0.
* One scheduler per store: ``<db>.schedule.lock`` (like the refresh lock).
* Logs go to stderr, one line per event, with the refresh id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_SCHEDULER_STARTED,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from events import SessionCalendar, nyse
from jobs.errors import AlreadyRunningError, JobError, SchedulerRunningError, UsageError
from jobs.runtime.locks import lock_path, pid_lock
from jobs.runtime.logging import configure_logging, remove_logging
from jobs.runtime.signals import stop_on_signals
from jobs.services import ingest
from jobs.services.refresh import Recompute, is_behind, run_refresh
from jobs.services.sources import default_source_factory
from jobs.settings import Settings
from storage.errors import StorageError
from storage.sources.base import PriceSource
from storage.store import Store

JOB_ID = "refresh"
MISFIRE_GRACE_SECONDS: int | None = None  # run a missed refresh however late (see above)
LOGGER = logging.getLogger("jobs.scheduler")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- the scheduler -----------------------------------------------------------------------


def refresh_trigger(settings: Settings, *, interval_seconds: float | None = None) -> BaseTrigger:
    """The cron trigger of ``settings`` (or, for demonstrations, every ``interval_seconds``)."""
    tz = _zone(settings)
    if interval_seconds is not None:
        if interval_seconds <= 0:
            raise UsageError(
                f"--interval {interval_seconds:g} must be a positive number of seconds"
            )
        return IntervalTrigger(seconds=interval_seconds, timezone=tz)
    at = settings.schedule_time
    try:
        return CronTrigger(
            day_of_week=settings.schedule_days,
            hour=at.hour,
            minute=at.minute,
            second=at.second,
            timezone=tz,
        )
    except ValueError as exc:
        raise UsageError(
            f"schedule_days {settings.schedule_days!r} is not a cron day-of-week list "
            f"(e.g. 'mon-fri' or 'mon,wed,fri'): {exc}"
        ) from exc


def _zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.schedule_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"schedule_timezone {settings.schedule_timezone!r} is not an IANA time zone "
            "(e.g. 'America/New_York')"
        ) from exc


def build_scheduler(
    settings: Settings,
    job: Callable[[], object],
    *,
    interval_seconds: float | None = None,
    run_now: bool = False,
) -> BlockingScheduler:
    """A blocking scheduler with the one ``refresh`` job; ``run_now`` adds a run at start."""
    tz = _zone(settings)
    scheduler = BlockingScheduler(
        timezone=tz,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
    )
    extra: dict[str, Any] = {}
    if run_now:
        extra["next_run_time"] = dt.datetime.now(tz)
    scheduler.add_job(
        job,
        refresh_trigger(settings, interval_seconds=interval_seconds),
        id=JOB_ID,
        name="daily refresh",
        replace_existing=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        coalesce=True,
        max_instances=1,
        **extra,
    )
    return scheduler


def refresh_job(
    settings: Settings,
    *,
    store: Store,
    source_factory: Callable[[], PriceSource],
    recompute: Recompute | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    calendar: SessionCalendar | None = None,
    stop: threading.Event | None = None,
) -> Callable[[], None]:
    """The job the scheduler fires: one refresh as of ``clock()``; errors are logged, not raised.

    The source is built afresh each time, so a folder source sees new daily drops.
    """

    def job() -> None:
        if stop is not None and stop.is_set():
            return
        try:
            run_refresh(
                settings,
                as_of=clock(),
                source=source_factory(),
                store=store,
                recompute=recompute,
                calendar=calendar,
                stop=stop,
            )
        except AlreadyRunningError as exc:
            LOGGER.warning("%s; skipping this run", exc)
        except (JobError, StorageError) as exc:
            LOGGER.error("refresh failed: %s", exc)
        except Exception:
            LOGGER.exception("refresh failed with an unexpected error")

    return job


def prepare(
    settings: Settings,
    *,
    store: Store | None = None,
    source_factory: Callable[[], PriceSource] | None = None,
    recompute: Recompute | None = None,
    interval_seconds: float | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    calendar: SessionCalendar | None = None,
    stop: threading.Event | None = None,
) -> tuple[BlockingScheduler, threading.Event]:
    """The scheduler :func:`serve` runs (not started), with a catch-up run if the store is behind."""
    stop = stop or threading.Event()
    cal = calendar or nyse()
    store = store or Store(settings.db, lock_timeout=settings.lock_timeout, on_wait=LOGGER.info)
    if settings.seed:
        ingest.ensure_seeded(store)
    behind = is_behind(store, settings, as_of=clock(), calendar=cal)
    job = refresh_job(
        settings,
        store=store,
        source_factory=source_factory or default_source_factory(settings),
        recompute=recompute,
        clock=clock,
        calendar=cal,
        stop=stop,
    )
    scheduler = build_scheduler(settings, job, interval_seconds=interval_seconds, run_now=behind)
    if behind:
        LOGGER.info("the store is behind the latest completed session: refreshing now")
    return scheduler, stop


def serve(
    settings: Settings,
    *,
    store: Store | None = None,
    source_factory: Callable[[], PriceSource] | None = None,
    recompute: Recompute | None = None,
    interval_seconds: float | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
    calendar: SessionCalendar | None = None,
    log_stream: IO[str] | None = None,
) -> None:
    """Run the refresh on schedule until SIGTERM or SIGINT; returns after a clean shutdown.

    Must run in the main thread (signal handlers). Raises
    :class:`SchedulerRunningError` if a scheduler already serves the same store.
    """
    handler = configure_logging(log_stream)
    try:
        with pid_lock(
            lock_path(settings.db, "schedule"),
            started=_utcnow(),
            busy=lambda pid, when: SchedulerRunningError(
                f"a scheduler is already running for {settings.db} (pid {pid}, started {when}); "
                "stop it first",
                pid=pid,
                started=when,
            ),
        ):
            scheduler, stop = prepare(
                settings,
                store=store,
                source_factory=source_factory,
                recompute=recompute,
                interval_seconds=interval_seconds,
                clock=clock,
                calendar=calendar,
            )
            _run_until_signalled(scheduler, stop)
    finally:
        remove_logging(handler)


def _run_until_signalled(scheduler: BlockingScheduler, stop: threading.Event) -> None:
    stopper: list[threading.Thread] = []
    started = threading.Event()  # shutting down before start() would leave start() blocking

    def shut_down(sig: signal.Signals) -> None:
        LOGGER.info("%s received: finishing the current ticker, then stopping", sig.name)
        started.wait()
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=True)

    def on_signal(sig: signal.Signals) -> None:
        # The handler runs on the main thread, inside the scheduler's loop: do the
        # waiting shutdown from another thread so no scheduler lock is re-entered.
        thread = threading.Thread(target=shut_down, args=(sig,), name="reaction-shutdown")
        stopper.append(thread)
        thread.start()

    def on_event(event: SchedulerEvent) -> None:
        if event.code == EVENT_SCHEDULER_STARTED:
            started.set()
            job = scheduler.get_job(JOB_ID)
            LOGGER.info(
                "scheduler started (pid %s): next refresh at %s; %s",
                os.getpid(),
                job.next_run_time.isoformat() if job and job.next_run_time else "never",
                job.trigger if job else "no job",
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            LOGGER.warning("the previous refresh is still running; this run is skipped")

    scheduler.add_listener(on_event, EVENT_SCHEDULER_STARTED | EVENT_JOB_MAX_INSTANCES)
    with stop_on_signals(stop, then=on_signal):
        if not stop.is_set():
            scheduler.start()
        started.set()
        for thread in stopper:
            thread.join()
    LOGGER.info("scheduler stopped")
