"""The daily refresh: prices through the last completed NYSE session, then the registered studies.

:func:`run_refresh` is the one job function; ``reaction refresh`` and the
scheduler (:mod:`jobs.scheduler`) both call it. One run:

1. works out the **target session**, the latest NYSE session whose close is at
   or before ``as_of`` (holidays and early closes included);
2. takes the **refresh lock** ``<db>.refresh.lock`` (:mod:`jobs.runtime.locks`,
   non-blocking): a second refresh on the same store raises
   :class:`RefreshRunningError` naming the pid holding it. The DuckDB file itself
   is *not* held: every write opens the store, commits and closes it again, so
   ``reaction sql`` or ``reaction study`` started meanwhile get in between two
   tickers (they wait up to ``lock_timeout`` seconds for a ticker's write);
3. for every tracked ticker (the catalog's, the registered studies', the
   benchmarks) whose stored prices end before the target, fetches the missing
   sessions plus the last ``recent_sessions`` stored ones again, never past the
   target (:func:`jobs.services.ingest.fetch_ticker`: one transaction per ticker, a new
   dividend or split re-fetches the history). A failing ticker does not stop
   the others; a ``stop`` event is honoured between tickers;
4. calls ``recompute(store, changed_tickers)`` when something changed;
5. records the run in ``refresh_runs`` (a ``running`` row at the start, its
   outcome at the end) and every tracked ticker in ``refresh_tickers`` (written
   with the outcome; the fetches are also logged per ticker in ``loads``).
   :func:`refresh_history` and :func:`refresh_details` read them back.

Run statuses:

===============  ================================================================
``running``      still going (or its process died: the next run marks it ``interrupted``)
``ok``           every ticker is through the target; something changed
``noop``         nothing new (already up to date, or a non-session day)
``partial``      some tickers failed or came back short; the next run retries them
``failed``       every ticker that needed fetching failed, or an error stopped the run
``interrupted``  stopped between tickers (SIGTERM), or the process died
===============  ================================================================

Ticker statuses: ``ok``, ``incomplete`` (the source returned fewer sessions
than asked: what came is stored, the next run asks again), ``error`` (the
source failed: 429, timeout, unknown ticker, no data), ``skipped``, and
``up_to_date`` (nothing to fetch; not fetched).

Recovery: a run that did not reach its end (killed, interrupted, or failed)
may have stored prices without recomputing studies. The next run recomputes
the tickers changed since the oldest such run, found from the ``fetched_at``
stamps in ``prices`` and ``actions``, so nothing is left stale.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import polars as pl

from events import SessionCalendar, nyse
from jobs.errors import UsageError
from jobs.runtime.locks import refresh_lock
from jobs.services import ingest
from jobs.services.sources import CappedSource
from jobs.settings import Settings
from storage.sources.base import PriceSource
from storage.store import Store

RefreshStatus = Literal["running", "ok", "noop", "partial", "failed", "interrupted"]
TickerStatus = Literal["ok", "incomplete", "error", "skipped", "up_to_date"]
Recompute = Callable[[Store, set[str]], list[str]]
"""``recompute(store, changed_tickers) -> ids of the studies recomputed``."""

LOGGER = logging.getLogger("jobs.refresh")
EXCHANGE_TZ = ZoneInfo("America/New_York")
_SETTLED = ("ok", "partial", "noop")  # runs that recomputed whatever they changed
_UNSETTLED = ("interrupted", "failed")
_ERRORS_SHOWN = 3
#: Transient failures in a row (network, rate limit) after which the refresh stops trying.
UNREACHABLE_STOP = 2


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TickerResult:
    """What the refresh did for one ticker (a ``refresh_tickers`` row)."""

    ticker: str
    status: TickerStatus
    fetch_start: dt.date | None = None
    fetch_end: dt.date | None = None
    last_session: dt.date | None = None
    inserted: int = 0
    revised: int = 0
    new_actions: int = 0
    refetched_history: bool = False
    error: str | None = None
    transient: bool = False  # the source may answer later (network, rate limit)
    new_ticker: bool = False  # nothing was stored before: its history was fetched

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.revised or self.new_actions)

    @property
    def failed(self) -> bool:
        return self.status in ("error", "incomplete")


@dataclass(frozen=True)
class RefreshResult:
    """One refresh run, as recorded in ``refresh_runs``."""

    refresh_id: int
    status: RefreshStatus
    message: str
    as_of: dt.datetime
    target_session: dt.date
    source: str
    started_at: dt.datetime
    finished_at: dt.datetime
    tickers: tuple[TickerResult, ...] = ()
    changed_tickers: frozenset[str] = frozenset()
    studies_recomputed: tuple[str, ...] = ()

    @property
    def failed_tickers(self) -> tuple[TickerResult, ...]:
        return tuple(t for t in self.tickers if t.failed)

    @property
    def exit_code(self) -> int:
        """0 when the store is through the target session (``ok``/``noop``), else 1."""
        return 0 if self.status in ("ok", "noop") else 1


# -- what to fetch -----------------------------------------------------------------------


def target_session(as_of: dt.datetime, calendar: SessionCalendar | None = None) -> dt.date:
    """The latest NYSE session whose close is at or before the aware time ``as_of``."""
    if as_of.tzinfo is None:
        raise UsageError("as_of must be timezone-aware, e.g. 2025-11-21T18:30-05:00")
    return (calendar or nyse()).latest_completed_session(as_of)


def study_tickers(store: Store) -> set[str]:
    """Tickers named by registered studies (any ``tickers`` or ``benchmarks`` list in their TOML)."""
    return _snapshot(store)[0]


def _snapshot(store: Store) -> tuple[set[str], dict[str, dt.date]]:
    """Registered studies' tickers and the last stored session per ticker, in one connection."""
    with store.connect(read_only=True) as con:
        studies = con.execute(
            "SELECT study_id, definition FROM studies ORDER BY study_id"
        ).fetchall()
        last = con.execute("SELECT ticker, max(date) FROM prices GROUP BY ticker").fetchall()
    names: set[str] = set()
    for study_id, text in studies:
        try:
            names |= _ticker_lists(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            LOGGER.warning("registered study %r is not valid TOML (%s); ignored", study_id, exc)
    return names, dict(last)


def _ticker_lists(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("tickers", "benchmarks") and isinstance(value, list):
                found |= {v.strip().upper() for v in value if isinstance(v, str) and v.strip()}
            else:
                found |= _ticker_lists(value)
    elif isinstance(node, list):
        for item in node:
            found |= _ticker_lists(item)
    return found


def tracked_tickers(store: Store, settings: Settings) -> list[str]:
    """Every ticker the refresh keeps current: every stored ticker, the catalog's, the
    registered studies', the benchmarks; less ``settings.untracked``."""
    return _plan(store, settings)[0]


def _plan(store: Store, settings: Settings) -> tuple[list[str], dict[str, dt.date]]:
    """The tracked tickers (sorted) and the last stored session of each stored ticker."""
    in_studies, last = _snapshot(store)
    catalog = ingest.tickers_to_track(store, settings.benchmarks)
    tracked = (set(catalog) | in_studies | set(last)) - set(settings.untracked)
    return sorted(tracked), last


def is_behind(
    store: Store,
    settings: Settings,
    *,
    as_of: dt.datetime,
    calendar: SessionCalendar | None = None,
) -> bool:
    """Whether some tracked ticker's prices end before the target session of ``as_of``."""
    target = target_session(as_of, calendar)
    store.init()
    tickers, last = _plan(store, settings)
    return any(last.get(t) is None or last[t] < target for t in tickers)


# -- the run -----------------------------------------------------------------------------


def run_refresh(
    settings: Settings,
    *,
    as_of: dt.datetime,
    source: PriceSource,
    store: Store,
    recompute: Recompute | None = None,
    calendar: SessionCalendar | None = None,
    stop: threading.Event | None = None,
    log: logging.Logger | None = None,
) -> RefreshResult:
    """Bring prices up to the last completed session as of ``as_of``, then recompute studies.

    Parameters
    ----------
    settings
        ``benchmarks``, ``recent_sessions`` and ``history_start`` are used; the
        store is ``store`` (its path decides the lock file).
    as_of
        The aware time the run acts for (the scheduler passes "now").
    source
        Where prices come from (Yahoo, a :class:`~storage.sources.files.FileSource` ...).
    recompute
        Called once, after the prices, with the tickers whose rows changed
        (plus those left un-recomputed by an earlier run that did not finish);
        returns the ids of the studies it recomputed. Not called when nothing changed.
    stop
        When set, the run ends after the current ticker's transaction with
        status ``interrupted`` (studies are then recomputed by the next run).

    Raises
    ------
    RefreshRunningError
        when another refresh of the same store is running (nothing is recorded).
    UsageError
        when ``as_of`` is naive.

    Any other error is recorded as a ``failed`` run and re-raised.
    """
    cal = calendar or nyse()
    target = target_session(as_of, cal)
    started = store.clock()
    with refresh_lock(store.path, started=started):
        run = _Run(settings, store, source, cal, as_of, target, started, log or LOGGER)
        return run.execute(recompute, stop)


@dataclass
class _Run:
    settings: Settings
    store: Store
    source: PriceSource
    calendar: SessionCalendar
    as_of: dt.datetime
    target: dt.date
    started: dt.datetime
    logger: logging.Logger
    refresh_id: int = 0
    unreachable: bool = False  # stopped early: the source failed for several tickers in a row
    log: logging.LoggerAdapter[logging.Logger] = field(init=False)

    def execute(self, recompute: Recompute | None, stop: threading.Event | None) -> RefreshResult:
        self.refresh_id, stale = _begin(
            self.store, self.started, self.as_of, self.target, self.source.name
        )
        self.log = logging.LoggerAdapter(self.logger, {"refresh_id": self.refresh_id})
        for old in stale:
            self.log.warning(
                "refresh %s never recorded its end (its process died); marked interrupted", old
            )
        results: list[TickerResult] = []
        up_to_date: list[TickerResult] = []
        try:
            tickers, last = _plan(self.store, self.settings)
            todo = [t for t in tickers if last.get(t) is None or last[t] < self.target]
            up_to_date = [
                TickerResult(t, "up_to_date", last_session=last[t])
                for t in tickers
                if t not in todo
            ]
            self.log.info(
                "target session %s (as of %s) from %s: %d tickers tracked, %d to fetch",
                self.target,
                self.as_of.isoformat(timespec="minutes"),
                self.source.name,
                len(tickers),
                len(todo),
            )
            capped = CappedSource(self.source)
            interrupted = False
            unreachable = 0
            for ticker in todo:
                if stop is not None and stop.is_set():
                    interrupted = True
                    break
                if unreachable >= UNREACHABLE_STOP:
                    self.log.warning(
                        "%d tickers in a row could not be fetched (network?): not trying the "
                        "other %d",
                        unreachable,
                        len(todo) - len(results),
                    )
                    self.unreachable = True
                    break
                result = self._ticker(capped, ticker, new=ticker not in last)
                self._log_ticker(result)
                results.append(result)
                unreachable = unreachable + 1 if result.transient else 0
            interrupted = interrupted or (stop is not None and stop.is_set())
            changed = {r.ticker for r in results if r.changed}
            studies: list[str] = []
            if recompute is not None and not interrupted:
                # Always offer the recompute: it re-runs a study only when its input hash
                # changed, which also catches new or edited events with no new prices.
                pending = changed | _left_over(self.store, self.refresh_id)
                self.log.info(
                    "checking registered studies (tickers changed: %s)",
                    ", ".join(sorted(pending)) or "none",
                )
                studies = list(recompute(self.store, pending))
            status, message = self._verdict(todo, results, up_to_date, studies, interrupted)
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            message = f"{'stopped' if status == 'interrupted' else 'failed'}: {_one_line(exc)}"
            with contextlib.suppress(Exception):
                self._finish(status, message, results, up_to_date, [])
            self.log.error("finished: %s: %s", status, message)
            raise
        finished = self._finish(status, message, results, up_to_date, studies)
        level = logging.INFO if status in ("ok", "noop") else logging.WARNING
        self.log.log(level, "finished: %s: %s", status, message)
        return RefreshResult(
            refresh_id=self.refresh_id,
            status=status,
            message=message,
            as_of=self.as_of,
            target_session=self.target,
            source=self.source.name,
            started_at=self.started,
            finished_at=finished,
            tickers=tuple(results + up_to_date),
            changed_tickers=frozenset(changed),
            studies_recomputed=tuple(studies),
        )

    def _ticker(self, source: CappedSource, ticker: str, *, new: bool) -> TickerResult:
        default_start = ingest.default_history_start(self.settings, self.target)
        o = ingest.fetch_ticker(
            self.store,
            source,
            ticker,
            end=self.target,
            default_start=default_start,
            recent_sessions=self.settings.recent_sessions,
            calendar=self.calendar,
        )
        if o.error is not None:
            return TickerResult(
                o.ticker, "error", o.start, o.end, error=o.error, transient=o.transient
            )
        if o.skipped is not None:
            return TickerResult(o.ticker, "skipped", o.start, o.end, error=o.skipped)
        reached = source.reached.get(o.ticker)
        short = reached is None or reached < self.target
        return TickerResult(
            o.ticker,
            "incomplete" if short else "ok",
            o.start,
            o.end,
            reached,
            o.inserted,
            o.revised,
            o.new_actions,
            o.refetched_history,
            error=(
                f"{source.name} returned sessions only through {reached}, not {self.target}; "
                "the next refresh asks again"
                if short
                else None
            ),
            new_ticker=new,
        )

    def _log_ticker(self, r: TickerResult) -> None:
        if r.status == "error":
            self.log.warning("%s: failed: %s", r.ticker, r.error)
        elif r.status == "skipped":
            self.log.info("%s: skipped: %s", r.ticker, r.error)
        else:
            self.log.log(
                logging.WARNING if r.status == "incomplete" else logging.INFO,
                "%s: %d new, %d revised (%s .. %s)%s%s%s",
                r.ticker,
                r.inserted,
                r.revised,
                r.fetch_start,
                r.fetch_end,
                f"; a new ticker: its history from {r.fetch_start} was fetched (set "
                "REACTION_HISTORY_START for an earlier start)"
                if r.new_ticker
                else "",
                "; new dividend/split, history re-fetched" if r.refetched_history else "",
                f"; incomplete: {r.error}" if r.status == "incomplete" else "",
            )

    def _verdict(
        self,
        todo: Sequence[str],
        results: Sequence[TickerResult],
        up_to_date: Sequence[TickerResult],
        studies: Sequence[str],
        interrupted: bool,
    ) -> tuple[RefreshStatus, str]:
        failed = [r for r in results if r.failed]
        changed = [r for r in results if r.changed]
        inserted = sum(r.inserted for r in results)
        revised = sum(r.revised for r in results)
        done = (
            f"{len(changed)} ticker(s) changed ({inserted} new rows, {revised} revised)"
            if changed
            else "no rows changed"
        )
        recomputed = f"; {len(studies)} study(ies) recomputed" if studies else ""
        errors = "; ".join(
            f"{r.ticker}: {_one_line(r.error or '')}" for r in failed[:_ERRORS_SHOWN]
        )
        if len(failed) > _ERRORS_SHOWN:
            errors += f"; and {len(failed) - _ERRORS_SHOWN} more"
        if self.unreachable:
            left = len(todo) - len(results)
            return "failed" if not changed else "partial", (
                f"the source {self.source.name} could not be reached ({errors}); the other "
                f"{left} ticker(s) were not tried. Without a network, refresh from files: "
                "'reaction refresh --source FILE_OR_FOLDER' (or 'reaction prices import FILE')"
            )
        if interrupted:
            return "interrupted", (
                f"stopped after {len(results)} of {len(todo)} ticker(s) to fetch, {done}; "
                "the next refresh fetches the rest and recomputes the studies"
            )
        if failed and len(failed) == len(todo):
            return "failed", f"all {len(todo)} ticker(s) to fetch failed ({errors}){recomputed}"
        if failed:
            return "partial", (
                f"prices through {self.target} except {len(failed)} of {len(todo)} ticker(s) "
                f"({errors}); {done}{recomputed}; the next refresh retries them"
            )
        if changed or studies:
            return "ok", f"prices through {self.target}: {done}{recomputed}"
        if not todo and not up_to_date:
            return "noop", "no tickers to track: add events, register a study or set benchmarks"
        day = self.as_of.astimezone(EXCHANGE_TZ).date()
        if not self.calendar.is_session(day):
            return "noop", (
                f"{day} is not an NYSE session; prices are already through {self.target} "
                f"for all {len(up_to_date)} tracked ticker(s)"
            )
        return "noop", f"nothing new: prices are already through {self.target}"

    def _finish(
        self,
        status: RefreshStatus,
        message: str,
        results: Sequence[TickerResult],
        up_to_date: Sequence[TickerResult],
        studies: Sequence[str],
    ) -> dt.datetime:
        finished = self.store.clock()
        with self.store.transaction() as con:
            # NOTE: per-ticker rows are written here, not after each ticker: a store open
            # costs ~30 ms and fetch_ticker owns the ticker's transaction. A SIGKILLed run
            # loses them (its fetches stay in ``loads``, its run row becomes interrupted).
            for r in (*results, *up_to_date):
                _insert_ticker(con, self.refresh_id, r)
            con.execute(
                "UPDATE refresh_runs SET finished_at = ?, status = ?, message = ?, "
                "tickers_ok = ?, tickers_failed = ?, rows_inserted = ?, rows_revised = ?, "
                "studies_recomputed = ? WHERE refresh_id = ?",
                [
                    finished,
                    status,
                    message,
                    sum(1 for r in (*results, *up_to_date) if r.status in ("ok", "up_to_date")),
                    sum(1 for r in results if r.failed),
                    sum(r.inserted for r in results),
                    sum(r.revised for r in results),
                    list(studies),
                    self.refresh_id,
                ],
            )
        return finished


def _one_line(exc: BaseException | str) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return first


def _begin(
    store: Store, started: dt.datetime, as_of: dt.datetime, target: dt.date, source: str
) -> tuple[int, list[int]]:
    """Record the run as ``running``; mark runs whose process died as ``interrupted``.

    Only called under the refresh lock, so any other ``running`` run is dead.
    """
    with store.transaction() as con:
        stale = [
            int(r[0])
            for r in con.execute(
                "SELECT refresh_id FROM refresh_runs WHERE status = 'running' ORDER BY refresh_id"
            ).fetchall()
        ]
        row = con.execute(
            "INSERT INTO refresh_runs (started_at, as_of, target_session, source, status) "
            "VALUES (?, ?, ?, ?, 'running') RETURNING refresh_id",
            [started, as_of, target, source],
        ).fetchall()
        refresh_id = int(row[0][0])
        if stale:
            con.execute(
                "UPDATE refresh_runs SET status = 'interrupted', message = ? "
                "WHERE refresh_id IN (SELECT unnest(?::BIGINT[]))",
                [
                    "the refresh process ended without recording its outcome (killed or crashed); "
                    f"found by refresh {refresh_id}, which fetched what was missing",
                    stale,
                ],
            )
    return refresh_id, stale


def _left_over(store: Store, refresh_id: int) -> set[str]:
    """Tickers changed since the oldest run that did not finish its recompute."""
    since = store.query(
        "SELECT min(started_at) AS since FROM refresh_runs WHERE refresh_id < ? "
        "AND status IN (SELECT unnest(?::VARCHAR[])) AND refresh_id > coalesce(("
        "  SELECT max(refresh_id) FROM refresh_runs WHERE refresh_id < ? "
        "  AND status IN (SELECT unnest(?::VARCHAR[]))), 0)",
        [refresh_id, list(_UNSETTLED), refresh_id, list(_SETTLED)],
    ).item()
    if since is None:
        return set()
    frame = store.query(
        "SELECT ticker FROM prices WHERE fetched_at >= ? "
        "UNION SELECT ticker FROM actions WHERE fetched_at >= ?",
        [since, since],
    )
    return set(frame.get_column("ticker").to_list())


_TICKER_SQL = (
    "INSERT INTO refresh_tickers (refresh_id, ticker, fetch_start, fetch_end, rows_inserted, "
    "rows_revised, new_actions, refetched_history, status, error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _insert_ticker(con: Any, refresh_id: int, r: TickerResult) -> None:
    con.execute(
        _TICKER_SQL,
        [
            refresh_id,
            r.ticker,
            r.fetch_start,
            r.fetch_end,
            r.inserted,
            r.revised,
            r.new_actions,
            r.refetched_history,
            r.status,
            r.error,
        ],
    )


# -- reading the record ------------------------------------------------------------------


def refresh_history(store: Store, limit: int = 20) -> pl.DataFrame:
    """The latest refresh runs, newest first (``reaction refresh --history``)."""
    return store.query(
        "SELECT refresh_id, started_at, finished_at, as_of, target_session, source, status, "
        "tickers_ok, tickers_failed, rows_inserted, rows_revised, studies_recomputed, message "
        "FROM refresh_runs ORDER BY refresh_id DESC LIMIT ?",
        [limit],
    )


def refresh_history_table(store: Store, limit: int = 20) -> pl.DataFrame:
    """:func:`refresh_history` as ``reaction refresh --history`` prints it."""
    return refresh_history(store, limit).select(
        "refresh_id",
        pl.col("started_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("started (UTC)"),
        "target_session",
        "status",
        pl.col("tickers_ok").alias("ok"),
        pl.col("tickers_failed").alias("failed"),
        pl.col("rows_inserted").alias("new"),
        pl.col("rows_revised").alias("revised"),
        pl.col("studies_recomputed").list.join(",").alias("studies"),
        "message",
    )


def refresh_details(store: Store, refresh_id: int) -> pl.DataFrame:
    """One run's per-ticker rows: failures first, then by ticker."""
    return store.query(
        "SELECT ticker, status, fetch_start, fetch_end, rows_inserted, rows_revised, new_actions, "
        "refetched_history, error FROM refresh_tickers WHERE refresh_id = ? "
        "ORDER BY status NOT IN ('error', 'incomplete'), ticker",
        [refresh_id],
    )
