"""The sufficient statistics of one chunk of observations, and how two chunks merge.

Every cross-event sum of :class:`backtest.crossevent.CrossEventAccumulator`
(BW1985's AAR on estimation days, Corrado's mean standardised ranks, GRANK's
rank sums, the generalized sign's pooled counts, the number of observations)
is a sum over observations, so the sums of two chunks add. r̄ is not a sum:
``r̄ = (‖Σ_i u_i‖² − N) / (N (N − 1))`` needs the *vector* ``Σ_i u_i`` on the
calendar per group before its norm is taken, so a chunk keeps those vectors
(:class:`KeptCalendarSums`) and the norm is taken once, after the merge. The
AAR table merges counts, sums and sums of squared deviations (Chan, Golub and
LeVeque 1979): ``M2 = M2_a + M2_b + δ² n_a n_b / n`` with ``δ`` the difference
of the two means. ``docs/scaling.md`` lists what is merged and what is read back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backtest._typing import FloatArray, IntArray
from backtest.crossevent import CalendarSums, CrossEventAccumulator
from backtest.groups import weighted_count


class KeptCalendarSums(CalendarSums):
    """:class:`CalendarSums` that keeps every group's ``Σ_i u_i`` (never finishes a group).

    A chunk does not know whether a later chunk holds more of a group, so it keeps
    the calendar-aligned sums per (group, session) cell: a dense ``(G, T)`` array
    when it has at most :attr:`CalendarSums.DENSE_CELLS` cells, else the cells
    present (sorted keys ``group · T + session`` and their sums). Two of them add
    (:meth:`merge`); :meth:`norm2` is then the norm of the merged vectors.
    """

    def __init__(self, n_groups: int, n_sessions: int) -> None:
        super().__init__(n_groups, n_sessions)
        self.dense = n_groups > 1 and n_groups * n_sessions <= self.DENSE_CELLS
        self.cells = np.zeros(n_groups * n_sessions if self.dense else 0)

    def add(self, group: IntArray, session: IntArray, u: FloatArray, complete_below: int) -> None:
        """Add ``u`` at the cells ``(group, session)`` (``complete_below`` is not used)."""
        key = group * self.T + session
        if self.dense:
            self.cells += weighted_count(key, u, self.cells.size)
            return
        self._keep(np.concatenate([self.carry_keys, key]), np.concatenate([self.carry_sums, u]))

    def _keep(self, key: IntArray, u: FloatArray) -> None:
        keys, inv = np.unique(key, return_inverse=True)
        self.carry_keys, self.carry_sums = keys.astype(np.int64), weighted_count(inv, u, keys.size)

    def merge(self, other: KeptCalendarSums) -> None:
        """Add the sums of ``other`` (same groups and calendar)."""
        self.total += other.total
        if self.dense:
            self.cells += other.cells
        elif other.carry_keys.size:
            self._keep(
                np.concatenate([self.carry_keys, other.carry_keys]),
                np.concatenate([self.carry_sums, other.carry_sums]),
            )

    def norm2(self) -> FloatArray:
        """``(G,)`` the squared norms of the kept vectors."""
        if self.dense:
            cells = self.cells.reshape(self.G, self.T)
            return np.asarray(np.einsum("gt,gt->g", cells, cells))
        return super().norm2()


#: The plain sums of the accumulator, added chunk to chunk.
SUM_FIELDS = (
    "e_sum",
    "e_cnt",
    "u_sum",
    "u_cnt",
    "g_rsum",
    "cz_sum",
    "r_n",
    "g_pos",
    "g_est",
    "all_total",
)


@dataclass
class ChunkSums:
    """What one chunk contributes to the cross-event results (small: no N-sized array).

    ``sums`` are the accumulator's plain sums (:data:`SUM_FIELDS`), ``calendar``
    one :class:`KeptCalendarSums` per window, ``averages`` the count, sum and sum of
    squared deviations (``(G, Lp)``) of each average frame by name (for returns:
    ``"aar"``) and ``average_names`` its two value columns (``aar, caar``), ``index``
    the chunk's number and ``n_obs`` its observations.
    """

    index: int
    n_obs: int
    all_n: int
    sums: dict[str, FloatArray]
    calendar: list[KeptCalendarSums]
    averages: dict[str, tuple[IntArray, FloatArray, FloatArray]]
    average_names: dict[str, tuple[str, ...]]

    @classmethod
    def of(
        cls,
        index: int,
        n_obs: int,
        acc: CrossEventAccumulator,
        averages: dict[str, tuple[IntArray, FloatArray, FloatArray]],
        average_names: dict[str, tuple[str, ...]],
    ) -> ChunkSums:
        """The sums ``acc`` collected over a chunk whose calendar sums were kept."""
        calendar = [c for c in acc.r_total if isinstance(c, KeptCalendarSums)]
        if len(calendar) != len(acc.r_total):
            raise TypeError("the accumulator of a chunk must keep its calendar sums")
        return cls(
            index=index,
            n_obs=n_obs,
            all_n=acc.all_n,
            sums={name: getattr(acc, name) for name in SUM_FIELDS},
            calendar=calendar,
            averages=averages,
            average_names=average_names,
        )

    def merge(self, other: ChunkSums) -> ChunkSums:
        """These sums plus ``other``'s (in place; returns self)."""
        for name in SUM_FIELDS:
            self.sums[name] = self.sums[name] + other.sums[name]
        for mine, theirs in zip(self.calendar, other.calendar, strict=True):
            mine.merge(theirs)
        for name, (n_b, t_b, ss_b) in other.averages.items():
            n_a, t_a, ss_a = self.averages[name]
            self.averages[name] = merge_moments(n_a, t_a, ss_a, n_b, t_b, ss_b)
        self.n_obs += other.n_obs
        self.all_n += other.all_n
        return self

    def load_into(self, acc: CrossEventAccumulator) -> None:
        """Put the merged sums into a fresh accumulator (before its ``finish``)."""
        for name in SUM_FIELDS:
            setattr(acc, name, self.sums[name])
        acc.r_total = list(self.calendar)
        acc.all_n = self.all_n


def merge_moments(
    n_a: IntArray,
    total_a: FloatArray,
    ss_a: FloatArray,
    n_b: IntArray,
    total_b: FloatArray,
    ss_b: FloatArray,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Counts, sums and sums of squared deviations of two samples, pooled (Chan et al. 1979).

    ``M2 = M2_a + M2_b + (m_a − m_b)² n_a n_b / (n_a + n_b)``; an empty side adds nothing.
    """
    n = n_a + n_b
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = total_a / n_a - total_b / n_b
        cross = delta * delta * (n_a * n_b) / n
    both = (n_a > 0) & (n_b > 0)
    return n, total_a + total_b, ss_a + ss_b + np.where(both, cross, 0.0)


__all__ = ["SUM_FIELDS", "ChunkSums", "KeptCalendarSums", "merge_moments"]
