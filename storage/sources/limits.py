"""The bounds a price file's values must keep and the words it may write for a missing value
(see :mod:`storage.sources.files`), without polars.

Both readers of price files apply them: polars' (:mod:`storage.sources.file_checks`, which
explains every bad row) and DuckDB's fast path for clean files (:mod:`storage.repos.price_csv`).
"""

from __future__ import annotations

#: The largest open, high, low, close, adj_close or dividend accepted.
MAX_PRICE = 1e7
#: The largest volume accepted (shares per session).
MAX_VOLUME = 1e13
#: The price columns of the long layout (volume apart).
PRICES = ("open", "high", "low", "close", "adj_close")
#: The cells a price file may write for a missing value (any column).
MISSING = ("", "null", "NULL", "nan", "NaN", "NA", "N/A", "None")
