"""A clean long price CSV staged by DuckDB's reader alone: the fast path of a price import.

:func:`storage.sources.files.read_file` reads every layout with polars and explains each
bad row. Most files people import are clean exports in the long layout, though, and for them
polars costs more than the work: importing it is about 0.2 s of a 0.7 s command. This
module stages such a file in a temporary table with DuckDB's CSV reader, checks every row
with one query, and says ``None`` (take :func:`read_file`) whenever it cannot tell that the
rows are exactly those :func:`read_file` would give. It never explains a bad row: a file
with any doubt goes to the reader that does.

A file is staged only when

* it is not Parquet, its path holds none of the characters DuckDB would expand (``* ? [ ]
  { } ~``), and its header is the long layout's names alone (any order and case, none
  twice; ``date``, ``ticker`` and ``close`` among them), written as plain words;
* every other byte is a digit, an upper-case letter, one of ``. , + - e ^ =``, or a line
  break (``\\n`` or ``\\r\\n``): so no quotes, spaces, tabs, words for missing values
  (``null``, ``nan``), ``inf``, thousands separators or other characters DuckDB and
  polars might read differently (DuckDB also reads ``1_000``, ``0x10`` and ``1.5 ``); and no
  two signs in a row (DuckDB reads ``+-0`` as -0.0);
* each line holds a field per column (DuckDB refuses a line with too few; the file holds
  as many commas as its lines need, so none has one too many, which DuckDB would drop if
  empty) and no line is blank (DuckDB skips blank lines, polars reads them as rows of
  missing values: the row count must be the count of lines less the header);
* every date is ``YYYY-MM-DD``, a real date between 1800 and 2199, not a weekend, and a
  stored session when it falls within the stored calendar;
* every ticker is already a normalised symbol (:func:`events.tickers.normalise_ticker`
  gives it back unchanged) and none is a word for a missing value (``NA``, ``NULL``: polars
  reads them as missing in every column);
* every number passes the checks of :mod:`storage.sources.file_checks` (close present;
  prices finite, positive, at most :data:`~storage.sources.limits.MAX_PRICE`; high not below
  low, close and open within them; volume a whole number from 0 to
  :data:`~storage.sources.limits.MAX_VOLUME`);
* no ticker and date appear twice.

Numbers are parsed by DuckDB's reader, which rounds a decimal to the nearest double as
polars does (``tests/storage/repos/test_price_csv.py`` checks the two readers give equal
frames whenever this module stages a file). The staged table holds the columns of
``core.prices`` that a file provides (``ticker, date, open, high, low, close, adj_close,
volume``; absent ones null), sorted by ticker and date as :func:`read_file` sorts them.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from storage.repos._db import Db
from storage.sources.limits import MAX_PRICE, MAX_VOLUME, MISSING, PRICES

#: The long layout's columns, in the order of the staged table.
COLUMNS = ("ticker", "date", *PRICES, "volume")
#: The bytes a clean file's rows may hold.
_BODY = b"0123456789.,+-e^=\r\n" + bytes(range(ord("A"), ord("Z") + 1))
_HEADER = re.compile(rb"[A-Za-z_]+(,[A-Za-z_]+)*(\r\n|\n)?")
#: Two signs in a row with a plus: DuckDB reads ``+-0`` as -0.0, polars refuses it (``--``
#: both refuse).
_SIGNS = (b"+-", b"-+", b"++")
#: Characters DuckDB would expand in a path (a glob, the home folder): the file it read
#: might not be the one scanned.
_EXPANDED = frozenset("*?[]{}~")
_CHUNK = 1 << 23
_PARQUET = {".parquet", ".pq"}


@dataclass(frozen=True)
class StagedPrices:
    """A file's rows in the temporary table ``table``: ``COLUMNS`` (checked, sorted by ticker
    and date; volume as BIGINT) and ``volume_read``, the volume as read."""

    path: Path
    table: str
    rows: int


def _scan(path: Path) -> tuple[list[str], int, int] | None:
    """The header's names, the number of data lines and the number of commas after the
    header, if every byte is one a clean file holds (else None)."""
    try:
        with path.open("rb") as f:
            header = f.readline()
            if not _HEADER.fullmatch(header):
                return None
            lines = commas = 0
            last = b"\n"
            while chunk := f.read(_CHUNK):
                while chunk.endswith((b"\r", b"+", b"-")):  # keep pairs in one chunk
                    more = f.read(1)
                    chunk += more
                    if not more:
                        break
                if chunk.translate(None, _BODY):
                    return None
                if b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"):
                    return None
                if b"+" in chunk and any(pair in chunk for pair in _SIGNS):
                    return None
                lines += chunk.count(b"\n")
                commas += chunk.count(b",")
                last = chunk
    except OSError:
        return None  # read_file names the problem
    if not last.endswith(b"\n"):
        lines += 1  # the last line has no line break
    return header.decode("ascii").strip().lower().split(","), lines, commas


def _columns(names: list[str]) -> bool:
    return (
        len(set(names)) == len(names)
        and set(names) <= set(COLUMNS)
        and {"date", "ticker", "close"} <= set(names)
    )


def stage_long_csv(db: Db, path: Path, *, table: str) -> StagedPrices | None:
    """Stage ``path`` in the temporary table ``table`` if it is a clean long CSV (see the
    module docstring), else None (nothing is left behind).

    Dates are checked against the stored session calendar (the caller makes sure it is the
    one :func:`read_file` would be given); a store without one stages nothing.
    """
    if path.suffix.lower() in _PARQUET or db.in_transaction or _EXPANDED & set(str(path)):
        return None
    scanned = _scan(path)
    if scanned is None or not _columns(scanned[0]):
        return None
    names, lines, commas = scanned
    if commas != lines * (len(names) - 1):
        return None  # a line with a field too many (DuckDB drops a trailing empty one)
    numbers = {*PRICES, "volume"}
    spec = ", ".join(f"'{n}': '{'DOUBLE' if n in numbers else 'VARCHAR'}'" for n in names)
    date_ok = "regexp_full_match(date, '[0-9]{4}-[0-9]{2}-[0-9]{2}')"
    select = {
        "ticker": "ticker",
        "date": f"CASE WHEN {date_ok} THEN CAST(try_strptime(date, '%Y-%m-%d') AS DATE) END",
        **{c: c if c in names else "CAST(NULL AS DOUBLE)" for c in PRICES},
        "volume": (
            "CASE WHEN volume = round(volume) AND volume BETWEEN 0 AND "
            f"{MAX_VOLUME!r} THEN CAST(volume AS BIGINT) END"
            if "volume" in names
            else "CAST(NULL AS BIGINT)"
        ),
        "volume_read": "volume" if "volume" in names else "CAST(NULL AS DOUBLE)",
    }
    try:
        db.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT "
            + ", ".join(f"{expr} AS {c}" for c, expr in select.items())
            + f" FROM read_csv(?, header = true, auto_detect = false, columns = {{{spec}}}, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            "null_padding = false, ignore_errors = false) ORDER BY ticker, date",
            [str(path)],
        )
        if _clean(db, table, lines):
            return StagedPrices(path, table, lines)
    except duckdb.Error:
        pass  # a cell DuckDB cannot read, a ragged line: read_file says which
    drop_staged(db, table)
    return None


def _clean(db: Db, table: str, lines: int) -> bool:
    """Whether the staged rows are ``lines`` rows that every check of read_file passes."""
    from events.tickers import normalise_ticker

    bad = [
        "ticker IS NULL",
        "date IS NULL",
        "NOT date BETWEEN DATE '1800-01-01' AND DATE '2199-12-31'",
        "isodow(date) >= 6",
        "close IS NULL",
        *(f"NOT (isfinite({c}) AND {c} > 0 AND {c} <= {MAX_PRICE!r})" for c in PRICES),
        "volume_read IS NOT NULL AND volume IS NULL",  # not a whole number, or out of bounds
        "high < low",
        "close > high",
        "close < low",
        "open > high",
        "open < low",
    ]
    closed = (
        "count(*) FILTER (WHERE date BETWEEN (SELECT min(date) FROM sessions) AND "
        "(SELECT max(date) FROM sessions) AND date NOT IN (SELECT date FROM sessions))"
    )
    fails = " OR ".join(f"coalesce({b}, false)" for b in bad)
    found = db.con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {fails}), {closed}, "
        f"count(DISTINCT (ticker, date)), (SELECT count(*) FROM sessions) FROM {table}"
    ).fetchone()
    assert found is not None  # an aggregate always returns one row
    rows, failing, holidays, keys, calendar = (int(v) for v in found)
    if rows != lines or failing or holidays or keys != rows or rows == 0 or calendar == 0:
        return False
    tickers = [t for (t,) in db.con.execute(f"SELECT DISTINCT ticker FROM {table}").fetchall()]
    if any(t in MISSING for t in tickers):  # NA, NULL: polars reads them as missing
        return False
    try:
        return all(normalise_ticker(t) == t for t in tickers)
    except ValueError:
        return False


def drop_staged(db: Db, table: str) -> None:
    """Drop the temporary table ``table`` (harmless when it does not exist)."""
    with suppress(duckdb.Error):  # else it dies with the connection
        db.con.execute(f"DROP TABLE IF EXISTS temp.{table}")
