"""strictly_increasing: the one-pass check that a frame is in key order without repeats."""

from __future__ import annotations

import datetime as dt
import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage._frames import strictly_increasing


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["A", "AB", "B", "b", ""])),
            st.dates(dt.date(1969, 12, 30), dt.date(1970, 1, 2)),
        ),
        max_size=12,
    ),
    sort=st.booleans(),
)
def test_matches_sorted_and_distinct(rows: list[tuple[str | None, dt.date]], sort: bool) -> None:
    if sort:
        rows = sorted(rows, key=lambda r: (r[0] is not None, r[0] or "", r[1]))
    frame = pl.DataFrame(rows, schema={"t": pl.String, "d": pl.Date}, orient="row")
    no_nulls = all(t is not None for t, _ in rows)
    want = no_nulls and all(a < b for a, b in itertools.pairwise(rows))  # type: ignore[operator]
    assert strictly_increasing(frame, ["t", "d"]) == want


def test_needs_a_key() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        strictly_increasing(pl.DataFrame({"t": ["a"]}), [])
