"""Storage: the DuckDB store and every data source (Yahoo, files, Ken French).

``from storage import Store`` imports DuckDB but neither polars nor pyarrow: sessions,
people's SQL and the record listings work without them; frames are made (and polars
imported) only by the methods that return or take one. The errors import nothing at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.errors import (
    ExternalAccessError,
    ImportFileError,
    NoPriceDataError,
    NotFoundError,
    QueryError,
    ReadOnlyError,
    ReadOnlyQueryError,
    SourceError,
    StorageError,
    StoreError,
    StoreInputError,
    StoreLockedError,
)

if TYPE_CHECKING:
    from storage.repos._upsert import UpsertCounts
    from storage.session import OpenStore
    from storage.store import Store

__all__ = [
    "ExternalAccessError",
    "ImportFileError",
    "NoPriceDataError",
    "NotFoundError",
    "OpenStore",
    "QueryError",
    "ReadOnlyError",
    "ReadOnlyQueryError",
    "SourceError",
    "StorageError",
    "Store",
    "StoreError",
    "StoreInputError",
    "StoreLockedError",
    "UpsertCounts",
]

_LAZY = {
    "Store": "storage.store",
    "OpenStore": "storage.session",
    "UpsertCounts": "storage.repos._upsert",
}


def __getattr__(name: str) -> Any:
    """``Store`` and friends on first use, so that ``import storage.errors`` stays free."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
