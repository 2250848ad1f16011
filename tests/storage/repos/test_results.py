"""Shaping result frames for their tables: the repeated-key check and the constants."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.errors import StoreInputError
from storage.repos._results import _repeated, shape

_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "ab", "B"]),
        st.integers(-3, 3),
        st.dates(dt.date(1969, 12, 30), dt.date(1970, 1, 3)),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(rows=_rows, in_order=st.booleans())
def test_repeated_keys_are_the_rows_whose_key_another_row_has(
    rows: list[tuple[str, int, dt.date]], in_order: bool
) -> None:
    """Sorted (the fast path) or not, the rows returned are exactly those whose key occurs
    more than once, counted with a dictionary."""
    if in_order:
        rows = sorted(rows)
    frame = pl.DataFrame(
        rows, schema={"id": pl.String, "day": pl.Int64, "date": pl.Date}, orient="row"
    ).with_columns(pl.int_range(pl.len()).alias("row"))
    counts: dict[tuple[str, int, dt.date], int] = {}
    for r in rows:
        counts[r] = counts.get(r, 0) + 1
    want = [i for i, r in enumerate(rows) if counts[r] > 1]
    got = _repeated(frame, ["id", "day", "date"]).get_column("row").to_list()
    assert got == want


def test_shape_keeps_constants_out_of_the_frame_and_refuses_repeats() -> None:
    frame = pl.DataFrame({"event_id": ["e1", "e2"], "x": [1.0, float("nan")], "extra": [1, 2]})
    rows = shape(
        frame, ("run_id", "event_id", "x", "y"), ("run_id", "event_id"), {"run_id": "r"}, table="t"
    )
    assert rows.columns == ("run_id", "event_id", "x", "y")
    assert rows.constants == {"run_id": "r"}
    assert rows.frame.columns == ["event_id", "x", "y"]  # extra left out, y null, NaN null
    assert rows.frame.rows() == [("e1", 1.0, None), ("e2", None, None)]
    twice = pl.concat([frame, frame.head(1)])
    with pytest.raises(StoreInputError, match=r"2 t rows share their key \(event_id\)"):
        shape(
            twice, ("run_id", "event_id", "x"), ("run_id", "event_id"), {"run_id": "r"}, table="t"
        )
    with pytest.raises(StoreInputError, match=r"some t rows have no run_id"):
        shape(frame, ("run_id", "event_id"), ("run_id", "event_id"), {"run_id": None}, table="t")
