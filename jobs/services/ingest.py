"""Loading data into the store: event catalogs, price and factor files, and fetches.

These functions wire ``events`` and ``storage`` together; the CLI, the study and the
refresh call them. Those that touch no network take an open session
(:class:`storage.OpenStore`, one connection for the whole command); those that fetch take
the :class:`~storage.Store` and open a session only to write, so the file is never held
while waiting for the network. Every write is all or nothing and is recorded in the
``loads`` table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from storage.errors import ImportFileError, SourceError, StorageError, Transient
from storage.repos import UpsertCounts
from storage.repos.events import EventRecord
from storage.store import Store

if TYPE_CHECKING:
    import polars as pl

    from events import Event, ResolvedEvent, SessionCalendar
    from jobs.settings import Settings
    from storage.repos.price_csv import StagedPrices
    from storage.session import OpenStore
    from storage.sources.base import PriceBatch, PriceSource
    from storage.sources.files import ParsedFile, SessionDates

SEED_TARGET = "<package>/seed/seed-events.toml"


# -- opening a store for use -------------------------------------------------------------------


def prepare(db: OpenStore, *, seed: bool = True, calendar: SessionCalendar | None = None) -> bool:
    """Make a store ready: the NYSE session calendar, and (unless ``seed`` is off) the seed
    catalog when it was never loaded. True when the seed catalog was loaded now."""
    if calendar is not None or not _has_shipped_calendar(db):
        from events import nyse  # builds the calendar (numpy): only for a new or older store

        db.market.ensure_sessions((calendar or nyse()).sessions)
    if not seed or db.loads.has("events", SEED_TARGET):
        return False
    from events import seed_catalog

    store_events(db, seed_catalog(), catalog=SEED_TARGET, calendar=calendar)
    return True


@contextmanager
def open_ready(store: Store, *, seed: bool = True) -> Iterator[OpenStore]:
    """A write session on a store made ready by :func:`prepare` (created if it did not exist)."""
    with store.open(write=True) as db:
        prepare(db, seed=seed)
        yield db


# -- events ----------------------------------------------------------------------------


def event_records(resolved: Sequence[ResolvedEvent], catalog: str) -> list[EventRecord]:
    """The stored form of resolved events."""
    return [
        EventRecord(
            event_id=r.event.id,
            title=r.event.title,
            category=r.event.category,
            announced_date=r.event.announced_date,
            announced_at=r.event.announced_at.astimezone(dt.UTC) if r.event.announced_at else None,
            timing=r.event.timing,
            day0=r.day0,
            day0_rule=r.rule,
            timing_assumed=r.assumed,
            source=r.event.source,
            tags=tuple(r.event.tags),
            catalog=catalog,
            tickers=tuple(r.event.tickers),
        )
        for r in resolved
    ]


@dataclass(frozen=True)
class EventImport:
    """What importing events did: the upsert counts and the duplicates linked to stored
    events (:mod:`events.duplicates`): ``links`` as ``(alias, kept event)`` pairs, and the
    stored date-only events that a new event with a stated time replaced."""

    counts: UpsertCounts
    links: tuple[tuple[str, str], ...] = ()
    replaced: tuple[str, ...] = ()

    def sentence(self) -> str:
        """The duplicates part of an import summary ('' when there were none)."""
        if not self.links:
            return ""
        shown = ", ".join(f"{a} = {b}" for a, b in self.links[:3])
        more = f", ... ({len(self.links) - 3} more)" if len(self.links) > 3 else ""
        replaced = (
            f"; {len(self.replaced)} stored date-only event(s) replaced by one with a time"
            if self.replaced
            else ""
        )
        return (
            f"{len(self.links)} duplicate(s) of stored events linked as aliases, not stored "
            f"again ({shown}{more}){replaced}"
        )


def import_events(
    db: OpenStore,
    events: Sequence[Event],
    *,
    catalog: str,
    calendar: SessionCalendar | None = None,
) -> EventImport:
    """Resolve day 0, link duplicates of stored events (:func:`events.duplicates.link_duplicates`:
    same ticker and category, one side date-only, day 0 within one session) and upsert the
    rest (all or nothing), logging the load. A date-only event already inferred keeps its
    inferred timing when it comes again without one."""
    from events import nyse, resolve_many
    from events.duplicates import KnownEvent, link_duplicates
    from storage.repos.events import AliasRecord

    cal = calendar or nyse()
    started = db.now()
    stored = db.events.frame().select("event_id", "tickers", "category", "day0", "timing")
    timing_of = dict(zip(stored["event_id"], stored["timing"], strict=True))
    events = [_keep_inferred(e, timing_of.get(e.id)) for e in events]
    resolved = resolve_many(events, cal)
    linked = link_duplicates(
        resolved,
        [
            KnownEvent(r[0], r[1][0], r[2], r[3], r[4])
            for r in stored.iter_rows()
            if r[1]  # an event without tickers cannot be matched
        ],
        cal,
        known_aliases={a.alias_id: a.event_id for a in db.events.aliases()},
    )
    with db.transaction():
        db.events.delete(linked.replaced)
        counts = db.events.upsert(event_records(linked.keep, catalog))
        db.events.add_aliases(
            [
                AliasRecord(
                    alias_id=lk.alias_id,
                    event_id=lk.event_id,
                    ticker=lk.ticker,
                    category=lk.category,
                    day0=lk.day0,
                    catalog=catalog,
                )
                for lk in linked.links
            ]
        )
        db.loads.record(kind="events", target=catalog, started_at=started, counts=counts)
    return EventImport(
        counts,
        tuple((lk.alias_id, lk.event_id) for lk in linked.links),
        tuple(linked.replaced),
    )


def _keep_inferred(event: Event, stored_timing: str | None) -> Event:
    if (
        event.timing == "unknown"
        and event.announced_at is None
        and stored_timing in ("inferred_after_close", "inferred_during_session")
    ):
        return event.model_copy(update={"timing": stored_timing})
    return event


def store_events(
    db: OpenStore,
    events: Sequence[Event],
    *,
    catalog: str,
    calendar: SessionCalendar | None = None,
) -> UpsertCounts:
    """:func:`import_events`, returning the upsert counts."""
    return import_events(db, events, catalog=catalog, calendar=calendar).counts


# -- price files -----------------------------------------------------------------------


@dataclass(frozen=True)
class FileLoad:
    """What importing one file did."""

    path: Path
    layout: str
    rows_read: int
    prices: UpsertCounts
    actions: UpsertCounts
    rejected: list[tuple[int, str]] = field(default_factory=list)


def import_price_files(
    db: OpenStore,
    paths: Sequence[str | Path],
    *,
    ticker: str | None = None,
    skip_bad_rows: bool = False,
) -> list[FileLoad]:
    """Import price / dividend / split files in one transaction.

    Every file is parsed and validated first; if any has bad rows (and
    ``skip_bad_rows`` is off) nothing is written and :class:`ImportFileError`
    names the file, the lines and the reasons.

    A clean long CSV (the usual export) is staged by DuckDB alone
    (:meth:`~storage.repos.market.MarketRepo.stage_price_csv`), without polars; any other
    file, and any file with a doubtful row, is read by
    :func:`storage.sources.files.read_file`, which explains bad rows. Both give the same rows.
    """
    started = db.now()
    db.write_through()  # the files' rows are written once, at commit (not logged, then copied)
    shipped = _has_shipped_calendar(db)
    sessions: SessionDates | None = None
    staged: dict[int, StagedPrices] = {}
    parsed: dict[int, ParsedFile] = {}
    try:
        for i, p in enumerate(paths):
            fast = None
            if ticker is None and shipped:  # the checks of read_file, by the store's calendar
                fast = db.market.stage_price_csv(Path(p))
            if fast is not None:
                staged[i] = fast
                continue
            from storage.sources.files import check_problems, read_file

            if sessions is None:
                sessions = _holiday_check_sessions(db, shipped=shipped)
            try:
                one = read_file(p, ticker=ticker, sessions=sessions)
                check_problems(one, skip_bad_rows=skip_bad_rows)
            except ImportFileError as exc:
                db.loads.record(
                    kind="prices-file",
                    target=str(p),
                    started_at=started,
                    outcome="failed",
                    error=str(exc),
                )
                raise
            parsed[i] = one
        results: list[FileLoad] = []
        with db.transaction():
            for i in range(len(paths)):
                if i in staged:
                    results.append(_load_staged(db, staged[i], started))
                else:
                    results.append(_load_parsed(db, parsed[i], started))
        return results
    finally:  # loaded or not, once the transaction is over
        for left in staged.values():
            db.market.discard_staged(left)


def _load_staged(db: OpenStore, staged: StagedPrices, started: dt.datetime) -> FileLoad:
    counts = db.market.upsert_staged_prices(staged, source=f"file:{staged.path.name}")
    db.loads.record(
        kind="prices-file",
        target=str(staged.path),
        started_at=started,
        counts=counts,
        rejected=0,
        outcome="ok",
    )
    return FileLoad(staged.path, "long", staged.rows, counts, UpsertCounts())


def _load_parsed(db: OpenStore, one: ParsedFile, started: dt.datetime) -> FileLoad:
    source = f"file:{one.path.name}"
    pc = db.market.upsert_prices(one.prices, source=source)
    ac = db.market.upsert_actions(one.actions, source=source)
    db.loads.record(
        kind="prices-file",
        target=str(one.path),
        started_at=started,
        counts=pc + ac,
        rejected=len(one.problems),
        outcome="ok" if not one.problems else "ok-with-rejections",
    )
    return FileLoad(one.path, one.layout, one.rows_read, pc, ac, one.problems)


def _has_shipped_calendar(db: OpenStore) -> bool:
    """Whether the store's sessions are the shipped calendar's (same count, first and last
    session; read from the calendar file, without building the calendar)."""
    from events.calendar_file import calendar_summary

    return db.market.session_summary() == calendar_summary()


def _holiday_check_sessions(db: OpenStore, *, shipped: bool | None = None) -> SessionDates:
    """The NYSE sessions a price row's date must be one of: the store's own calendar when
    it is the shipped one (``shipped``, else asked; as :func:`prepare` leaves it; read without
    building the calendar, which imports numpy: about 0.07 s of a price import), else the
    shipped calendar's."""
    if _has_shipped_calendar(db) if shipped is None else shipped:
        return db.market.sessions()
    from events import nyse

    return nyse().sessions


# -- factors ---------------------------------------------------------------------------


def import_factor_files(db: OpenStore, paths: Sequence[str | Path]) -> UpsertCounts:
    """Import Ken French factor files (normalised or as published, merged on date).

    Values are percent in the files and stored as fractions.
    """
    from storage.sources.french import read_factors

    started = db.now()
    target = ", ".join(str(p) for p in paths)
    try:
        frame = read_factors(*paths)
    except StorageError as exc:
        db.loads.record(
            kind="factors-file", target=target, started_at=started, outcome="failed", error=str(exc)
        )
        raise
    return store_factors(
        db,
        frame,
        source="file:" + ",".join(Path(p).name for p in paths),
        started=started,
        target=target,
    )


def fetch_factors(store: Store) -> UpsertCounts:
    """Download the Ken French daily 5-factor and momentum files, then store them."""
    from storage.sources.french import download_french_factors

    started = store.clock()
    frame = download_french_factors()
    with store.open(write=True) as db:
        return store_factors(
            db, frame, source="ken-french", started=started, target="Ken French Data Library"
        )


def store_factors(
    db: OpenStore, frame: pl.DataFrame, *, source: str, started: dt.datetime, target: str
) -> UpsertCounts:
    """Upsert a factor frame (fractions) in one transaction and log it."""
    with db.transaction():
        counts = db.market.upsert_factors(frame, source=source)
        db.loads.record(kind="factors", target=target, started_at=started, counts=counts)
    return counts


# -- fetching --------------------------------------------------------------------------


@dataclass(frozen=True)
class TickerOutcome:
    """What one ticker's fetch did (``error`` set when it failed)."""

    ticker: str
    start: dt.date | None
    end: dt.date | None
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    new_actions: int = 0
    refetched_history: bool = False
    error: str | None = None
    skipped: str | None = None
    transient: bool = False  # the error may go away by itself (network, rate limit)


@dataclass(frozen=True)
class Download:
    """One ticker's fetch, before it is stored: the batch, or why there is none."""

    ticker: str
    start: dt.date
    end: dt.date
    started_at: dt.datetime
    batch: PriceBatch | None = None
    refetched_history: bool = False
    error: SourceError | None = None
    skipped: str | None = None


def default_history_start(settings: Settings, end: dt.date) -> dt.date:
    """The first date fetched for a ticker the store does not have: ``history_start`` or ten
    years before ``end``'s year."""
    return settings.history_start or dt.date(end.year - 10, 1, 1)


def tickers_to_track(db: OpenStore, benchmarks: Sequence[str]) -> list[str]:
    """Every ticker the catalog references, plus the benchmarks."""
    return sorted(set(db.events.tickers()) | {b.upper() for b in benchmarks})


def fetch_start(
    last: dt.date | None, *, default_start: dt.date, recent_sessions: int, calendar: SessionCalendar
) -> dt.date:
    """Where a fetch starts: ``default_start`` for a new ticker, else the last
    ``recent_sessions`` stored sessions again (sources revise recent bars)."""
    if last is None:
        return default_start
    recent = calendar.sessions_in_range(dt.date(last.year - 1, 1, 1), last)
    return recent[-recent_sessions] if recent_sessions and len(recent) >= recent_sessions else last


def download(
    source: PriceSource,
    ticker: str,
    *,
    span: tuple[dt.date | None, dt.date | None],
    end: dt.date,
    default_start: dt.date,
    recent_sessions: int,
    calendar: SessionCalendar,
    known_actions: Callable[[str], pl.DataFrame],
    started_at: dt.datetime,
    start: dt.date | None = None,
) -> Download:
    """Fetch one ticker's missing sessions (plus the last ``recent_sessions`` again); no store.

    ``span`` is the ticker's stored (first, last) date. When the fetch reveals a dividend or
    split that ``known_actions(ticker)`` (``date, kind``) lacks, the whole history is fetched
    again, because Yahoo back-adjusts ``adj_close`` for every earlier date.
    """
    symbol = ticker.upper()
    first, last = span
    if start is None:
        start = fetch_start(
            last, default_start=default_start, recent_sessions=recent_sessions, calendar=calendar
        )
    if start > end:
        return Download(symbol, start, end, started_at, skipped="nothing to fetch")
    if last is not None and last >= end and recent_sessions == 0:
        return Download(symbol, start, end, started_at, skipped="up to date")
    try:
        batch = source.fetch_daily(symbol, start, end)
        refetched = False
        if first is not None and batch.actions.height:
            new = batch.actions.join(known_actions(symbol), on=["date", "kind"], how="anti")
            if new.height and first < start:
                batch = source.fetch_daily(symbol, first, end)
                refetched = True
    except SourceError as exc:
        return Download(symbol, start, end, started_at, error=exc)
    return Download(symbol, start, end, started_at, batch=batch, refetched_history=refetched)


def store_download(
    db: OpenStore,
    d: Download,
    *,
    on_commit: Callable[[OpenStore, TickerOutcome], None] | None = None,
) -> TickerOutcome:
    """Store one :class:`Download` in its own transaction (a failure or a kill leaves the
    ticker as it was) and log it; ``on_commit(db, outcome)`` runs inside that transaction."""
    if d.skipped is not None:
        return TickerOutcome(d.ticker, d.start, d.end, skipped=d.skipped)
    if d.error is not None or d.batch is None:
        error = str(d.error) if d.error is not None else "no data"
        db.loads.record(
            kind="fetch", target=d.ticker, started_at=d.started_at, outcome="failed", error=error
        )
        return TickerOutcome(
            d.ticker, d.start, d.end, error=error, transient=isinstance(d.error, Transient)
        )
    batch = d.batch
    with db.transaction():
        pc = db.market.upsert_prices(batch.prices, source=batch.source)
        ac = db.market.upsert_actions(batch.actions, source=batch.source)
        db.loads.record(kind="fetch", target=d.ticker, started_at=d.started_at, counts=pc + ac)
        outcome = TickerOutcome(
            d.ticker,
            d.start,
            d.end,
            pc.inserted,
            pc.updated,
            pc.unchanged,
            ac.inserted,
            d.refetched_history,
        )
        if on_commit is not None:
            on_commit(db, outcome)
    return outcome


def fetch_ticker(
    store: Store,
    source: PriceSource,
    ticker: str,
    *,
    end: dt.date,
    default_start: dt.date,
    recent_sessions: int,
    calendar: SessionCalendar,
    start: dt.date | None = None,
) -> TickerOutcome:
    """Fetch one ticker (:func:`download`) and store it (:func:`store_download`): the store is
    read before and written after the fetch, never held during it."""
    symbol = ticker.upper()
    with store.open(write=True) as db:
        found = db.market.spans([symbol]).get(symbol)

    def known(t: str) -> pl.DataFrame:
        with store.open() as db:
            return db.market.actions([t]).select("date", "kind")

    d = download(
        source,
        symbol,
        span=(found.first, found.last) if found else (None, None),
        end=end,
        default_start=default_start,
        recent_sessions=recent_sessions,
        calendar=calendar,
        known_actions=known,
        started_at=store.clock(),
        start=start,
    )
    with store.open(write=True) as db:
        return store_download(db, d)


def fetch_prices(
    store: Store,
    source: PriceSource,
    tickers: Sequence[str],
    *,
    end: dt.date,
    default_start: dt.date,
    recent_sessions: int = 5,
    start: dt.date | None = None,
    calendar: SessionCalendar | None = None,
    on_ticker: Callable[[TickerOutcome], None] | None = None,
) -> list[TickerOutcome]:
    """Fetch many tickers; a failure on one does not stop the others."""
    from events import nyse

    cal = calendar or nyse()
    outcomes = []
    for t in tickers:
        outcome = fetch_ticker(
            store,
            source,
            t,
            end=end,
            default_start=default_start,
            recent_sessions=recent_sessions,
            calendar=cal,
            start=start,
        )
        outcomes.append(outcome)
        if on_ticker is not None:
            on_ticker(outcome)
    return outcomes
