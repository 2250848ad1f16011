"""An open store: one DuckDB connection for one unit of work, with the repositories on it.

Made by :meth:`storage.Store.open`::

    with store.open() as db:                      # read-only: one consistent snapshot
        events = db.events.list(tickers=["AMZN"])
        prices = db.market.prices(["AMZN", "SPY"], start=start)

    with store.open(write=True) as db:            # migrated to the latest schema on open
        with db.transaction():                    # all or nothing
            counts = db.market.upsert_prices(frame, source="file:prices.csv")
            db.loads.record(kind="prices-file", target="prices.csv", started_at=t0, counts=counts)

Transactions
------------
* A **read-only** session runs inside one read transaction from open to close, so every
  read sees the same snapshot. (DuckDB aborts a transaction when a statement fails; the
  session then begins a new one, so later reads work but see the store as of that moment.)
  :meth:`OpenStore.transaction` is refused there.
* In a **write** session each repository write is atomic on its own (one transaction per
  call). ``with db.transaction():`` groups several: it commits when the block ends and rolls
  everything back when it raises; reads inside it share its snapshot (outside one, each
  read sees what is committed at that moment). Transactions do not nest (DuckDB has no savepoints): a
  ``transaction()`` inside another raises :class:`~storage.errors.StoreError` instead of
  silently joining. When a statement inside fails, the transaction can only roll back:
  later statements are refused and the block ends with an error even if the failure was
  caught.

The session is not thread-safe: use one per thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from storage.repos._db import Db

if TYPE_CHECKING:
    from storage.repos.backtest_runs import BacktestRunsRepo
    from storage.repos.events import EventsRepo
    from storage.repos.loads import LoadsRepo
    from storage.repos.market import MarketRepo
    from storage.repos.refresh_log import RefreshLogRepo
    from storage.repos.spillover import SpilloverRepo
    from storage.repos.studies import StudiesRepo
    from storage.repos.study_runs import StudyRunsRepo


class OpenStore:
    """One connection to the store and the repositories that use it.

    Attributes
    ----------
    market
        prices, dividends and splits, factors, coverage, the session calendar
    events
        the event catalog
    study_runs, backtest_runs
        stored runs and their result tables
    studies
        registered studies
    refresh_log
        refresh runs and their per-ticker record
    loads
        the loads log
    spillover
        the spillover tables of study runs (matrix, role tests, controls)

    Each repository module is imported when first used (a command that lists events does not
    load the code of stored runs).
    """

    def __init__(self, db: Db, *, schema_version: int) -> None:
        self._db = db
        self.schema_version = schema_version

    @cached_property
    def market(self) -> MarketRepo:
        from storage.repos.market import MarketRepo

        return MarketRepo(self._db)

    @cached_property
    def events(self) -> EventsRepo:
        from storage.repos.events import EventsRepo

        return EventsRepo(self._db)

    @cached_property
    def study_runs(self) -> StudyRunsRepo:
        from storage.repos.study_runs import StudyRunsRepo

        return StudyRunsRepo(self._db)

    @cached_property
    def backtest_runs(self) -> BacktestRunsRepo:
        from storage.repos.backtest_runs import BacktestRunsRepo

        return BacktestRunsRepo(self._db)

    @cached_property
    def studies(self) -> StudiesRepo:
        from storage.repos.studies import StudiesRepo

        return StudiesRepo(self._db)

    @cached_property
    def refresh_log(self) -> RefreshLogRepo:
        from storage.repos.refresh_log import RefreshLogRepo

        return RefreshLogRepo(self._db)

    @cached_property
    def loads(self) -> LoadsRepo:
        from storage.repos.loads import LoadsRepo

        return LoadsRepo(self._db)

    @cached_property
    def spillover(self) -> SpilloverRepo:
        from storage.repos.spillover import SpilloverRepo

        return SpilloverRepo(self._db)

    @property
    def path(self) -> Path:
        return self._db.path

    def now(self) -> dt.datetime:
        """The store's clock (``Store(clock=...)``): the time stamped on what is written."""
        return self._db.clock()

    @property
    def writable(self) -> bool:
        """Whether the session was opened with ``write=True``."""
        return not self._db.read_only

    @property
    def in_transaction(self) -> bool:
        """Whether a :meth:`transaction` block is open."""
        return self._db.in_transaction

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: commit at the end of the block, roll back if it raises (no nesting)."""
        self._db.require_write("open a write transaction")
        self._db.begin()
        try:
            yield
        except BaseException:
            self._db.rollback()
            raise
        self._db.commit()

    def write_through(self) -> None:
        """Write each later commit of this session straight into the store file.

        By default DuckDB logs a commit (rows beyond a row group go to the file at once, the
        rest to its write-ahead log) and copies the logged part into the file at the next
        checkpoint, at the latest when the store is closed. After this call it checkpoints at
        every commit, and skips the log for a commit it is about to checkpoint: the rows are
        written once, and the closing checkpoint has nothing left to do (a study run's
        results: about 0.04 s less). Durable at commit as before. For a session whose work is
        one large commit; one of many small commits is better off without it (a checkpoint
        each).
        """
        self._db.require_write("write through to the store file")
        self._db.execute("SET checkpoint_threshold = '0b'", what="write through to the store file")

    def close(self) -> None:
        """Close the connection (the ``with`` block does it); later calls raise StoreError."""
        self._db.close()
