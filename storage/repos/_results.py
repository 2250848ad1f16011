"""Result tables (study and backtest runs): shaping frames to a table and appending them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from storage.errors import NotFoundError, StoreInputError
from storage.repos._db import Db

if TYPE_CHECKING:
    import polars as pl


def shape(
    frame: pl.DataFrame,
    columns: Sequence[str],
    keys: Sequence[str],
    constants: Mapping[str, Any],
    *,
    table: str,
) -> pl.DataFrame:
    """``frame`` as the rows of ``table``: exactly ``columns`` in order, constants set.

    Columns of ``frame`` the table does not have are left out; table columns the frame
    lacks are null; NaN becomes null (a missing statistic, not a number). Key columns
    must be present, set on every row and unique (the result tables have no key index).
    """
    import polars as pl

    missing_keys = [k for k in keys if k not in frame.columns and k not in constants]
    if missing_keys:
        raise StoreInputError(f"the {table} rows lack the key column(s) {', '.join(missing_keys)}")
    exprs = []
    for c in columns:
        if c in constants:
            exprs.append(pl.lit(constants[c]).alias(c))
        elif c in frame.columns:
            col = pl.col(c)
            if frame.schema[c] in (pl.Float64, pl.Float32):
                col = pl.when(col.is_nan()).then(None).otherwise(col)
            exprs.append(col.alias(c))
        else:
            exprs.append(pl.lit(None).alias(c))
    shaped = frame.select(exprs) if frame.width else pl.DataFrame().select(exprs).clear()
    nulls = [k for k in keys if shaped.get_column(k).null_count()]
    if nulls:
        raise StoreInputError(f"some {table} rows have no {' / '.join(nulls)}")
    # the tables have no key index (migration 0010): the key is checked here, once per write
    varying = [k for k in keys if k not in constants]
    if varying and shaped.height > 1:
        repeated = shaped.filter(shaped.select(varying).is_duplicated())
        if repeated.height:
            first = {k: repeated.item(0, k) for k in varying}
            raise StoreInputError(
                f"{repeated.height} {table} rows share their key ({', '.join(varying)}) with "
                f"another row, e.g. {first}; each key is stored once"
            )
    return shaped


def append(db: Db, table: str, frame: pl.DataFrame, *, what: str) -> int:
    """Append ``frame`` (already shaped) to ``table`` by column name; returns the rows written."""
    if frame.height == 0:
        return 0
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    with db.registered("_frame", frame, what=what):
        db.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _frame", what=f"{what} ({table})"
        )
    return frame.height


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
    shaped: Sequence[tuple[str, pl.DataFrame]],
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
        for name, frame in shaped:
            written += append(db, name, frame, what=what)
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
