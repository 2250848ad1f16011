"""Market data: daily prices, corporate actions, factor returns and the session calendar.

Frames in and out follow the canonical schemas of :mod:`storage.sources.base`:

* prices: ``ticker, date, open, high, low, close, adj_close, volume`` (+ ``source,
  fetched_at`` when read back), one row per ticker and session;
* actions: ``ticker, date, kind, value`` (+ ``source, fetched_at``), ``kind`` is
  ``"dividend"`` (cash per share) or ``"split"`` (ratio, 4.0 for 4:1);
* factors: ``date, mkt_rf, smb, hml, rmw, cma, mom, rf`` as fractions (+ ``source,
  loaded_at``).

Writes are counting upserts (:class:`~storage.repos.UpsertCounts`); each is atomic on
its own, or part of the session's open transaction.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.errors import StoreInputError
from storage.repos._db import Db
from storage.repos._upsert import Table, UpsertCounts, upsert, upsert_from

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt
    import polars as pl

    from storage.repos.price_csv import StagedPrices

PRICE_COLUMNS = ("ticker", "date", "open", "high", "low", "close", "adj_close", "volume")
ACTION_COLUMNS = ("ticker", "date", "kind", "value")
ACTION_KINDS = ("dividend", "split")
FACTOR_COLUMNS = ("mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf")

PRICES = Table("prices", ("ticker", "date"), PRICE_COLUMNS[2:], ("source", "fetched_at"))
ACTIONS = Table("actions", ("ticker", "date", "kind"), ("value",), ("source", "fetched_at"))
FACTORS = Table("factors", ("date",), FACTOR_COLUMNS, ("source", "loaded_at"))
#: Base tables without a key index (migration 0016): the upsert alone keeps their keys unique.
UNINDEXED: tuple[str, ...] = (PRICES.name,)


@dataclass(frozen=True)
class PriceSpan:
    """What the store holds for one ticker: first and last session, row count."""

    ticker: str
    first: dt.date
    last: dt.date
    rows: int


class MarketRepo:
    """Prices, dividends and splits, factors, and the numbered XNYS sessions."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self._files_staged = 0  # names the staging tables of this session

    # -- writes ---------------------------------------------------------------------------------

    def upsert_prices(
        self, prices: pl.DataFrame, *, source: str, fetched_at: dt.datetime | None = None
    ) -> UpsertCounts:
        """Insert new (ticker, date) rows and update changed ones; stamp them with ``source``.

        ``prices`` has the columns of ``PRICE_SCHEMA`` (extra columns are ignored); ``ticker``,
        ``date`` and ``close`` must be set on every row.
        """
        from storage.sources.base import PRICE_SCHEMA

        frame = _conform(prices, PRICE_SCHEMA, required=("ticker", "date", "close"), what="prices")
        stamp = (source, fetched_at or self._db.clock())
        return upsert(self._db, PRICES, frame, stamp, what="store prices")

    def stage_price_csv(self, path: Path) -> StagedPrices | None:
        """Stage a clean long price CSV with DuckDB alone, else None (read it with
        :func:`storage.sources.files.read_file`); see :mod:`storage.repos.price_csv`.

        Dates must be stored sessions where the stored calendar reaches: call this only
        when it is the calendar ``read_file`` would check against.
        """
        from storage.repos.price_csv import stage_long_csv

        self._db.require_write("stage a price file")
        self._files_staged += 1
        table = f"_staged_file_{self._files_staged}"
        return stage_long_csv(self._db, path, table=table)

    def upsert_staged_prices(
        self, staged: StagedPrices, *, source: str, fetched_at: dt.datetime | None = None
    ) -> UpsertCounts:
        """:meth:`upsert_prices` for the rows of a staged file (its table stays until
        :meth:`discard_staged`)."""
        stamp = (source, fetched_at or self._db.clock())
        return upsert_from(self._db, PRICES, staged.table, stamp, what="store prices")

    def discard_staged(self, staged: StagedPrices) -> None:
        """Drop a staged file's table, loaded or not (harmless twice)."""
        from storage.repos.price_csv import drop_staged

        drop_staged(self._db, staged.table)

    def upsert_actions(
        self, actions: pl.DataFrame, *, source: str, fetched_at: dt.datetime | None = None
    ) -> UpsertCounts:
        """Insert or update dividends and splits keyed on (ticker, date, kind)."""
        import polars as pl

        from storage.sources.base import ACTION_SCHEMA

        frame = _conform(actions, ACTION_SCHEMA, required=ACTION_COLUMNS, what="actions")
        bad = frame.filter(~pl.col("kind").is_in(ACTION_KINDS)).height
        if bad:
            raise StoreInputError(
                f"{bad} action row(s) have a kind other than {' or '.join(ACTION_KINDS)}"
            )
        stamp = (source, fetched_at or self._db.clock())
        return upsert(self._db, ACTIONS, frame, stamp, what="store dividends and splits")

    def upsert_factors(
        self, factors: pl.DataFrame, *, source: str, loaded_at: dt.datetime | None = None
    ) -> UpsertCounts:
        """Insert or update daily factor returns (fractions) keyed on date; absent factors are null."""
        import polars as pl

        if "date" not in factors.columns:
            raise StoreInputError("the factor rows have no 'date' column")
        cols = [pl.col("date").cast(pl.Date)]
        for c in FACTOR_COLUMNS:
            cols.append(
                pl.col(c).cast(pl.Float64)
                if c in factors.columns
                else pl.lit(None, pl.Float64).alias(c)
            )
        frame = _cast(factors, cols, what="factors")
        if frame.get_column("date").null_count():
            raise StoreInputError("some factor rows have no date")
        stamp = (source, loaded_at or self._db.clock())
        return upsert(self._db, FACTORS, frame, stamp, what="store factor returns")

    # -- reads ----------------------------------------------------------------------------------

    def prices(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        *,
        provenance: bool = True,
    ) -> pl.DataFrame:
        """Stored prices (``PRICE_COLUMNS`` + ``source, fetched_at``) sorted by ticker, date.

        ``tickers`` are matched upper-cased; ``start`` and ``end`` are inclusive. Without
        ``provenance`` the two stamp columns are left out: they are most of the cost of a
        large read (3 million rows: about 0.3 s without them, 2 s with them), and
        :meth:`price_provenance` gives them per ticker.
        """
        where, params = _range_filter(tickers, start, end)
        cols = ", ".join((*PRICE_COLUMNS, *(("source", "fetched_at") if provenance else ())))
        return self._db.frame(
            f"SELECT {cols} FROM prices {where} ORDER BY ticker, date", params, what="read prices"
        )

    def price_provenance(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> pl.DataFrame:
        """Per ticker with prices in the range: ``ticker, loaded_at`` (the latest
        ``fetched_at``) and ``source`` (that of the latest loaded row), sorted by ticker."""
        where, params = _range_filter(tickers, start, end)
        return self._db.frame(
            "SELECT ticker, max(fetched_at) AS loaded_at, "
            "arg_max(source, fetched_at) AS source "
            f"FROM prices {where} GROUP BY ticker ORDER BY ticker",
            params,
            what="read price provenance",
        )

    def actions(
        self,
        tickers: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> pl.DataFrame:
        """Stored dividends and splits (``ACTION_COLUMNS`` + ``source, fetched_at``)."""
        where, params = _range_filter(tickers, start, end)
        cols = ", ".join((*ACTION_COLUMNS, "source", "fetched_at"))
        return self._db.frame(
            f"SELECT {cols} FROM actions {where} ORDER BY ticker, date, kind",
            params,
            what="read dividends and splits",
        )

    def factors(self, start: dt.date | None = None, end: dt.date | None = None) -> pl.DataFrame:
        """Stored factor returns (``date``, ``FACTOR_COLUMNS``, ``source, loaded_at``) by date."""
        where, params = _range_filter(None, start, end)
        cols = ", ".join(("date", *FACTOR_COLUMNS, "source", "loaded_at"))
        return self._db.frame(
            f"SELECT {cols} FROM factors {where} ORDER BY date", params, what="read factors"
        )

    def coverage(self) -> pl.DataFrame:
        """Per ticker: ``ticker, first, last, rows, last_loaded, source`` (of the newest load)."""
        return self._db.frame(
            "SELECT ticker, min(date) AS first, max(date) AS last, count(*) AS rows, "
            "max(fetched_at) AS last_loaded, arg_max(source, fetched_at) AS source "
            "FROM prices GROUP BY ticker ORDER BY ticker",
            what="read the price coverage",
        )

    def spans(self, tickers: Sequence[str] | None = None) -> dict[str, PriceSpan]:
        """First and last stored session and row count per ticker (tickers with no rows are absent)."""
        where, params = _range_filter(tickers, None, None)
        rows = self._db.rows(
            f"SELECT ticker, min(date), max(date), count(*) FROM prices {where} "
            "GROUP BY ticker ORDER BY ticker",
            params,
            what="read the stored price spans",
        )
        return {r[0]: PriceSpan(r[0], r[1], r[2], int(r[3])) for r in rows}

    def tickers_changed_since(self, since: dt.datetime) -> set[str]:
        """Tickers with a price, dividend or split row loaded at or after ``since``."""
        rows = self._db.rows(
            "SELECT ticker FROM prices WHERE fetched_at >= ? "
            "UNION SELECT ticker FROM actions WHERE fetched_at >= ?",
            [since, since],
            what="find the tickers loaded since a time",
        )
        return {r[0] for r in rows}

    # -- the session calendar -------------------------------------------------------------------

    def session_summary(self) -> tuple[int, dt.date | None, dt.date | None]:
        """``(count, first, last)`` of the stored session calendar (one small query)."""
        row = self._db.row(
            "SELECT count(*), min(date), max(date) FROM sessions",
            what="read the session calendar",
        )
        assert row is not None  # an aggregate always returns one row
        return int(row[0]), row[1], row[2]

    def ensure_sessions(self, sessions: Sequence[dt.date] | npt.NDArray[np.datetime64]) -> int:
        """Store the exchange calendar the SQL views count in; returns the rows written.

        ``sessions`` are the calendar's session dates, ascending (``datetime.date`` or
        ``datetime64[D]``). Session ``i`` (0-based) gets ``session_no = i``. Cheap and
        idempotent: one small query when the stored calendar already has the same length and
        ends (nothing is written, so a read-only session may call it). A calendar that extends
        the stored one at the end is appended; one that is a prefix of it changes nothing;
        anything else (a different start, a closure added or removed) rewrites the table.
        """
        n = len(sessions)
        if n == 0:
            raise StoreInputError("the session calendar is empty")
        first, last = _as_date(sessions[0]), _as_date(sessions[-1])
        have = self._db.row(
            "SELECT count(*), min(date), max(date), max(session_no) FROM sessions",
            what="read the session calendar",
        )
        assert have is not None  # an aggregate always returns one row
        count, have_first, have_last, max_no = int(have[0]), have[1], have[2], have[3]
        if count == n and have_first == first and have_last == last:
            return 0
        if count > n and have_first == first and last < have_last:
            upto = self._db.row(
                "SELECT count(*), max(date) FROM sessions WHERE date <= ?",
                [last],
                what="read the session calendar",
            )
            if upto == (n, last):
                return 0  # the given calendar is the start of the stored one: keep the longer
        dates = [_as_date(d) for d in sessions]
        if any(b <= a for a, b in itertools.pairwise(dates)):
            raise StoreInputError("the session calendar is not strictly ascending")
        extends = (
            0 < count < n
            and have_first == first
            and dates[count - 1] == have_last
            and max_no == count - 1
        )
        what = "store the session calendar"
        with self._db.atomic(what):
            if extends:
                new = dates[count:]
                self._db.execute(
                    "INSERT INTO sessions SELECT unnest(?::DATE[]), unnest(?::INTEGER[])",
                    [new, list(range(count, n))],
                    what=what,
                )
                return len(new)
            self._db.execute("DELETE FROM sessions", what=what)
            self._db.execute(
                "INSERT INTO sessions SELECT unnest(?::DATE[]), unnest(?::INTEGER[])",
                [dates, list(range(n))],
                what=what,
            )
        return n

    def sessions(self, start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
        """The stored session dates (inclusive range), ascending."""
        where, params = _range_filter(None, start, end)
        rows = self._db.rows(
            f"SELECT date FROM sessions {where} ORDER BY date", params, what="read the sessions"
        )
        return [r[0] for r in rows]


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # numpy datetime64[D] and the like


def _cast(frame: pl.DataFrame, exprs: list[Any], *, what: str) -> pl.DataFrame:
    import polars as pl

    try:
        return frame.select(exprs)
    except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
        raise StoreInputError(f"the {what} rows cannot be stored: {exc}") from exc


def _conform(
    frame: pl.DataFrame, schema: dict[str, Any], *, required: Sequence[str], what: str
) -> pl.DataFrame:
    """``frame`` with exactly ``schema``'s columns, cast; missing or null required columns refused."""
    import polars as pl

    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise StoreInputError(f"the {what} rows lack the column(s) {', '.join(missing)}")
    shaped = _cast(frame, [pl.col(c).cast(t) for c, t in schema.items()], what=what)
    nulls = [c for c in required if shaped.get_column(c).null_count()]
    if nulls:
        raise StoreInputError(f"some {what} rows have no {' / '.join(nulls)}")
    return shaped


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
