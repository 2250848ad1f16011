"""backtest.crossevent: the pieces of the accumulator that are not tests themselves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.crossevent import GrankCounts

_values = st.sampled_from([-1.5, -0.0, 0.0, 0.25, 1.0, np.nan, np.inf, -np.inf])


@settings(max_examples=60, deadline=None)
@given(
    shapes=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 7)), min_size=1, max_size=5),
    data=st.data(),
)
def test_counts_equal_the_two_comparisons_call_after_call(
    shapes: list[tuple[int, int]], data: st.DataObject
) -> None:
    """``[z > x] + [z >= x]`` by the literal expression, for blocks that grow and shrink
    (the buffers are reused), with ties, signed zeros, NaN and infinities."""
    counts = GrankCounts()
    for n, L in shapes:
        z = np.array(data.draw(st.lists(_values, min_size=n * L, max_size=n * L))).reshape(n, L)
        x = np.array(data.draw(st.lists(_values, min_size=n, max_size=n)), dtype=np.float64)
        want = (z > x[:, None]).astype(np.uint8) + (z >= x[:, None]).astype(np.uint8)
        got = counts(z, x)
        assert got.dtype == np.uint8
        assert got.shape == (n, L)
        assert np.array_equal(got, want)
