"""Storage: the DuckDB store and every data source (Yahoo, files, Ken French)."""

from __future__ import annotations

from storage.errors import (
    ImportFileError,
    NoPriceDataError,
    SourceError,
    StorageError,
    StoreError,
    StoreLockedError,
)
from storage.store import Store, UpsertCounts

__all__ = [
    "ImportFileError",
    "NoPriceDataError",
    "SourceError",
    "StorageError",
    "Store",
    "StoreError",
    "StoreLockedError",
    "UpsertCounts",
]
