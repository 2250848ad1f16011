"""Result tables (study and backtest runs): shaping frames to a table and appending them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage._frames import strictly_increasing
from storage.errors import NotFoundError, StoreInputError
from storage.repos._db import Db

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Rows:
    """Rows shaped for one table: ``frame`` holds every column of ``columns`` except the
    ``constants`` (the same value on every row, e.g. the run id), which the insert sets."""

    columns: tuple[str, ...]
    frame: pl.DataFrame
    constants: Mapping[str, Any]

    @property
    def height(self) -> int:
        return self.frame.height


def shape(
    frame: pl.DataFrame,
    columns: Sequence[str],
    keys: Sequence[str],
    constants: Mapping[str, Any],
    *,
    table: str,
) -> Rows:
    """``frame`` as the rows of ``table``: exactly ``columns`` in order, constants set.

    Columns of ``frame`` the table does not have are left out; table columns the frame
    lacks are null; NaN becomes null (a missing statistic, not a number). Key columns
    must be present, set on every row and unique (the result tables have no key index).
    The constants stay out of the frame: the insert passes each once, as a parameter
    (a run id repeated on 590,000 rows cost a fifth of the insert).
    """
    import polars as pl

    missing_keys = [k for k in keys if k not in frame.columns and k not in constants]
    if missing_keys:
        raise StoreInputError(f"the {table} rows lack the key column(s) {', '.join(missing_keys)}")
    absent = [k for k in keys if k in constants and constants[k] is None]
    if absent:
        raise StoreInputError(f"some {table} rows have no {' / '.join(absent)}")
    exprs = []
    for c in columns:
        if c in constants:
            continue
        if c in frame.columns:
            col = pl.col(c)
            if frame.schema[c] in (pl.Float64, pl.Float32):
                col = col.fill_nan(None)
            exprs.append(col.alias(c))
        else:
            exprs.append(pl.lit(None).alias(c))
    shaped = frame.select(exprs) if frame.width else pl.DataFrame().select(exprs).clear()
    nulls = [k for k in keys if k not in constants and shaped.get_column(k).null_count()]
    if nulls:
        raise StoreInputError(f"some {table} rows have no {' / '.join(nulls)}")
    # the tables have no key index (migration 0010): the key is checked here, once per write
    varying = [k for k in keys if k not in constants]
    if varying and shaped.height > 1:
        repeated = _repeated(shaped, varying)
        if repeated.height:
            first = {k: repeated.item(0, k) for k in varying}
            raise StoreInputError(
                f"{repeated.height} {table} rows share their key ({', '.join(varying)}) with "
                f"another row, e.g. {first}; each key is stored once"
            )
    return Rows(tuple(columns), shaped, {c: constants[c] for c in columns if c in constants})


def _repeated(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """The rows of ``frame`` whose (non-null) key another row has too: none when the frame
    is in increasing key order, as the engine writes its frames (one comparison per row);
    else found by hashing every key."""
    if strictly_increasing(frame, keys):
        return frame.clear()
    return frame.filter(frame.select(keys).is_duplicated())


def append(db: Db, table: str, rows: Rows, *, what: str) -> int:
    """Append ``rows`` to ``table`` by column name, each constant passed once as a
    parameter; returns the rows written."""
    if rows.height == 0:
        return 0
    names = ", ".join(f'"{c}"' for c in rows.columns)
    values = ", ".join("?" if c in rows.constants else f'"{c}"' for c in rows.columns)
    with db.registered("_frame", rows.frame, what=what):
        db.execute(
            f"INSERT INTO {table} ({names}) SELECT {values} FROM _frame",
            [rows.constants[c] for c in rows.columns if c in rows.constants],
            what=f"{what} ({table})",
        )
    return rows.height


def check_json(text: str, *, field: str, key: str) -> None:
    """Refuse ``text`` unless it parses as JSON (the column type is JSON)."""
    try:
        json.loads(text)
    except (TypeError, ValueError) as exc:
        raise StoreInputError(f"{key}: {field} is not JSON text ({exc})") from exc


def insert_run(
    db: Db,
    table: str,
    columns: Sequence[str],
    values: Sequence[object],
    shaped: Sequence[tuple[str, Rows]],
    *,
    what: str,
) -> int:
    """Insert a run's head row into ``table`` and append its shaped result frames, all or
    nothing; returns the result rows written."""
    written = 0
    with db.atomic(what):
        db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            list(values),
            what=what,
        )
        for name, rows in shaped:
            written += append(db, name, rows, what=what)
    return written


def load_run(
    db: Db,
    table: str,
    columns: Sequence[str],
    results: Mapping[str, Sequence[str]],
    run_id: str,
    *,
    kind: str,
) -> dict[str, pl.DataFrame]:
    """A stored run's rows: ``table`` (its one head row) then each result table of
    ``results`` (sorted by every column). Raises :class:`NotFoundError` naming ``kind``."""
    what = f"read {kind} {run_id}"
    head = db.frame(
        f"SELECT {', '.join(columns)} FROM {table} WHERE run_id = ?", [run_id], what=what
    )
    if head.height == 0:
        raise NotFoundError(f"no stored {kind} {run_id!r}", what=kind, key=run_id)
    frames = {table: head}
    for name, cols in results.items():
        quoted = ", ".join(f'"{c}"' for c in cols)
        frames[name] = db.frame(
            f"SELECT {quoted} FROM {name} WHERE run_id = ? ORDER BY ALL", [run_id], what=what
        )
    return frames
