"""Groups of observations: the optional ``group`` column of the events frame.

With groups, every cross-event statistic and the AAR table are computed per
group, all groups in one vectorised pass (``docs/statistics.md``, "Groups");
the per-observation results do not depend on the grouping. Without groups the
study is one group.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from backtest._typing import BoolArray, FloatArray, IntArray

#: A standard deviation below this fraction of the largest |value| is rounding noise.
SPREAD_TOL = 1e-12


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

    ``groups`` are the distinct codes present, sorted (``n_groups``, when given,
    is the number of groups there can be); :meth:`sum` returns one row per entry
    of ``groups``. With one group the sum is numpy's own
    ``X.sum(axis=0)``, so an ungrouped study keeps its exact numbers.
    """

    def __init__(self, codes: IntArray, n_groups: int | None = None) -> None:
        if n_groups == 1:  # known to be one group: no need to look
            self.groups: IntArray = np.zeros(min(codes.size, 1), dtype=np.int64)
        else:
            self.groups = np.unique(codes)
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


@dataclass(frozen=True)
class Segments:
    """A partition of n values into G groups: ``codes[i]`` is the group of value i.

    The reductions return one number per group (``(G,)`` arrays; an empty group
    sums to 0). With a single group they reduce the whole array in numpy's own
    order, so an ungrouped study gets exactly the numbers of ``numpy.mean`` and
    ``numpy.std``.
    """

    codes: IntArray
    n_groups: int

    @classmethod
    def whole(cls, n: int) -> Segments:
        """All of n values in one group."""
        return cls(np.zeros(n, dtype=np.int64), 1)

    def subset(self, keep: BoolArray) -> Segments:
        """The values where ``keep`` is True, in the same groups."""
        return Segments(self.codes[keep], self.n_groups)

    @cached_property
    def counts(self) -> IntArray:
        """Number of values per group."""
        if self.n_groups == 1:
            return np.asarray([self.codes.size], dtype=np.int64)
        return np.bincount(self.codes, minlength=self.n_groups).astype(np.int64)

    def count(self) -> IntArray:
        """Number of values per group (a copy of :attr:`counts`)."""
        return self.counts.copy()

    def sum(self, x: FloatArray) -> FloatArray:
        """``Σ x`` per group."""
        if self.n_groups == 1:
            return np.asarray([np.sum(x)], dtype=np.float64)
        return weighted_count(self.codes, x, self.n_groups)

    def max_abs(self, x: FloatArray) -> FloatArray:
        """``max |x|`` per group (0 for an empty group)."""
        if self.n_groups == 1:
            return np.asarray([np.max(np.abs(x)) if x.size else 0.0])
        out = np.zeros(self.n_groups)
        np.maximum.at(out, self.codes, np.abs(x))
        return out

    def mean(self, x: FloatArray) -> FloatArray:
        """Mean per group (NaN for an empty group)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = self.sum(x) / self.count()
        return out

    def mean_sd(self, x: FloatArray, ddof: int = 1) -> tuple[FloatArray, FloatArray]:
        """Mean and nonzero sample standard deviation per group.

        The standard deviation is NaN where it is zero up to rounding
        (``sd <= SPREAD_TOL · max |x|``) or undefined (fewer than ``ddof + 1``
        values).
        """
        n = self.count()
        mean = self.mean(x)
        dev = x - mean[self.codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(self.sum(dev * dev) / (n - ddof))
        ok = (sd > SPREAD_TOL * self.max_abs(x)) & (sd > 0) & (n > ddof)
        return mean, np.where(ok, sd, np.nan)


def flatten(values: FloatArray, present: BoolArray) -> tuple[FloatArray, Segments]:
    """The ``present`` entries of a ``(G, D)`` matrix as values in segments (one per row)."""
    rows = np.nonzero(present)[0].astype(np.int64)
    return values[present], Segments(rows, values.shape[0])


def group_ranks(values: FloatArray, seg: Segments) -> tuple[FloatArray, BoolArray]:
    """Average ranks (1-based) of ``values`` within their groups, and which groups have ties."""
    n = values.shape[0]
    order = np.argsort(values) if seg.n_groups == 1 else np.lexsort((values, seg.codes))
    sv, sg = values[order], seg.codes[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (sv[1:] != sv[:-1]) | (sg[1:] != sg[:-1])
    first_of_group = np.ones(n, dtype=bool)
    first_of_group[1:] = sg[1:] != sg[:-1]
    pos = np.arange(n)
    group_start = np.maximum.accumulate(np.where(first_of_group, pos, 0))
    run_start = np.maximum.accumulate(np.where(new, pos, 0))
    run_id = np.cumsum(new) - 1
    run_len = np.bincount(run_id)
    # average of ordinal ranks run_start .. run_start + len - 1, relative to the group
    avg = (run_start - group_start) + (run_len[run_id] + 1) / 2.0
    ranks = np.empty(n)
    ranks[order] = avg
    ties = np.zeros(seg.n_groups, dtype=bool)
    ties[sg[~new]] = True
    return ranks, ties
