"""Loading data into the store: event catalogs, price and factor files, and fetches.

These functions wire ``events`` and ``storage`` together; the CLI and the
refresh job call them. Each writes in transactions, so a failure leaves the
store as it was, and records what it did in the ``loads`` table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from events import Event, ResolvedEvent, SessionCalendar, nyse, resolve_many, seed_catalog
from jobs.settings import Settings
from storage.errors import ImportFileError, SourceError, StorageError, Transient
from storage.sources.base import PriceSource
from storage.sources.files import ParsedFile, check_problems, read_file
from storage.store import Store, UpsertCounts

SEED_TARGET = "<package>/seed/seed-events.toml"


# -- events ----------------------------------------------------------------------------


def events_frames(
    resolved: Sequence[ResolvedEvent], catalog: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``events`` and ``event_tickers`` rows for resolved events."""
    rows = [
        {
            "event_id": r.event.id,
            "title": r.event.title,
            "category": r.event.category,
            "announced_date": r.event.announced_date,
            "announced_at": r.event.announced_at.astimezone(dt.UTC)
            if r.event.announced_at
            else None,
            "timing": r.event.timing,
            "day0": r.day0,
            "day0_rule": r.rule,
            "timing_assumed": r.assumed,
            "source": r.event.source,
            "tags": list(r.event.tags),
            "catalog": catalog,
            "tickers": list(r.event.tickers),
        }
        for r in resolved
    ]
    schema: dict[str, pl.DataType] = {
        "event_id": pl.String(),
        "title": pl.String(),
        "category": pl.String(),
        "announced_date": pl.Date(),
        "announced_at": pl.Datetime("us", "UTC"),
        "timing": pl.String(),
        "day0": pl.Date(),
        "day0_rule": pl.String(),
        "timing_assumed": pl.Boolean(),
        "source": pl.String(),
        "tags": pl.List(pl.String),
        "catalog": pl.String(),
        "tickers": pl.List(pl.String()),
    }
    events = pl.DataFrame(rows, schema=schema)
    tickers = pl.DataFrame(
        [
            {"event_id": r.event.id, "ticker": t, "position": i}
            for r in resolved
            for i, t in enumerate(r.event.tickers)
        ],
        schema={"event_id": pl.String, "ticker": pl.String, "position": pl.Int32},
    )
    return events, tickers


def store_events(
    store: Store,
    events: Sequence[Event],
    *,
    catalog: str,
    calendar: SessionCalendar | None = None,
) -> UpsertCounts:
    """Resolve day 0 and upsert events (all or nothing), logging the load."""
    started = store.clock()
    resolved = resolve_many(events, calendar or nyse())
    ev, tk = events_frames(resolved, catalog)
    with store.transaction() as con:
        counts = store.upsert_events(con, ev, tk)
        store.log_load(kind="events", target=catalog, started_at=started, counts=counts, con=con)
    return counts


def ensure_seeded(store: Store) -> bool:
    """Load the seed catalog (and the NYSE calendar) into a store that lacks them; True if seeded."""
    store.init()
    store.ensure_sessions([_as_date(d) for d in nyse().sessions])
    done = store.query(
        "SELECT count(*) AS n FROM loads WHERE kind = 'events' AND target = ?", [SEED_TARGET]
    ).item()
    if done:
        return False
    store_events(store, seed_catalog(), catalog=SEED_TARGET)
    return True


def _as_date(value: object) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


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
    store: Store,
    paths: Sequence[str | Path],
    *,
    ticker: str | None = None,
    skip_bad_rows: bool = False,
) -> list[FileLoad]:
    """Import price / dividend / split files in one transaction.

    Every file is parsed and validated first; if any has bad rows (and
    ``skip_bad_rows`` is off) nothing is written and :class:`ImportFileError`
    names the file, the lines and the reasons.
    """
    started = store.clock()
    parsed: list[ParsedFile] = []
    for p in paths:
        try:
            one = read_file(p, ticker=ticker)
            check_problems(one, skip_bad_rows=skip_bad_rows)
        except ImportFileError as exc:
            store.log_load(
                kind="prices-file",
                target=str(p),
                started_at=started,
                outcome="failed",
                error=str(exc),
            )
            raise
        parsed.append(one)
    results: list[FileLoad] = []
    with store.transaction() as con:
        for one in parsed:
            source = f"file:{one.path.name}"
            pc = store.upsert_prices(con, one.prices, source=source)
            ac = store.upsert_actions(con, one.actions, source=source)
            store.log_load(
                kind="prices-file",
                target=str(one.path),
                started_at=started,
                counts=pc + ac,
                rejected=len(one.problems),
                con=con,
                outcome="ok" if not one.problems else "ok-with-rejections",
            )
            results.append(FileLoad(one.path, one.layout, one.rows_read, pc, ac, one.problems))
    return results


def import_factor_files(store: Store, paths: Sequence[str | Path]) -> UpsertCounts:
    """Import Ken French factor files (normalised or as published, merged on date).

    Values are percent in the files and stored as fractions.
    """
    from storage.sources.french import read_factors

    started = store.clock()
    target = ", ".join(str(p) for p in paths)
    try:
        frame = read_factors(*paths)
    except StorageError as exc:
        store.log_load(
            kind="factors-file", target=target, started_at=started, outcome="failed", error=str(exc)
        )
        raise
    return store_factors(
        store,
        frame,
        source="file:" + ",".join(Path(p).name for p in paths),
        started=started,
        target=target,
    )


def fetch_factors(store: Store) -> UpsertCounts:
    """Download the Ken French daily 5-factor and momentum files and store them."""
    from storage.sources.french import download_french_factors

    started = store.clock()
    frame = download_french_factors()
    return store_factors(
        store, frame, source="ken-french", started=started, target="Ken French Data Library"
    )


def store_factors(
    store: Store, frame: pl.DataFrame, *, source: str, started: dt.datetime, target: str
) -> UpsertCounts:
    """Upsert a factor frame (fractions) in one transaction and log it."""
    with store.transaction() as con:
        counts = store.upsert_factors(con, frame, source=source)
        store.log_load(kind="factors", target=target, started_at=started, counts=counts, con=con)
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


def default_history_start(settings: Settings, end: dt.date) -> dt.date:
    """The first date fetched for a ticker the store does not have: ``history_start`` or ten
    years before ``end``'s year."""
    return settings.history_start or dt.date(end.year - 10, 1, 1)


def tickers_to_track(store: Store, benchmarks: Sequence[str]) -> list[str]:
    """Every ticker the catalog references, plus the benchmarks."""
    in_catalog = store.query("SELECT DISTINCT ticker FROM event_tickers ORDER BY ticker")
    names = set(in_catalog.get_column("ticker").to_list()) if in_catalog.height else set()
    return sorted(names | {b.upper() for b in benchmarks})


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
    span: tuple[dt.date | None, dt.date | None] | None = None,
    on_commit: Callable[[duckdb.DuckDBPyConnection, TickerOutcome], None] | None = None,
) -> TickerOutcome:
    """Fetch one ticker's missing sessions (plus the last ``recent_sessions`` again) and upsert.

    When the fetch reveals a dividend or split the store did not have, the
    ticker's whole history is fetched again, because Yahoo back-adjusts
    ``adj_close`` for every earlier date. One transaction per ticker: a failure
    or a kill leaves that ticker as it was.

    ``span`` is the ticker's stored (first, last) date when the caller already
    knows it (saves a query); ``on_commit`` runs inside the ticker's transaction
    with its outcome, so a caller's own record commits together with the data.
    """
    symbol = ticker.upper()
    started = store.clock()
    if span is None:
        span = store.query(
            "SELECT min(date) AS first, max(date) AS last FROM prices WHERE ticker = ?", [symbol]
        ).row(0)
    first, last = span
    if start is None:
        if last is None:
            start = default_start
        else:
            recent = calendar.sessions_in_range(dt.date(last.year - 1, 1, 1), last)
            start = (
                recent[-recent_sessions]
                if recent_sessions and len(recent) >= recent_sessions
                else last
            )
    if start > end:
        return TickerOutcome(symbol, start, end, skipped="nothing to fetch")
    if last is not None and last >= end and recent_sessions == 0:
        return TickerOutcome(symbol, start, end, skipped="up to date")
    try:
        batch = source.fetch_daily(symbol, start, end)
        refetched = False
        if first is not None and batch.actions.height:
            known = store.query("SELECT date, kind FROM actions WHERE ticker = ?", [symbol])
            new = batch.actions.join(known, on=["date", "kind"], how="anti")
            if new.height and first < start:
                batch = source.fetch_daily(symbol, first, end)
                refetched = True
    except SourceError as exc:
        store.log_load(
            kind="fetch", target=symbol, started_at=started, outcome="failed", error=str(exc)
        )
        return TickerOutcome(
            symbol, start, end, error=str(exc), transient=isinstance(exc, Transient)
        )
    with store.transaction() as con:
        pc = store.upsert_prices(con, batch.prices, source=batch.source)
        ac = store.upsert_actions(con, batch.actions, source=batch.source)
        store.log_load(kind="fetch", target=symbol, started_at=started, counts=pc + ac, con=con)
        outcome = TickerOutcome(
            symbol, start, end, pc.inserted, pc.updated, pc.unchanged, ac.inserted, refetched
        )
        if on_commit is not None:
            on_commit(con, outcome)
    return outcome


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
    cal = calendar or nyse()
    store.init()
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
