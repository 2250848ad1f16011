"""Groups of observations: the optional ``group`` column of the events frame.

With groups, every cross-event statistic and the AAR table are computed per
group, all groups in one vectorised pass (``docs/statistics.md``, "Groups");
the per-observation results do not depend on the grouping. Without groups the
study is one group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from backtest._typing import FloatArray, IntArray


@dataclass(frozen=True)
class Groups:
    """The group of every observation.

    Attributes
    ----------
    labels
        ``(G,)`` the distinct values of the ``group`` column, sorted (the output's
        ``group`` column), or None for an ungrouped study (one group).
    codes
        ``(N,)`` index into ``labels`` per observation, in the engine's order.
    """

    labels: pl.Series | None
    codes: IntArray

    @property
    def n_groups(self) -> int:
        return 1 if self.labels is None else self.labels.len()

    @classmethod
    def of(cls, column: pl.Series | None, n: int) -> Groups:
        """From the events' ``group`` column (None: one group of ``n`` observations)."""
        if column is None:
            return cls(None, np.zeros(n, dtype=np.int64))
        labels = column.unique().sort()
        codes = (
            pl.DataFrame({"g": column})
            .join(
                pl.DataFrame({"g": labels, "code": np.arange(labels.len(), dtype=np.int64)}),
                on="g",
                how="left",
                maintain_order="left",
            )
            .get_column("code")
            .to_numpy()
            .astype(np.int64)
        )
        return cls(labels.alias("group"), codes)


def weighted_count(codes: IntArray, weights: FloatArray, minlength: int) -> FloatArray:
    """``numpy.bincount(codes, weights, minlength)``: the sum of ``weights`` per code."""
    return np.asarray(np.bincount(codes, weights=weights, minlength=minlength), dtype=np.float64)


class RowGroups:
    """Rows of a matrix by group, for per-group column sums.

    ``groups`` are the distinct codes present, sorted; :meth:`sum` returns one
    row per entry of ``groups``. With one group the sum is numpy's own
    ``X.sum(axis=0)``, so an ungrouped study keeps its exact numbers.
    """

    def __init__(self, codes: IntArray) -> None:
        self.groups: IntArray = np.unique(codes)
        self.single = self.groups.size == 1
        if not self.single:
            self.order = np.argsort(codes, kind="stable")
            self.starts = np.searchsorted(codes[self.order], self.groups)

    def sum(self, X: np.ndarray) -> FloatArray:
        """``(len(groups), ...)``: the sum of the rows of ``X`` in each group."""
        if self.single:
            return np.asarray(X.sum(axis=0)[None])
        if self.groups.size == 0:
            return np.zeros((0, *X.shape[1:]))
        rows = X[self.order]
        if rows.dtype == np.bool_:
            rows = rows.astype(np.int64)
        return np.asarray(np.add.reduceat(rows, self.starts, axis=0))

    def weighted_sum(self, w: FloatArray, X: np.ndarray) -> FloatArray:
        """``(len(groups), M)``: ``Σ_i w_i X_ij`` over the rows i of each group."""
        if self.single:
            return np.asarray(np.einsum("i,ij->j", w, X)[None])
        return self.sum(w[:, None] * X)
