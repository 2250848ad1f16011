"""Errors raised by ``storage``: the DuckDB store, file imports and price sources.

Our exception hierarchy::

    StorageError                      base of everything storage raises
    ├── StoreError                    the DuckDB file cannot be opened, read or written
    │   ├── StoreLockedError          another process holds the file (transient)
    │   ├── SchemaVersionError        the file was written by a newer market-reaction
    │   ├── ReadOnlyError             a write asked of a session opened read-only
    │   ├── NotFoundError (LookupError)      no stored run, study or refresh with that id
    │   ├── StoreInputError (ValueError)     rows handed to a repository are malformed
    │   └── QueryError                people's own SQL failed (DuckDB's message, one line)
    │       ├── ReadOnlyQueryError    ... because it writes and the store is read-only
    │       └── ExternalAccessError   ... because it reads/writes files, the network, extensions
    ├── ImportFileError (ValueError)  a file to import is unreadable or has bad rows
    │   └── UnknownLayoutError        the header matches no known layout
    └── SourceError                   a price or factor source failed for one ticker
        ├── NoPriceDataError (LookupError)   empty or missing series
        ├── UnknownTickerError (LookupError) the source does not know the symbol
        ├── RateLimitedError          HTTP 429, after our own retries (transient)
        └── SourceTimeoutError        timeouts / connection errors (transient)

``Transient`` is a marker mixin: ``jobs`` retries only errors that carry it.
Third-party exceptions (``duckdb.Error``, yfinance, requests) never leave
``storage``: they are translated here and chained with ``raise ... from exc``.
"""

from __future__ import annotations


class Transient:
    """Marker: the same call may succeed later (rate limit, lock, timeout)."""


class StorageError(Exception):
    """Base class of every error raised by :mod:`storage`."""


class StoreError(StorageError):
    """The DuckDB store could not be opened, read or written."""


class StoreLockedError(StoreError, Transient):
    """Another process holds the DuckDB file (only one writer may open it)."""


class SchemaVersionError(StoreError):
    """The store's schema is newer than this version of market-reaction understands."""


class ReadOnlyError(StoreError):
    """A write was asked of a session opened read-only (``store.open()`` without ``write=True``)."""


class NotFoundError(StoreError, LookupError):
    """No stored row with the id asked for; ``what`` names the kind ("study run"), ``key`` the id."""

    def __init__(self, message: str, *, what: str, key: object):
        super().__init__(message)
        self.what = what
        self.key = key


class StoreInputError(StoreError, ValueError):
    """Rows handed to a repository do not have the columns or values it stores."""


class QueryError(StoreError):
    """People's own SQL failed; the message is DuckDB's on one line, with the position when known.

    ``statement`` is the type of the statement that failed (``"SELECT"``, ``"COPY"`` ...) when known.
    """

    def __init__(self, message: str, *, statement: str | None = None):
        super().__init__(message)
        self.statement = statement


class ReadOnlyQueryError(QueryError, ReadOnlyError):
    """People's SQL tried to change a store opened read-only."""


class ExternalAccessError(QueryError):
    """People's SQL tried to reach files, the network or extensions, or to unlock settings,
    while outside access is off (the default; ``allow_external=True`` turns it on)."""


class ImportFileError(StorageError, ValueError):
    """A file to import could not be read, or some of its rows are invalid.

    ``path`` names the file; ``problems`` lists ``(line, reason)`` pairs where known.
    """

    def __init__(self, message: str, *, path: str, problems: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.path = path
        self.problems = list(problems or [])


class UnknownLayoutError(ImportFileError):
    """The file's header matches none of the layouts ``reaction prices import`` knows."""


class SourceError(StorageError):
    """A data source failed for one ticker (or one download). ``ticker`` may be ``None``."""

    def __init__(self, message: str, *, ticker: str | None = None):
        super().__init__(message)
        self.ticker = ticker


class NoPriceDataError(SourceError, LookupError):
    """The source returned no rows for the ticker and range asked for."""


class UnknownTickerError(SourceError, LookupError):
    """The source does not know the ticker (unknown or delisted symbol)."""


class RateLimitedError(SourceError, Transient):
    """The source kept answering HTTP 429 after our retries."""


class SourceTimeoutError(SourceError, Transient):
    """The source timed out or the connection failed after our retries."""
