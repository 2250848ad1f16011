"""The stored tables of a run: the answer's list column built from one flat column."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from jobs.run_tables import _string_lists


@given(
    st.lists(
        st.lists(st.sampled_from(["openai-aws", "msft-q3", "", "é"]), max_size=3).map(tuple),
        max_size=25,
    )
)
def test_string_lists_equal_the_series_made_of_the_lists(lists: list[tuple[str, ...]]) -> None:
    """Empty lists, empty strings, repeats, no rows at all: the same column, row for row."""
    want = pl.Series("c", [list(x) for x in lists], dtype=pl.List(pl.String))
    got = _string_lists("c", lists)
    assert got.dtype == pl.List(pl.String) and got.name == "c"
    assert got.to_list() == want.to_list()
