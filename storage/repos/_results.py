"""Result tables (study and backtest runs): shaping frames to a table and appending them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from storage.errors import StoreInputError
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
    must be present and set on every row.
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
