"""One DuckDB connection as the repositories use it (private to :mod:`storage`).

Every statement goes through :class:`Db`, which turns ``duckdb.Error`` into
:class:`~storage.errors.StoreError` with a sentence naming what failed (``what``), keeps
track of the transaction, and refuses writes on read-only sessions before DuckDB does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from storage._duck import one_line
from storage.errors import ReadOnlyError, StoreError

if TYPE_CHECKING:
    import polars as pl

Params = Sequence[object] | None


class ArrowStream:
    """A polars frame seen only through ``__arrow_c_stream__``.

    DuckDB scans such an object through the Arrow PyCapsule interface; handed the frame
    itself, it converts it with pyarrow (which imports pyarrow and numpy: about 0.1 s).
    Each scan asks for a new stream, so a registered frame can be read by several queries.
    Columns of polars' ``Null`` type (every value missing, no type: an Arrow ``null`` array
    without buffers) cross as text columns of nulls, which DuckDB's stream reader accepts
    and casts to any column type on insert.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        import polars as pl

        untyped = [c for c, t in frame.schema.items() if t == pl.Null]
        self._frame = frame.with_columns(pl.col(untyped).cast(pl.String)) if untyped else frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self._frame.__arrow_c_stream__(requested_schema)


class Db:
    """A connection plus its state: read-only or not, inside a transaction or not.

    Parameters
    ----------
    con
        The DuckDB connection (owned: :meth:`close` closes it).
    read_only
        Whether the session was opened read-only; writes are refused with a sentence.
    snapshot
        Read sessions hold one read transaction for their whole life (one consistent
        snapshot). After a failed statement DuckDB aborts it; a new one is begun so that
        later reads still work (they then see the store as of that moment).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        path: Path,
        read_only: bool,
        clock: Callable[[], dt.datetime],
        snapshot: bool = False,
    ) -> None:
        self._con: duckdb.DuckDBPyConnection | None = con
        self.path = path
        self.read_only = read_only
        self.clock = clock
        self._snapshot = snapshot
        self._in_transaction = False  # an explicit or atomic() write transaction
        self._aborted: str | None = None  # why the open transaction can only roll back
        if snapshot:
            self.execute("BEGIN TRANSACTION", what="begin a read transaction")

    # -- the connection -------------------------------------------------------------------------

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError(f"the session on {self.path} is closed; open a new one")
        return self._con

    def close(self) -> None:
        """End the read snapshot (if any) and close the connection; closing twice is harmless."""
        con, self._con = self._con, None
        if con is None:
            return
        try:
            if self._snapshot or self._in_transaction:
                con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the connection goes away below; nothing was written in it
        finally:
            con.close()

    def fail(self, exc: duckdb.Error, what: str) -> StoreError:
        """The error to raise for ``exc``; marks an open write transaction as rolled back."""
        message = f"could not {what} in the store {self.path}: {one_line(exc)}"
        if self._in_transaction:
            if self._aborted is None:
                self._aborted = message
        elif self._snapshot and self._con is not None:
            try:  # a failed statement aborts DuckDB's transaction: start a fresh snapshot
                self._con.execute("ROLLBACK")
                self._con.execute("BEGIN TRANSACTION")
            except duckdb.Error:
                pass
        return StoreError(message)

    def _check_usable(self, what: str) -> None:
        if self._aborted is not None and self._in_transaction:
            raise StoreError(
                f"cannot {what}: an earlier statement of this transaction failed, so it will be "
                f"rolled back ({self._aborted})"
            )

    def require_write(self, what: str) -> None:
        """Refuse ``what`` (a write) on a read-only session, with a sentence saying what to do."""
        if self.read_only:
            raise ReadOnlyError(
                f"the session on {self.path} is read-only, so it cannot {what}; "
                "open it with store.open(write=True)"
            )

    # -- statements -----------------------------------------------------------------------------

    def execute(self, sql: str, params: Params = None, *, what: str) -> None:
        """Run a statement that returns nothing (its result is drained)."""
        self._check_usable(what)
        try:
            self.con.execute(sql, list(params) if params is not None else None).fetchall()
        except duckdb.Error as exc:
            raise self.fail(exc, what) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[object]], *, what: str) -> None:
        """Run one statement per parameter row."""
        if not rows:
            return
        self._check_usable(what)
        try:
            self.con.executemany(sql, [list(r) for r in rows])
        except duckdb.Error as exc:
            raise self.fail(exc, what) from exc

    def rows(self, sql: str, params: Params = None, *, what: str) -> list[tuple[Any, ...]]:
        """Every row as a tuple (fully fetched: DuckDB 2 results hold the connection otherwise)."""
        self._check_usable(what)
        try:
            return self.con.execute(sql, list(params) if params is not None else None).fetchall()
        except duckdb.Error as exc:
            raise self.fail(exc, what) from exc

    def row(self, sql: str, params: Params = None, *, what: str) -> tuple[Any, ...] | None:
        """The first row, or ``None``."""
        found = self.rows(sql, params, what=what)
        return found[0] if found else None

    def value(self, sql: str, params: Params = None, *, what: str) -> Any:
        """The first column of the first row (the query must return one)."""
        found = self.row(sql, params, what=what)
        if found is None:
            raise StoreError(f"could not {what} in the store {self.path}: no row came back")
        return found[0]

    def frame(self, sql: str, params: Params = None, *, what: str) -> pl.DataFrame:
        """The result as a polars frame (imports polars on first use).

        The rows cross as an Arrow C stream (the PyCapsule interface both libraries
        implement), so pyarrow, and numpy with it, is never imported for it: about 0.1 s of
        every command's start. The frame is the one ``relation.pl()`` gives.
        """
        import polars as pl

        self._check_usable(what)
        try:
            rel = self.con.sql(sql, params=list(params) if params is not None else None)
            return pl.DataFrame(rel)
        except duckdb.Error as exc:
            raise self.fail(exc, what) from exc

    @contextmanager
    def registered(self, name: str, frame: pl.DataFrame, *, what: str) -> Iterator[str]:
        """``frame`` visible to SQL as ``name`` for the block (an Arrow scan, no copy to disk;
        the frame is handed over as an Arrow C stream, without pyarrow)."""
        try:
            self.con.register(name, ArrowStream(frame))
        except duckdb.Error as exc:
            raise self.fail(exc, what) from exc
        try:
            yield name
        finally:
            with suppress(
                duckdb.Error
            ):  # an aborted transaction refuses it; it dies with the connection
                self.con.unregister(name)

    # -- transactions ---------------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    def begin(self) -> None:
        """Start an explicit write transaction (see :meth:`OpenStore.transaction`)."""
        if self.in_transaction:
            raise StoreError(
                "a transaction is already open in this session; transactions do not nest "
                "(DuckDB has no savepoints): do all the writes in the outer one"
            )
        self.execute("BEGIN TRANSACTION", what="begin a transaction")
        self._in_transaction = True
        self._aborted = None

    def commit(self) -> None:
        """Commit the explicit transaction, or roll it back and raise if a statement failed."""
        aborted = self._aborted
        if aborted is not None:
            self.rollback()
            raise StoreError(f"nothing was written: the transaction was rolled back ({aborted})")
        try:
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self._in_transaction = False
            with suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise StoreError(f"could not commit to the store {self.path}: {one_line(exc)}") from exc
        self._in_transaction = False

    def rollback(self) -> None:
        self._in_transaction = False
        self._aborted = None
        if self._con is None:
            return
        with suppress(duckdb.Error):  # nothing to roll back (DuckDB already ended it)
            self._con.execute("ROLLBACK")

    @contextmanager
    def atomic(self, what: str) -> Iterator[None]:
        """A write that must land whole: joins the open transaction, else runs in its own."""
        self.require_write(what)
        if self.in_transaction:
            yield
            return
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()
