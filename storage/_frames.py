"""Small checks on polars frames shared by the repositories and the file sources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def strictly_increasing(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether every row's ``keys`` are greater (lexicographically) than the row before's.

    Such a frame has no repeated key; finding that out costs one comparison per row, where
    hashing every key (``is_duplicated``, ``unique``) costs about five times as much. A
    null key makes the answer False.
    """
    import polars as pl

    later: pl.Expr | None = None
    for name in reversed(keys):
        c, before = pl.col(name), pl.col(name).shift(1)
        later = (c > before) if later is None else (c > before) | ((c == before) & later)
    if later is None:
        raise ValueError("strictly_increasing needs at least one key column")
    if any(frame.get_column(k).null_count() for k in keys):
        return False
    # with no null key, a null comparison is the first row's (no row before it)
    return frame.height < 2 or bool(frame.select(later.fill_null(True).all()).item())
