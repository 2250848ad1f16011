"""Calendar-time portfolios (Jaffe 1974, Mandelker 1974): one portfolio per event and role.

When every observation of an event shares one calendar date (a deal "hits" all partners on the
same day), their abnormal returns are correlated and tests that treat them as independent
over-reject. The calendar-time answer is to hold them as one portfolio and to judge the
portfolio against its *own* estimation-window variance, which contains the members'
covariances by construction.

For an event e and a set of member tickers M_e (say the other partners of a deal):

1. the portfolio's daily return is the equal-weighted mean of the members' returns that exist
   that day, R_p,t = (1/|M_t|) Σ_{i ∈ M_t} R_i,t (:func:`portfolio_returns`);
2. the study's return model is fitted on R_p over the estimation window and the portfolio's
   CAR_p,e and Var(CAR_p,e) come from the engine as for any ticker (the exact variance with
   estimation error, docs/statistics.md); with the market model on a common sample, AR_p,t is
   the mean of the members' ARs, since OLS is linear in the dependent variable;
3. over the events, each event's window days are disjoint calendar days, so the portfolios are
   independent and (:func:`calendar_time_test`)

       t_CT = Σ_e CAR_p,e / sqrt(Σ_e Var(CAR_p,e)),   df = min_e (L_e − k),

   which is the calendar-time portfolio's mean daily abnormal return over every event-window
   day, ĀR = Σ_e CAR_p,e / Σ_e L2_e, divided by its standard error.

Windows of two events that share calendar days break the independence in step 3; the caller
says so (:mod:`jobs.spillover.measure` counts those days).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from backtest.errors import InputSchemaError
from backtest.significance import t_pvalue


def portfolio_returns(returns: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Equal-weighted portfolio returns: ``ticker`` (the portfolio), ``date``, ``ret``, ``n``.

    ``returns``: ``ticker, date, ret``; ``members``: ``portfolio, ticker`` (one row per
    member). A portfolio's return on a date is the mean of its members' finite returns that
    day; ``n`` counts them. Dates on which no member has a return are absent.
    """
    for frame, name, cols in (
        (returns, "returns", ("ticker", "date", "ret")),
        (members, "members", ("portfolio", "ticker")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputSchemaError(f"{name} lacks the column(s) {', '.join(missing)}", frame=name)
    finite = returns.select("ticker", "date", "ret").filter(pl.col("ret").is_finite())
    return (
        members.select("portfolio", "ticker")
        .unique()
        .join(finite, on="ticker", how="inner")
        .group_by("portfolio", "date")
        .agg(pl.col("ret").mean().alias("ret"), pl.len().alias("n"))
        .rename({"portfolio": "ticker"})
        .sort("ticker", "date")
    )


@dataclass(frozen=True)
class CalendarTimeTest:
    """The calendar-time portfolio test over events (None: fewer than one usable event)."""

    n_events: int
    n_days: int
    sum_car: float | None
    mean_car: float | None  # Σ_e CAR_p,e / E
    mean_daily_ar: float | None  # Σ_e CAR_p,e / Σ_e L2_e
    stat: float | None
    p: float | None
    df: float | None
    note: str | None = None


def calendar_time_test(
    car: Sequence[float | None],
    var_car: Sequence[float | None],
    dof: Sequence[float | None],
    days: Sequence[int],
) -> CalendarTimeTest:
    """t_CT = Σ CAR_e / sqrt(Σ Var(CAR_e)), df = min dof_e, two-sided p from t(df).

    One entry per event portfolio: its CAR, the CAR's variance, the residual degrees of
    freedom of its fit and the number of window days L2_e. Entries with a missing or
    non-finite CAR or variance are left out.
    """
    keep = [
        (float(c), float(v), float(d), int(n))
        for c, v, d, n in zip(car, var_car, dof, days, strict=True)
        if c is not None
        and v is not None
        and d is not None
        and math.isfinite(c)
        and math.isfinite(v)
        and v > 0
    ]
    if not keep:
        return CalendarTimeTest(0, 0, None, None, None, None, None, None, "no event portfolio")
    total = sum(c for c, _, _, _ in keep)
    var = sum(v for _, v, _, _ in keep)
    n_days = sum(n for _, _, _, n in keep)
    df = min(d for _, _, d, _ in keep)
    stat = total / math.sqrt(var)
    p = float(t_pvalue(stat, df))
    return CalendarTimeTest(
        n_events=len(keep),
        n_days=n_days,
        sum_car=total,
        mean_car=total / len(keep),
        mean_daily_ar=total / n_days if n_days else None,
        stat=stat,
        p=p,
        df=df,
    )
