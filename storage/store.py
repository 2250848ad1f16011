"""The DuckDB store: one file, one connection per unit of work, error translation.

Base tables live in the schema ``core`` (our sessions set it as the default schema); the
schema ``main`` holds the stable, documented views that people query (``prices``,
``returns``, ``events`` ...; see ``docs/sql.md``).

DuckDB lets one process hold a database file for writing, and while it does no other
process can open it at all, not even read-only. So a command opens the store once for its
unit of work (:meth:`Store.open`), does everything on that one connection and closes it
again; a process that finds the file locked waits (up to ``lock_timeout`` seconds) and then
raises :class:`~storage.errors.StoreLockedError` with a sentence saying what to do.
People's own SQL gets its own, locked-down connection (:meth:`Store.open_sql`).

Files are created with ``storage_compatibility_version = 'v1.5.0'`` so that the DuckDB 1.5
command-line client (the newest on PyPI) can read them too.

The methods below :meth:`Store.open_sql` (``connect``, ``transaction``, ``query``,
``upsert_*`` taking a raw connection, ``prices`` ...) are the earlier API, kept until every
caller uses sessions; each opens its own connection per call.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from storage import _duck
from storage.errors import SchemaVersionError, StoreError
from storage.repos._db import Db
from storage.repos._upsert import UpsertCounts
from storage.repos.events import EventsRepo
from storage.repos.loads import LoadsRepo
from storage.repos.market import FACTOR_COLUMNS, MarketRepo
from storage.repos.sql import SqlRepo
from storage.schema import LATEST_VERSION, MIGRATIONS
from storage.session import OpenStore

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FACTOR_COLUMNS", "Store", "UpsertCounts"]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    """A market-reaction DuckDB file.

    Parameters
    ----------
    path
        The database file (created on the first write). ``":memory:"`` is not supported:
        every session opens the file afresh, so an in-memory store would vanish between
        them; use a file under a temporary directory instead.
    lock_timeout
        Seconds to keep retrying while another process holds the file.
    clock
        Returns the current aware time (load stamps, ``updated_at`` ...); injected so that
        tests are deterministic.
    sleep, on_wait
        How to wait between lock retries, and who to tell (once, in a sentence) that the
        store is busy.
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

    # -- sessions ----------------------------------------------------------------------------

    @contextmanager
    def open(self, *, write: bool = False) -> Iterator[OpenStore]:
        """One connection for one unit of work, with the repositories on it.

        Read-only (the default) gives one consistent snapshot and needs an existing store
        at a known schema version. ``write=True`` creates the file if needed and applies the
        missing migrations once, on open. See :mod:`storage.session` for transactions.

        Raises
        ------
        StoreLockedError
            another process holds the file (after waiting ``lock_timeout`` seconds).
        SchemaVersionError
            the file was written by a newer market-reaction.
        StoreError
            no store at the path (read-only), or it cannot be opened.
        """
        read_only = not write
        con = self._connect(read_only)
        try:
            version = self._prepare(con, read_only=read_only)
            if read_only and version == 0:
                raise StoreError(
                    f"the store {self.path} has no market-reaction tables yet; any write "
                    "(e.g. 'reaction events import' or 'reaction prices import') creates them"
                )
            db = Db(con, path=self.path, read_only=read_only, clock=self.clock, snapshot=read_only)
        except BaseException:
            con.close()
            raise
        try:
            yield OpenStore(db, schema_version=version)
        finally:
            db.close()

    @contextmanager
    def open_sql(self, *, write: bool = False, allow_external: bool = False) -> Iterator[SqlRepo]:
        """A connection for people's own SQL, default schema ``main`` (the documented views).

        Read-only unless ``write`` (then the schema is brought up to date first); file,
        network and extension access and configuration changes are refused unless
        ``allow_external`` (see :mod:`storage.repos.sql`). The store must exist.
        """
        if not self.path.exists():
            raise _duck.missing_store(self.path)
        config: dict[str, object] = (
            {} if allow_external else {"enable_external_access": False, "lock_configuration": True}
        )
        con = self._connect(not write, config=config)
        try:
            if write:
                self._prepare(con, read_only=False)
                con.execute("SET schema = 'main'")
            db = Db(con, path=self.path, read_only=not write, clock=self.clock)
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"cannot open the store {self.path}: {_duck.one_line(exc)}") from exc
        except BaseException:
            con.close()
            raise
        try:
            yield SqlRepo(db, allow_external=allow_external)
        finally:
            db.close()

    def _connect(
        self, read_only: bool, config: dict[str, object] | None = None
    ) -> duckdb.DuckDBPyConnection:
        return _duck.connect(
            self.path,
            read_only=read_only,
            config=config,
            lock_timeout=self.lock_timeout,
            sleep=self._sleep,
            on_wait=self._on_wait,
        )

    def _prepare(self, con: duckdb.DuckDBPyConnection, *, read_only: bool) -> int:
        """Check the schema version (and, for writes, apply missing migrations); point
        unqualified names at ``core``. Returns the version the store is at afterwards."""
        try:
            version = self._version(con)
            if version > LATEST_VERSION:
                raise SchemaVersionError(
                    f"the store {self.path} has schema version {version}, newer than this "
                    f"market-reaction understands ({LATEST_VERSION}); upgrade market-reaction"
                )
            if not read_only and version < LATEST_VERSION:
                version = self._migrate(con, version)
            if version > 0:
                con.execute("SET schema = 'core'")
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {_duck.one_line(exc)}") from exc
        return version

    @staticmethod
    def _version(con: duckdb.DuckDBPyConnection) -> int:
        has = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'core' AND table_name = 'schema_version'"
        ).fetchall()[0][0]
        if not has:
            return 0
        return int(
            con.execute("SELECT coalesce(max(version), 0) FROM core.schema_version").fetchall()[0][
                0
            ]
        )

    def _migrate(self, con: duckdb.DuckDBPyConnection, current: int) -> int:
        con.execute("CREATE SCHEMA IF NOT EXISTS core")
        con.execute("SET schema = 'core'")
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)"
        )
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
                    f"could not apply schema migration {migration.version} ({migration.name}) "
                    f"to {self.path}: {_duck.one_line(exc)}"
                ) from exc
            current = migration.version
        return current

    # -- the earlier API: raw connections (to be removed once every caller uses open()) ------

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A raw connection (default schema ``core``); migrations are applied on write opens."""
        con = self._connect(read_only)
        try:
            self._prepare(con, read_only=read_only)
            yield con
        finally:
            con.close()

    @contextmanager
    def connect_public(self, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A raw connection for people's own SQL: default schema ``main`` (the documented views).

        Read-only unless ``write``; the store must exist and have been migrated.
        """
        if not self.path.exists():
            raise _duck.missing_store(self.path)
        con = self._connect(not write)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A raw write connection inside ``BEGIN .. COMMIT``; any error rolls everything back."""
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

    def init(self) -> int:
        """Create the file if needed and apply migrations; return the schema version."""
        with self.open(write=True) as db:
            return db.schema_version

    def query(self, sql: str, params: Sequence[object] | None = None) -> pl.DataFrame:
        """Run a read-only query (default schema ``core``) and return a polars frame."""
        with self.connect(read_only=True) as con:
            try:
                frame: pl.DataFrame = con.sql(sql, params=list(params or [])).pl()
                return frame
            except duckdb.Error as exc:
                raise StoreError(f"query failed: {exc}") from exc

    def _joined(self, con: duckdb.DuckDBPyConnection) -> Db:
        """A caller's raw connection (inside its own transaction) as the repositories use it."""
        return Db(con, path=self.path, read_only=False, clock=self.clock, joined=True)

    def upsert_prices(
        self,
        con: duckdb.DuckDBPyConnection,
        prices: pl.DataFrame,
        *,
        source: str,
        fetched_at: dt.datetime | None = None,
    ) -> UpsertCounts:
        """:meth:`MarketRepo.upsert_prices` on ``con`` (inside the caller's transaction)."""
        return MarketRepo(self._joined(con)).upsert_prices(
            prices, source=source, fetched_at=fetched_at
        )

    def upsert_actions(
        self,
        con: duckdb.DuckDBPyConnection,
        actions: pl.DataFrame,
        *,
        source: str,
        fetched_at: dt.datetime | None = None,
    ) -> UpsertCounts:
        """:meth:`MarketRepo.upsert_actions` on ``con``."""
        return MarketRepo(self._joined(con)).upsert_actions(
            actions, source=source, fetched_at=fetched_at
        )

    def upsert_factors(
        self, con: duckdb.DuckDBPyConnection, factors: pl.DataFrame, *, source: str
    ) -> UpsertCounts:
        """:meth:`MarketRepo.upsert_factors` on ``con``."""
        return MarketRepo(self._joined(con)).upsert_factors(factors, source=source)

    def upsert_events(
        self, con: duckdb.DuckDBPyConnection, events: pl.DataFrame, tickers: pl.DataFrame
    ) -> UpsertCounts:
        """:meth:`EventsRepo.upsert_frames` on ``con``."""
        return EventsRepo(self._joined(con)).upsert_frames(events, tickers)

    def log_load(
        self,
        *,
        kind: str,
        target: str,
        started_at: dt.datetime,
        counts: UpsertCounts | None = None,
        rejected: int = 0,
        outcome: str = "ok",
        error: str | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """:meth:`LoadsRepo.record`, in ``con``'s transaction if given, else on its own."""

        def record(loads: LoadsRepo) -> None:
            loads.record(
                kind=kind,
                target=target,
                started_at=started_at,
                counts=counts or UpsertCounts(),
                rejected=rejected,
                outcome=outcome,
                error=error,
            )

        if con is not None:
            record(LoadsRepo(self._joined(con)))
            return
        with self.open(write=True) as db:
            record(db.loads)

    def prices(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> pl.DataFrame:
        """:meth:`MarketRepo.prices` in a session of its own."""
        with self.open() as db:
            return db.market.prices(tickers, start, end)

    def actions(self, tickers: Sequence[str] | None = None) -> pl.DataFrame:
        """:meth:`MarketRepo.actions` in a session of its own."""
        with self.open() as db:
            return db.market.actions(tickers)

    def factors(self, start: dt.date | None = None, end: dt.date | None = None) -> pl.DataFrame:
        """:meth:`MarketRepo.factors` in a session of its own."""
        with self.open() as db:
            return db.market.factors(start, end)

    def coverage(self) -> pl.DataFrame:
        """:meth:`MarketRepo.coverage` in a session of its own."""
        with self.open() as db:
            return db.market.coverage()

    def ensure_sessions(self, sessions: Sequence[dt.date]) -> int:
        """:meth:`MarketRepo.ensure_sessions` in a write session of its own."""
        with self.open(write=True) as db:
            return db.market.ensure_sessions(sessions)

    def events(self) -> pl.DataFrame:
        """:meth:`EventsRepo.frame` in a session of its own."""
        with self.open() as db:
            return db.events.frame()

    def event_tickers(self) -> pl.DataFrame:
        """:meth:`EventsRepo.catalog` in a session of its own."""
        with self.open() as db:
            return db.events.catalog()

    def recent_loads(self, limit: int = 10) -> pl.DataFrame:
        """The latest loads, newest first (all ``loads`` columns)."""
        return self.query("SELECT * FROM loads ORDER BY load_id DESC LIMIT ?", [limit])
