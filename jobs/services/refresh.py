"""The daily refresh: prices through the last completed NYSE session, then the registered studies.

:func:`run_refresh` is the one job function; ``reaction refresh`` and the
scheduler (:mod:`jobs.scheduler`) both call it. One run:

1. works out the **target session**, the latest NYSE session whose close is at
   or before ``as_of`` (holidays and early closes included);
2. takes the **refresh lock** ``<db>.refresh.lock`` (:mod:`jobs.runtime.locks`,
   non-blocking): a second refresh on the same store raises
   :class:`RefreshRunningError` naming the pid holding it. The DuckDB file itself
   is *not* held for the run: one session plans it (records the run, reads what is
   stored), each ticker's write opens the store, commits and closes it again, and
   one session records the outcome; nothing is held while a ticker is fetched, so
   ``reaction sql`` or ``reaction study`` started meanwhile get in between two
   tickers (they wait up to ``lock_timeout`` seconds for a ticker's write);
3. for every tracked ticker (every stored ticker, the catalog's, the registered
   studies', the benchmarks) whose stored prices end before the target, fetches the
   missing sessions plus the last ``recent_sessions`` stored ones again, never past the
   target (:func:`jobs.services.ingest.download`; a new dividend or split re-fetches the
   history), then stores them in one transaction (:func:`jobs.services.ingest.store_download`),
   so a kill keeps every ticker stored before it and nothing of the one under way. A
   failing ticker does not stop the others; a ``stop`` event is honoured between tickers;
4. calls ``recompute(store, changed_tickers)`` when something changed;
5. records the run in ``refresh_runs`` (a ``running`` row at the start, its
   outcome at the end) and every tracked ticker in ``refresh_tickers`` (written
   with the outcome; the fetches are also logged per ticker in ``loads``).
   :mod:`jobs.services.refresh_history` reads them back.

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
from zoneinfo import ZoneInfo

import polars as pl

from events import SessionCalendar, nyse
from jobs.errors import UsageError
from jobs.runtime.locks import refresh_lock
from jobs.services import ingest
from jobs.services.sources import CappedSource
from jobs.settings import Settings
from storage.repos.refresh_log import RefreshStatus, RefreshTicker, TickerStatus
from storage.session import OpenStore
from storage.sources.base import PriceSource
from storage.store import Store

__all__ = ["RefreshResult", "RefreshStatus", "TickerResult", "TickerStatus", "run_refresh"]

Recompute = Callable[[Store, set[str]], list[str]]
"""``recompute(store, changed_tickers) -> ids of the studies recomputed``."""

LOGGER = logging.getLogger("jobs.refresh")
EXCHANGE_TZ = ZoneInfo("America/New_York")
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


def study_tickers(db: OpenStore) -> set[str]:
    """Tickers named by registered studies (any ``tickers`` or ``benchmarks`` list in their TOML)."""
    names: set[str] = set()
    for study in db.studies.list():
        try:
            names |= _ticker_lists(tomllib.loads(study.definition))
        except tomllib.TOMLDecodeError as exc:
            LOGGER.warning(
                "registered study %r is not valid TOML (%s); ignored", study.study_id, exc
            )
    return names


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
    with store.open(write=True) as db:
        return _plan(db, settings)[0]


def _plan(
    db: OpenStore, settings: Settings
) -> tuple[list[str], dict[str, tuple[dt.date, dt.date]]]:
    """The tracked tickers (sorted) and the stored (first, last) session of each stored one."""
    spans = {t: (s.first, s.last) for t, s in db.market.spans().items()}
    catalog = ingest.tickers_to_track(db, settings.benchmarks)
    tracked = (set(catalog) | study_tickers(db) | set(spans)) - set(settings.untracked)
    return sorted(tracked), spans


def is_behind(
    store: Store,
    settings: Settings,
    *,
    as_of: dt.datetime,
    calendar: SessionCalendar | None = None,
) -> bool:
    """Whether some tracked ticker's prices end before the target session of ``as_of``."""
    target = target_session(as_of, calendar)
    with store.open(write=True) as db:
        tickers, spans = _plan(db, settings)
    return any(t not in spans or spans[t][1] < target for t in tickers)


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
        self.log = logging.LoggerAdapter(self.logger, {"refresh_id": self.refresh_id})
        results: list[TickerResult] = []
        up_to_date: list[TickerResult] = []
        try:
            # 1. plan, in one session: the run's record, what to fetch, what the store knows
            with self.store.open(write=True) as db:
                begun = db.refresh_log.begin(
                    started_at=self.started,
                    as_of=self.as_of,
                    target_session=self.target,
                    source=self.source.name,
                )
                self.refresh_id = begun.refresh_id
                self.log = logging.LoggerAdapter(self.logger, {"refresh_id": self.refresh_id})
                tickers, spans = _plan(db, self.settings)
                known = db.market.actions().select("ticker", "date", "kind")
                # what earlier runs that did not settle stored (this run's own loads are in
                # ``changed``)
                left_over = db.refresh_log.left_over_tickers(self.refresh_id)
            for old in begun.interrupted:
                self.log.warning(
                    "refresh %s never recorded its end (its process died); marked interrupted", old
                )
            todo = [t for t in tickers if t not in spans or spans[t][1] < self.target]
            up_to_date = [
                TickerResult(t, "up_to_date", last_session=spans[t][1])
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
            # 2. per ticker: fetch, then store it in a transaction of its own, so a kill loses
            # no ticker already stored and never half of one. A remote source (the network)
            # is fetched with the store released, so readers get in while it waits; a local
            # one (files, memory) answers at once, so one session serves every ticker.
            interrupted = False
            unreachable = 0
            remote = bool(getattr(self.source, "remote", True))
            held: contextlib.AbstractContextManager[OpenStore | None] = (
                contextlib.nullcontext(None) if remote else self.store.open(write=True)
            )
            with held as session:
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
                    d = self._download(capped, ticker, spans.get(ticker), known)
                    result = self._store(d, capped, new=ticker not in spans, db=session)
                    self._log_ticker(result)
                    results.append(result)
                    unreachable = unreachable + 1 if result.transient else 0
            interrupted = interrupted or (stop is not None and stop.is_set())
            changed = {r.ticker for r in results if r.changed}
            studies: list[str] = []
            if recompute is not None and not interrupted:
                # Always offer the recompute: it re-runs a study only when its input hash
                # changed, which also catches new or edited events with no new prices.
                pending = changed | left_over
                self.log.info(
                    "checking registered studies (tickers changed: %s)",
                    ", ".join(sorted(pending)) or "none",
                )
                studies = list(recompute(self.store, pending))
            status, message = self._verdict(todo, results, up_to_date, studies, interrupted)
        except BaseException as exc:
            if not self.refresh_id:
                raise  # the run was never recorded (e.g. the store is busy): nothing to close
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

    def _download(
        self,
        source: CappedSource,
        ticker: str,
        span: tuple[dt.date, dt.date] | None,
        known: pl.DataFrame,
    ) -> ingest.Download:
        return ingest.download(
            source,
            ticker,
            span=span or (None, None),
            end=self.target,
            default_start=ingest.default_history_start(self.settings, self.target),
            recent_sessions=self.settings.recent_sessions,
            calendar=self.calendar,
            known_actions=lambda t: known.filter(pl.col("ticker") == t).select("date", "kind"),
            started_at=self.store.clock(),
        )

    def _store(
        self, d: ingest.Download, source: CappedSource, *, new: bool, db: OpenStore | None
    ) -> TickerResult:
        """Store one download in ``db``, or in a session of its own (none is opened for a
        skipped ticker)."""
        if d.skipped is not None:
            return TickerResult(d.ticker, "skipped", d.start, d.end, error=d.skipped)
        if db is not None:
            o = ingest.store_download(db, d)
        else:
            with self.store.open(write=True) as own:
                o = ingest.store_download(own, d)
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
        every = (*results, *up_to_date)
        with self.store.open(write=True) as db, db.transaction():
            # NOTE: per-ticker rows are written here, with the outcome; a SIGKILLed run loses
            # them (its fetches stay in ``loads``, its run row becomes interrupted).
            db.refresh_log.record_tickers(
                self.refresh_id,
                [
                    RefreshTicker(
                        ticker=r.ticker,
                        status=r.status,
                        fetch_start=r.fetch_start,
                        fetch_end=r.fetch_end,
                        rows_inserted=r.inserted,
                        rows_revised=r.revised,
                        new_actions=r.new_actions,
                        refetched_history=r.refetched_history,
                        error=r.error,
                    )
                    for r in every
                ],
            )
            db.refresh_log.finish(
                self.refresh_id,
                finished_at=finished,
                status=status,
                message=message,
                tickers_ok=sum(1 for r in every if r.status in ("ok", "up_to_date")),
                tickers_failed=sum(1 for r in results if r.failed),
                rows_inserted=sum(r.inserted for r in results),
                rows_revised=sum(r.revised for r in results),
                studies_recomputed=studies,
            )
        return finished


def _one_line(exc: BaseException | str) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return first
