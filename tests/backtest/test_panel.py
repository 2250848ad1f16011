"""backtest.panel: the gathers of a window of consecutive sessions against a literal loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest.panel import gather, gather_series


def _literal(
    matrix: np.ndarray, rows: np.ndarray, index: np.ndarray, valid: np.ndarray
) -> np.ndarray:
    out = np.full(index.shape, np.nan)
    for i in range(index.shape[0]):
        for j in range(index.shape[1]):
            if valid[i, j]:
                out[i, j] = matrix[rows[i], index[i, j]]
    return out


@settings(max_examples=80, deadline=None)
@given(
    T=st.integers(1, 12),
    width=st.integers(1, 15),
    n=st.integers(0, 8),
    offset=st.integers(-20, 5),
    data=st.data(),
)
def test_runs_equal_the_fancy_index_and_a_loop(
    T: int, width: int, n: int, offset: int, data: st.DataObject
) -> None:
    """With ``first`` (runs that may start before the calendar or end after it, rows
    without data) the values equal the fancy index's and a loop over the cells."""
    rng = np.random.default_rng(T * 100 + width)
    matrix = rng.normal(size=(3, T))
    rows = np.array(data.draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n)), np.int64)
    pos = np.array(data.draw(st.lists(st.integers(-3, T + 3), min_size=n, max_size=n)), np.int64)
    rel = np.arange(offset, offset + width)
    index = pos[:, None] + rel[None, :]
    valid = (index >= 0) & (index < T) & (rows >= 0)[:, None]
    first = pos + rel[0]
    want = _literal(matrix, np.maximum(rows, 0), index, valid)
    got = gather(matrix, rows, index, valid, first=first)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(gather(matrix, rows, index, valid), want, equal_nan=True)
    series = matrix[1]
    want_s = _literal(series[None, :], np.zeros(n, np.int64), index, valid)
    got_s = gather_series(series, index, valid, first=first)
    assert np.array_equal(got_s, want_s, equal_nan=True)
    assert np.array_equal(gather_series(series, index, valid), want_s, equal_nan=True)


def test_a_run_result_is_a_copy() -> None:
    """Writing NaN into the result never reaches the panel (the view is copied)."""
    matrix = np.arange(20.0).reshape(2, 10)
    before = matrix.copy()
    index = np.array([[2, 3, 4]])
    valid = np.array([[True, False, True]])
    out = gather(matrix, np.array([1]), index, valid, first=np.array([2]))
    assert np.array_equal(out, [[12.0, np.nan, 14.0]], equal_nan=True)
    out[:] = -1.0
    assert np.array_equal(matrix, before)
