"""What a spillover study measured: the :class:`Spillover` result object (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from jobs.groups import GroupResult


@dataclass(frozen=True)
class Spillover:
    """What a spillover study measured (main benchmark unless a frame says otherwise).

    ``matrix[benchmark]``: :data:`jobs.spillover.measure.MATRIX_SCHEMA` rows; ``role_tests``: one
    :class:`~jobs.groups.GroupResult` per role with observations (id ``role:<role>``);
    ``calendar``: ``role, start, end, n_events, n_days, sum_car, mean_car, mean_daily_ar,
    stat, p, df, overlap_days, note``; ``portfolios``: ``role, event_id, start, end, n_members,
    members, status, car, var_car, t, p``; ``controls``: ``event_id, day0, ticker, start, end,
    window_ret, day0_ret``; ``sentences``: the answer (:mod:`jobs.spillover.verdict`).
    """

    window: tuple[int, int]
    roles: pl.DataFrame
    matrix: dict[str, pl.DataFrame]
    role_tests: tuple[GroupResult, ...]
    calendar: pl.DataFrame
    portfolios: pl.DataFrame
    controls: pl.DataFrame
    controls_tickers: tuple[str, ...]
    fdr: float
    robust_test: str
    sentences: tuple[str, ...] = field(default=())

    @property
    def main_matrix(self) -> pl.DataFrame:
        return next(iter(self.matrix.values()))
