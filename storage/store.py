"""The DuckDB store: one file, short-lived connections, transactional upserts.

Base tables live in the schema ``core`` (our connections set it as the default
schema); the schema ``main`` holds the stable, documented views that people
query (``prices``, ``returns``, ``events`` ...; see ``docs/sql.md``).

DuckDB lets one process hold a database file for writing, and while it does no
other process can open it at all, not even read-only. So every operation here
opens a connection, does its work in one transaction and closes it again; a
process that finds the file locked waits (up to ``lock_timeout`` seconds) and
then raises :class:`~storage.errors.StoreLockedError` with a sentence saying
what to do.

Files are created with ``storage_compatibility_version = 'v1.5.0'`` so that the
DuckDB 1.5 command-line client (the newest on PyPI) can read them too.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from storage.errors import SchemaVersionError, StoreError, StoreLockedError
from storage.schema import LATEST_VERSION, MIGRATIONS
from storage.sources.base import ACTION_SCHEMA, PRICE_SCHEMA

FACTOR_COLUMNS = ("mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf")
_LOCK_MESSAGE = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)


@dataclass(frozen=True)
class UpsertCounts:
    """What an upsert did: rows new to the store, rows whose values changed, the rest."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


@dataclass(frozen=True)
class _Table:
    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    stamp: tuple[str, ...]  # provenance columns set on insert/update


_PRICES = _Table(
    "prices",
    ("ticker", "date"),
    ("open", "high", "low", "close", "adj_close", "volume"),
    ("source", "fetched_at"),
)
_ACTIONS = _Table("actions", ("ticker", "date", "kind"), ("value",), ("source", "fetched_at"))
_EVENTS = _Table(
    "events",
    ("event_id",),
    (
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
    ),
    ("updated_at",),
)
_FACTORS = _Table("factors", ("date",), FACTOR_COLUMNS, ("source", "loaded_at"))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    """A market-reaction DuckDB file.

    Parameters
    ----------
    path
        The database file (created on first write). ``":memory:"`` is not
        supported: connections are short-lived, so an in-memory store would
        vanish between calls; use a file under a temporary directory instead.
    lock_timeout
        Seconds to keep retrying while another process holds the file.
    clock
        Returns the current aware time; injected so that tests are deterministic.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        lock_timeout: float = 0.0,
        clock: Callable[[], dt.datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        if str(path) == ":memory:":
            raise StoreError(
                "the store must be a file; use a path under a temporary directory for tests"
            )
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._migrated = False  # set once this process has brought the file up to date

    # -- connections -----------------------------------------------------------------

    def _open(self, read_only: bool, *, public: bool = False) -> duckdb.DuckDBPyConnection:
        if read_only and not self.path.exists():
            raise StoreError(
                f"no store at {self.path}: create one with 'reaction prices import FILE' "
                "or 'reaction events import', or point --db / REACTION_DB at an existing file"
            )
        deadline = time.monotonic() + self.lock_timeout
        announced = False
        while True:
            try:
                config: dict[str, Any] = {}
                if not read_only:
                    config["storage_compatibility_version"] = "v1.5.0"
                con = duckdb.connect(str(self.path), read_only=read_only, config=config)
                return con if public else self._use_core(con, read_only)
            except duckdb.IOException as exc:
                if not _LOCK_MESSAGE.search(str(exc)):
                    raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"the store {self.path} is in use by another process (probably a running "
                        f"refresh){f'; waited {self.lock_timeout:g} s' if self.lock_timeout else ''}. "
                        "Try again when it has finished."
                    ) from exc
                if self._on_wait is not None and not announced:
                    self._on_wait(
                        f"the store {self.path} is busy (another process holds it); "
                        f"waiting up to {self.lock_timeout:g} s"
                    )
                    announced = True
                self._sleep(min(0.25, max(0.0, deadline - time.monotonic())))
            except duckdb.Error as exc:
                raise StoreError(f"cannot open the store {self.path}: {exc}") from exc

    @staticmethod
    def _use_core(con: duckdb.DuckDBPyConnection, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Point unqualified names at the ``core`` tables (the public views live in ``main``)."""
        try:
            if not read_only:
                con.execute("CREATE SCHEMA IF NOT EXISTS core")
            has_core = con.execute(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'core'"
            ).fetchall()[0][0]
            if has_core:
                con.execute("SET schema = 'core'")
        except duckdb.Error:
            con.close()
            raise
        return con

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work; migrations are applied on write opens."""
        con = self._open(read_only)
        try:
            if read_only:
                self._check_version(con)
            else:
                self._migrate(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def connect_public(self, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for people's own SQL: default schema ``main`` (the documented views).

        Read-only unless ``write``; the store must exist and have been migrated.
        """
        if not self.path.exists():
            self._open(True)  # raises the "no store at ..." sentence
        con = self._open(not write, public=True)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside ``BEGIN .. COMMIT``; any error rolls everything back."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            else:
                try:
                    con.execute("COMMIT")
                except duckdb.Error as exc:
                    raise StoreError(f"could not commit to {self.path}: {exc}") from exc

    def _check_version(self, con: duckdb.DuckDBPyConnection) -> int:
        has = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'core' AND table_name = 'schema_version'"
        ).fetchall()[0][0]
        version = 0
        if has:
            version = int(
                con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
            )
        if version > LATEST_VERSION:
            raise SchemaVersionError(
                f"the store {self.path} has schema version {version}, newer than this "
                f"market-reaction understands ({LATEST_VERSION}); upgrade market-reaction"
            )
        return version

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._migrated:
            return
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)"
        )
        current = self._check_version(con)
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(migration.sql)
                con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)",
                    [migration.version, migration.description, self.clock()],
                )
                con.execute("COMMIT")
            except duckdb.Error as exc:
                con.execute("ROLLBACK")
                raise StoreError(
                    f"could not apply schema migration {migration.version} to {self.path}: {exc}"
                ) from exc
        self._migrated = True

    def init(self) -> int:
        """Create the file if needed and apply migrations; return the schema version."""
        with self.connect() as con:
            return self._check_version(con)

    # -- generic helpers --------------------------------------------------------------

    def query(self, sql: str, params: Sequence[object] | None = None) -> pl.DataFrame:
        """Run a read-only query and return the result as a polars frame."""
        with self.connect(read_only=True) as con:
            try:
                frame: pl.DataFrame = con.sql(sql, params=list(params or [])).pl()
                return frame
            except duckdb.Error as exc:
                raise StoreError(f"query failed: {exc}") from exc

    @staticmethod
    def _upsert(
        con: duckdb.DuckDBPyConnection, table: _Table, frame: pl.DataFrame, stamp: Sequence[object]
    ) -> UpsertCounts:
        if frame.height == 0:
            return UpsertCounts()
        con.register("_staged", frame.unique(subset=list(table.keys), keep="last"))
        try:
            on = " AND ".join(f"s.{k} = t.{k}" for k in table.keys)
            diff = " OR ".join(f"s.{v} IS DISTINCT FROM t.{v}" for v in table.values)
            first_key = table.keys[0]
            counts = con.execute(
                f"SELECT count(*) FILTER (WHERE t.{first_key} IS NULL), "
                f"count(*) FILTER (WHERE t.{first_key} IS NOT NULL AND ({diff})), count(*) "
                f"FROM _staged s LEFT JOIN {table.name} t ON {on}"
            ).fetchall()[0]
            inserted, updated, total = int(counts[0]), int(counts[1]), int(counts[2])
            if inserted or updated:
                cols = (*table.keys, *table.values)
                select = ", ".join(f"s.{c}" for c in cols)
                placeholders = ", ".join("?" for _ in table.stamp)
                sets = ", ".join(f"{c} = excluded.{c}" for c in (*table.values, *table.stamp))
                con.execute(
                    f"INSERT INTO {table.name} ({', '.join((*cols, *table.stamp))}) "
                    f"SELECT {select}, {placeholders} FROM _staged s LEFT JOIN {table.name} t ON {on} "
                    f"WHERE t.{first_key} IS NULL OR ({diff}) "
                    f"ON CONFLICT ({', '.join(table.keys)}) DO UPDATE SET {sets}",
                    list(stamp),
                )
        finally:
            con.unregister("_staged")
        return UpsertCounts(inserted, updated, total - inserted - updated)

    # -- prices, actions, factors -----------------------------------------------------

    def upsert_prices(
        self,
        con: duckdb.DuckDBPyConnection,
        prices: pl.DataFrame,
        *,
        source: str,
        fetched_at: dt.datetime | None = None,
    ) -> UpsertCounts:
        """Insert new (ticker, date) rows and update changed ones, inside ``con``'s transaction."""
        frame = prices.select([pl.col(c).cast(t) for c, t in PRICE_SCHEMA.items()])
        return self._upsert(con, _PRICES, frame, (source, fetched_at or self.clock()))

    def upsert_actions(
        self,
        con: duckdb.DuckDBPyConnection,
        actions: pl.DataFrame,
        *,
        source: str,
        fetched_at: dt.datetime | None = None,
    ) -> UpsertCounts:
        """Insert or update dividends and splits keyed on (ticker, date, kind)."""
        frame = actions.select([pl.col(c).cast(t) for c, t in ACTION_SCHEMA.items()])
        return self._upsert(con, _ACTIONS, frame, (source, fetched_at or self.clock()))

    def upsert_factors(
        self, con: duckdb.DuckDBPyConnection, factors: pl.DataFrame, *, source: str
    ) -> UpsertCounts:
        """Insert or update daily factor returns (fractions) keyed on date."""
        cols = [pl.col("date").cast(pl.Date)]
        for c in FACTOR_COLUMNS:
            cols.append(
                pl.col(c).cast(pl.Float64)
                if c in factors.columns
                else pl.lit(None, pl.Float64).alias(c)
            )
        return self._upsert(con, _FACTORS, factors.select(cols), (source, self.clock()))

    def prices(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> pl.DataFrame:
        """Stored prices (``PRICE_SCHEMA`` plus ``source``, ``fetched_at``), sorted by ticker, date."""
        where, params = _range_filter(tickers, start, end)
        return self.query(f"SELECT * FROM prices {where} ORDER BY ticker, date", params)

    def actions(self, tickers: Sequence[str] | None = None) -> pl.DataFrame:
        """Stored dividends and splits."""
        where, params = _range_filter(tickers, None, None)
        return self.query(f"SELECT * FROM actions {where} ORDER BY ticker, date, kind", params)

    def factors(self, start: dt.date | None = None, end: dt.date | None = None) -> pl.DataFrame:
        """Stored factor returns (fractions)."""
        where, params = _range_filter(None, start, end)
        return self.query(f"SELECT * FROM factors {where} ORDER BY date", params)

    def coverage(self) -> pl.DataFrame:
        """Per ticker: first and last session stored, row count, last fetch time and source."""
        return self.query(
            "SELECT ticker, min(date) AS first, max(date) AS last, count(*) AS rows, "
            "max(fetched_at) AS last_loaded, arg_max(source, fetched_at) AS source "
            "FROM prices GROUP BY ticker ORDER BY ticker"
        )

    # -- calendar -----------------------------------------------------------------------

    def ensure_sessions(self, sessions: Sequence[dt.date]) -> int:
        """Store the trading calendar (numbered sessions) the SQL views count in; returns rows added."""
        frame = pl.DataFrame({"date": list(sessions)}, schema={"date": pl.Date}).sort("date")
        with self.transaction() as con:
            have = con.execute("SELECT count(*), min(date), max(date) FROM sessions").fetchall()[0]
            if (
                have[0] == frame.height
                and have[1] == frame.item(0, "date")
                and have[2] == frame.item(-1, "date")
            ):
                return 0
            con.execute("DELETE FROM sessions")
            con.register(
                "_sessions", frame.with_row_index("session_no").cast({"session_no": pl.Int32})
            )
            try:
                con.execute("INSERT INTO sessions SELECT date, session_no FROM _sessions")
            finally:
                con.unregister("_sessions")
        return frame.height

    # -- events -----------------------------------------------------------------------

    def upsert_events(
        self, con: duckdb.DuckDBPyConnection, events: pl.DataFrame, tickers: pl.DataFrame
    ) -> UpsertCounts:
        """Insert or update events, and replace their ticker lists, inside ``con``'s transaction.

        ``events`` has the columns of the ``events`` table except ``updated_at``;
        ``tickers`` has ``event_id, ticker, position``.
        """
        counts = self._upsert(
            con, _EVENTS, events.select(_EVENTS.keys + _EVENTS.values), (self.clock(),)
        )
        con.register("_event_tickers", tickers)
        try:
            con.execute(
                "DELETE FROM event_tickers WHERE event_id IN (SELECT DISTINCT event_id FROM _event_tickers)"
            )
            con.execute(
                "INSERT INTO event_tickers SELECT event_id, ticker, position FROM _event_tickers"
            )
        finally:
            con.unregister("_event_tickers")
        return counts

    def events(self) -> pl.DataFrame:
        """Every stored event with its ticker list (primary first), ordered by day 0 then id."""
        return self.query(
            "SELECT e.* EXCLUDE (tickers), (SELECT list(t.ticker ORDER BY t.position) FROM event_tickers t "
            "WHERE t.event_id = e.event_id) AS tickers FROM events e ORDER BY e.day0, e.event_id"
        )

    def event_tickers(self) -> pl.DataFrame:
        """One row per (event, ticker) with the event's day 0 and category (the engine's catalog)."""
        return self.query(
            "SELECT t.event_id, t.ticker, t.position, e.day0, e.category FROM event_tickers t "
            "JOIN events e USING (event_id) ORDER BY e.day0, t.event_id, t.position"
        )

    # -- load log ---------------------------------------------------------------------

    def log_load(
        self,
        *,
        kind: str,
        target: str,
        started_at: dt.datetime,
        counts: UpsertCounts = UpsertCounts(),
        rejected: int = 0,
        outcome: str = "ok",
        error: str | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """Record one data load (in ``con``'s transaction if given, else on its own)."""
        row = [
            kind,
            target,
            started_at,
            self.clock(),
            counts.inserted,
            counts.updated,
            counts.unchanged,
            rejected,
            outcome,
            error,
        ]
        sql = (
            "INSERT INTO loads (kind, target, started_at, finished_at, rows_inserted, rows_updated, "
            "rows_unchanged, rows_rejected, outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        if con is not None:
            con.execute(sql, row)
            return
        with self.connect() as own:
            own.execute(sql, row)

    def recent_loads(self, limit: int = 10) -> pl.DataFrame:
        """The latest loads, newest first."""
        return self.query("SELECT * FROM loads ORDER BY load_id DESC LIMIT ?", [limit])


def _range_filter(
    tickers: Sequence[str] | None, start: dt.date | None, end: dt.date | None
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if tickers is not None:
        clauses.append("ticker IN (SELECT unnest(?::VARCHAR[]))")
        params.append([t.upper() for t in tickers])
    if start is not None:
        clauses.append("date >= ?")
        params.append(start)
    if end is not None:
        clauses.append("date <= ?")
        params.append(end)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
