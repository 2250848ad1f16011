"""backtest.frames.nested: a list column built from one flat column of values."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from backtest.frames import nested


@given(
    st.lists(
        st.lists(st.sampled_from(["openai-aws", "msft-q3", "", "é"]), max_size=3).map(tuple),
        max_size=25,
    )
)
def test_nested_equals_the_series_made_of_the_lists(lists: list[tuple[str, ...]]) -> None:
    """Empty lists, empty strings, repeats, no rows at all: the same column, row for row."""
    want = pl.Series("c", [list(x) for x in lists], dtype=pl.List(pl.String))
    rows = np.repeat(np.arange(len(lists)), [len(x) for x in lists])
    got = nested(rows, pl.Series("c", [v for x in lists for v in x], dtype=pl.String), len(lists))
    assert got.dtype == pl.List(pl.String) and got.name == "c"
    assert got.to_list() == want.to_list()
