"""The event catalog: events with their day 0 and ticker lists (primary ticker first).

:class:`EventRecord` is the one definition of an event row: the caller (which resolves day 0
with :mod:`events`) builds records, :meth:`EventsRepo.upsert` stores them, and
:meth:`EventsRepo.list` gives them back as :class:`StoredEvent` (no polars needed).
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from storage.errors import StoreInputError
from storage.repos._db import Db
from storage.repos._upsert import Table, UpsertCounts, upsert

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True, kw_only=True)
class EventRecord:
    """One event as stored.

    ``announced_at`` is the aware announcement time (stored as an instant; ``None`` when only
    the date is known); ``day0`` the first session whose close can reflect the news and
    ``day0_rule`` how it was found; ``tickers`` the symbols, primary first.
    """

    event_id: str
    title: str
    category: str
    announced_date: dt.date
    announced_at: dt.datetime | None
    timing: str
    day0: dt.date
    day0_rule: str
    timing_assumed: bool
    tickers: tuple[str, ...]
    source: str = ""
    tags: tuple[str, ...] = ()
    catalog: str = ""

    def __post_init__(self) -> None:
        if not self.event_id:
            raise StoreInputError("an event needs an id")
        if not self.tickers:
            raise StoreInputError(f"event {self.event_id!r} has no tickers")
        if len(set(self.tickers)) != len(self.tickers):
            raise StoreInputError(f"event {self.event_id!r} lists a ticker twice: {self.tickers}")
        if self.announced_at is not None and self.announced_at.utcoffset() is None:
            raise StoreInputError(
                f"event {self.event_id!r}: announced_at {self.announced_at} has no time zone"
            )


@dataclass(frozen=True, kw_only=True)
class TimingEvidence:
    """What the timing inference found for a date-only event (``backtest.timing``).

    ``decision`` is ``after_close``, ``during_session`` or ``undetermined``; ``session`` the
    dated session it was run on; the z values are robust z-scores against the estimation
    window (log volume, |market-adjusted return|, the overnight gap into day +1); ``score``
    the contrast D and ``confidence`` its empirical rank; ``reason`` why nothing could be
    computed (no prices, ...).
    """

    decision: str
    session: dt.date | None
    abnormal_volume_0: float | None
    abnormal_volume_1: float | None
    abs_ar_0: float | None
    abs_ar_1: float | None
    gap_1: float | None
    score: float | None
    confidence: float | None
    n_est: int | None
    reason: str | None
    inferred_at: dt.datetime | None


@dataclass(frozen=True, kw_only=True)
class StoredEvent(EventRecord):
    """An event read back from the store, with the time it was last written."""

    updated_at: dt.datetime
    timing_evidence: TimingEvidence | None = None

    def __post_init__(self) -> None:
        pass  # what the store holds is shown as it is; records are checked on the way in


#: The ``core.events`` columns an upsert writes, in table order (``updated_at`` is the stamp).
EVENT_COLUMNS = (
    "event_id",
    "title",
    "category",
    "announced_date",
    "announced_at",
    "timing",
    "day0",
    "day0_rule",
    "timing_assumed",
    "source",
    "tags",
    "catalog",
    "tickers",
)
EVENTS = Table("events", ("event_id",), EVENT_COLUMNS[1:], ("updated_at",))

#: The evidence columns of ``core.events`` (migration 0011), in TimingEvidence field order.
EVIDENCE_COLUMNS = (
    "timing_decision",
    "timing_session",
    "timing_av0",
    "timing_av1",
    "timing_abs_ar0",
    "timing_abs_ar1",
    "timing_gap1",
    "timing_score",
    "timing_confidence",
    "timing_n_est",
    "timing_reason",
    "timing_inferred_at",
)

# The event rows as read back: the table's columns, then the ticker list taken from
# event_tickers (ordered by position), then the timing evidence (nulls on an older store).
_SELECT_HEAD = (
    "SELECT e.event_id, e.title, e.category, e.announced_date, e.announced_at, e.timing, "
    "e.day0, e.day0_rule, e.timing_assumed, e.source, e.tags, e.catalog, e.updated_at, "
    "coalesce((SELECT list(t.ticker ORDER BY t.position) FROM event_tickers t "
    "WHERE t.event_id = e.event_id), []::VARCHAR[]) AS tickers"
)
_EVIDENCE = ", " + ", ".join(f"e.{c}" for c in EVIDENCE_COLUMNS)
_NO_EVIDENCE = ", " + ", ".join(f"NULL AS {c}" for c in EVIDENCE_COLUMNS)
#: ``core.event_aliases`` columns, in table order.
ALIAS_COLUMNS = ("alias_id", "event_id", "ticker", "category", "day0", "catalog", "linked_at")


@dataclass(frozen=True, kw_only=True)
class AliasRecord:
    """``alias_id`` is the same announcement as the stored event ``event_id``."""

    alias_id: str
    event_id: str
    ticker: str
    category: str
    day0: dt.date
    catalog: str


_ORDER = " ORDER BY e.day0, e.event_id"


class EventsRepo:
    """Events and the (event, ticker) catalog the engine works on."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self._evidence: bool | None = None

    def has_timing_columns(self) -> bool:
        """Whether the store has the timing evidence and alias tables (schema 0011 or later)."""
        if self._evidence is None:
            self._evidence = bool(
                self._db.value(
                    "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                    "'core' AND table_name = 'events' AND column_name = 'timing_decision'",
                    what="read the events schema",
                )
            )
        return self._evidence

    def _select(self, evidence: bool = True) -> str:
        if not evidence:
            return _SELECT_HEAD + " FROM events e"
        tail = _EVIDENCE if self.has_timing_columns() else _NO_EVIDENCE
        return _SELECT_HEAD + tail + " FROM events e"

    def upsert(self, records: Sequence[EventRecord]) -> UpsertCounts:
        """Insert or update events and replace their ticker lists (all or nothing).

        A changed ticker list counts as an update. When an id repeats, the last record wins.
        """
        import polars as pl

        latest = {r.event_id: r for r in records}
        rows = [
            {f.name: _plain(getattr(r, f.name)) for f in fields(EventRecord)}
            for r in latest.values()
        ]
        events = pl.DataFrame(rows, schema=_event_schema()).select(EVENT_COLUMNS)
        tickers = pl.DataFrame(
            [
                {"event_id": r.event_id, "ticker": t, "position": i}
                for r in latest.values()
                for i, t in enumerate(r.tickers)
            ],
            schema={"event_id": pl.String, "ticker": pl.String, "position": pl.Int32},
        )
        return self.upsert_frames(events, tickers)

    def upsert_frames(self, events: pl.DataFrame, tickers: pl.DataFrame) -> UpsertCounts:
        """:meth:`upsert` for frames: ``events`` has ``EVENT_COLUMNS``; ``tickers`` has
        ``event_id, ticker, position`` (0 = primary)."""
        missing = [c for c in EVENT_COLUMNS if c not in events.columns]
        missing += [c for c in ("event_id", "ticker", "position") if c not in tickers.columns]
        if missing:
            raise StoreInputError(f"the event rows lack the column(s) {', '.join(missing)}")
        what = "store events"
        with self._db.atomic(what):
            counts = upsert(
                self._db, EVENTS, events.select(EVENT_COLUMNS), (self._db.clock(),), what=what
            )
            with self._db.registered("_event_tickers", tickers, what=what):
                self._db.execute(
                    "DELETE FROM event_tickers WHERE event_id IN "
                    "(SELECT DISTINCT event_id FROM _event_tickers)",
                    what=what,
                )
                self._db.execute(
                    "INSERT INTO event_tickers SELECT event_id, ticker, position FROM _event_tickers",
                    what=what,
                )
            if self.has_timing_columns():  # a stated time replaces what was inferred
                self._db.execute(
                    "UPDATE events SET "
                    + ", ".join(f"{c} = NULL" for c in EVIDENCE_COLUMNS)
                    + " WHERE timing_decision IS NOT NULL AND timing NOT IN "
                    "('unknown', 'inferred_after_close', 'inferred_during_session')",
                    what=what,
                )
        return counts

    def set_timing(self, frame: pl.DataFrame) -> int:
        """Record timing inferences: ``event_id, timing, day0, day0_rule`` and the evidence
        (:data:`EVIDENCE_COLUMNS`) per row; only events whose timing is not stated change.
        Returns how many rows changed."""
        what = "store the timing evidence"
        self._db.require_write(what)
        if not self.has_timing_columns():
            raise StoreInputError("the store predates timing inference: open it for writing")
        need = ("event_id", "timing", "day0", "day0_rule", *EVIDENCE_COLUMNS)
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise StoreInputError(f"the timing rows lack the column(s) {', '.join(missing)}")
        if frame.height == 0:
            return 0
        sets = ", ".join(f"{c} = s.{c}" for c in need[1:])
        with self._db.atomic(what), self._db.registered("_timing", frame.select(need), what=what):
            changed = int(
                self._db.value(
                    "SELECT count(*) FROM _timing s JOIN events e USING (event_id) WHERE "
                    "e.timing IN ('unknown', 'inferred_after_close', 'inferred_during_session')",
                    what=what,
                )
            )
            self._db.execute(
                f"UPDATE events e SET {sets}, updated_at = ? FROM _timing s "
                "WHERE e.event_id = s.event_id AND e.timing IN "
                "('unknown', 'inferred_after_close', 'inferred_during_session')",
                [self._db.clock()],
                what=what,
            )
        return changed

    def delete(self, event_ids: Sequence[str]) -> None:
        """Remove events (and their ticker lists), e.g. a date-only event that a new event
        with a stated time replaces."""
        if not event_ids:
            return
        what = "remove events"
        with self._db.atomic(what):
            for table in ("event_tickers", "events"):
                self._db.execute(
                    f"DELETE FROM {table} WHERE event_id IN (SELECT unnest(?::VARCHAR[]))",
                    [list(event_ids)],
                    what=what,
                )

    def add_aliases(self, records: Sequence[AliasRecord]) -> None:
        """Record duplicates as aliases of stored events; an alias pointing at a replaced
        event is moved to the event that replaced it."""
        if not records:
            return
        what = "store event aliases"
        rows = [
            [r.alias_id, r.event_id, r.ticker, r.category, r.day0, r.catalog, self._db.clock()]
            for r in records
        ]
        with self._db.atomic(what):
            self._db.executemany(
                "INSERT OR REPLACE INTO event_aliases VALUES (?, ?, ?, ?, ?, ?, ?)", rows, what=what
            )
            self._db.executemany(
                "UPDATE event_aliases SET event_id = ? WHERE event_id = ?",
                [[r.event_id, r.alias_id] for r in records],
                what=what,
            )

    def aliases(self) -> builtins.list[AliasRecord]:
        """Every alias, ordered by the event it points at, then its id (none on an older
        store)."""
        if not self.has_timing_columns():
            return []
        rows = self._db.rows(
            "SELECT alias_id, event_id, ticker, category, day0, catalog FROM event_aliases "
            "ORDER BY event_id, alias_id",
            what="list event aliases",
        )
        return [
            AliasRecord(
                alias_id=r[0], event_id=r[1], ticker=r[2], category=r[3], day0=r[4], catalog=r[5]
            )
            for r in rows
        ]

    def list(
        self,
        *,
        categories: Sequence[str] | None = None,
        tickers: Sequence[str] | None = None,
        event_ids: Sequence[str] | None = None,
    ) -> list[StoredEvent]:
        """Stored events ordered by day 0 then id; each filter keeps events matching any value.

        ``tickers`` keeps events naming one of them (upper-cased) in their ticker list.
        """
        where, params = _filters(categories, tickers, event_ids)
        rows = self._db.rows(self._select() + where + _ORDER, params, what="list events")
        return [_stored(r) for r in rows]

    def get(self, event_id: str) -> StoredEvent | None:
        """One event by id, or ``None``."""
        found = self.list(event_ids=[event_id])
        return found[0] if found else None

    def count(self) -> int:
        """How many events are stored."""
        return int(self._db.value("SELECT count(*) FROM events", what="count events"))

    def frame(
        self,
        *,
        categories: Sequence[str] | None = None,
        tickers: Sequence[str] | None = None,
        event_ids: Sequence[str] | None = None,
        evidence: bool = False,
    ) -> pl.DataFrame:
        """:meth:`list` as a polars frame: ``event_id, title, category, announced_date,
        announced_at, timing, day0, day0_rule, timing_assumed, source, tags, catalog,
        updated_at, tickers``, and with ``evidence`` the timing evidence
        (:data:`EVIDENCE_COLUMNS`)."""
        where, params = _filters(categories, tickers, event_ids)
        sql = self._select(evidence) + where + _ORDER
        return self._db.frame(sql, params, what="read events")

    def catalog(self) -> pl.DataFrame:
        """One row per (event, ticker): ``event_id, ticker, position, day0, category``,
        ordered by day 0, event, position (the engine's catalog of confounding events)."""
        return self._db.frame(
            "SELECT t.event_id, t.ticker, t.position, e.day0, e.category FROM event_tickers t "
            "JOIN events e USING (event_id) ORDER BY e.day0, t.event_id, t.position",
            what="read the event catalog",
        )

    def tickers(self) -> builtins.list[str]:
        """Every ticker some event names, sorted."""
        rows = self._db.rows(
            "SELECT DISTINCT ticker FROM event_tickers ORDER BY ticker",
            what="list the catalog's tickers",
        )
        return [r[0] for r in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def _event_schema() -> dict[str, Any]:
    import polars as pl

    return {
        "event_id": pl.String(),
        "title": pl.String(),
        "category": pl.String(),
        "announced_date": pl.Date(),
        "announced_at": pl.Datetime("us", "UTC"),
        "timing": pl.String(),
        "day0": pl.Date(),
        "day0_rule": pl.String(),
        "timing_assumed": pl.Boolean(),
        "tickers": pl.List(pl.String()),
        "source": pl.String(),
        "tags": pl.List(pl.String()),
        "catalog": pl.String(),
    }


def _filters(
    categories: Sequence[str] | None,
    tickers: Sequence[str] | None,
    event_ids: Sequence[str] | None,
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if categories is not None:
        clauses.append("e.category IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(categories))
    if tickers is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM event_tickers t WHERE t.event_id = e.event_id "
            "AND t.ticker IN (SELECT unnest(?::VARCHAR[])))"
        )
        params.append([t.upper() for t in tickers])
    if event_ids is not None:
        clauses.append("e.event_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(event_ids))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _stored(r: tuple[Any, ...]) -> StoredEvent:
    return StoredEvent(
        event_id=r[0],
        title=r[1],
        category=r[2],
        announced_date=r[3],
        announced_at=r[4],
        timing=r[5],
        day0=r[6],
        day0_rule=r[7],
        timing_assumed=r[8],
        source=r[9],
        tags=tuple(r[10] or ()),
        catalog=r[11],
        updated_at=r[12],
        tickers=tuple(r[13]),
        timing_evidence=None
        if r[14] is None
        else TimingEvidence(
            decision=r[14],
            session=r[15],
            abnormal_volume_0=r[16],
            abnormal_volume_1=r[17],
            abs_ar_0=r[18],
            abs_ar_1=r[19],
            gap_1=r[20],
            score=r[21],
            confidence=r[22],
            n_est=r[23],
            reason=r[24],
            inferred_at=r[25],
        ),
    )
