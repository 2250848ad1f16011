"""Measuring a spillover study: the matrix, the per-role tests and the market-wide controls.

Given the study's engine results (one per benchmark), :func:`measure_spillover` builds

* the **matrix**: one cell per (event, measured ticker) over the main window, with its role,
  CAR, t, p and a Benjamini-Hochberg q-value over every cell of the matrix with a p-value
  (:func:`jobs.answer.bh_qvalues`);
* the **role tests**: each role's observations as one group, measured by one engine call with a
  ``group`` column (:func:`jobs.groups.measure_groups`): every cross-event test per window,
  among them the clustering-robust ones (``bw1985_t``; ``kp_bmp_t`` and ``kp_patell_z`` with
  the Kolari-Pynnönen r̄ of the role's own residuals);
* the **calendar-time portfolios**: per role and event, the equal-weighted portfolio of the
  role's measured tickers, fitted as one more "ticker" (:mod:`backtest.calendartime`), and per
  role and window t_CT = Σ_e CAR_p,e / sqrt(Σ_e Var(CAR_p,e));
* the **controls**: each control ticker's own compounded return over the main window and its
  day-0 return, per event (a sector-wide day is then not read as a deal effect).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import polars as pl

from jobs.answer import bh_qvalues
from jobs.definitions.roles import ROLES
from jobs.definitions.study import StudyDefinition
from jobs.groups import GroupMembers, measure_groups, merge_duplicates
from jobs.spillover.result import Spillover

#: Labels of the roles, for reports.
ROLE_LABELS = {
    "direct": "Counterparty (direct)",
    "spillover": "Other partners (spillover)",
    "peer": "Peers",
    "other": "Other measured tickers",
}

#: ``engine(events, returns, windows)``: the study's model on the main benchmark.
PortfolioEngine = Callable[[pl.DataFrame, pl.DataFrame, pl.DataFrame], Any]

MATRIX_SCHEMA = {
    "event_id": pl.String,
    "ticker": pl.String,
    "role": pl.String,
    "day0": pl.Date,
    "own": pl.Boolean,
    "start": pl.Int64,
    "end": pl.Int64,
    "status": pl.String,
    "car": pl.Float64,
    "t": pl.Float64,
    "p": pl.Float64,
    "q": pl.Float64,
    "confounded_by": pl.List(pl.String),
}


def cell_roles(roles: pl.DataFrame, obs: pl.DataFrame) -> pl.DataFrame:
    """``event_id, ticker, day0, category, own, role`` for every observation (``other`` when
    the ticker has no role in the event)."""
    return (
        obs.select("event_id", "ticker", "day0", "category", "own")
        .join(roles, on=["event_id", "ticker"], how="left", maintain_order="left")
        .with_columns(pl.col("role").fill_null("other"))
    )


def matrix_frame(cells: pl.DataFrame, result: Any, window: tuple[int, int]) -> pl.DataFrame:
    """The matrix on one benchmark: each cell's CAR over ``window``, t, p, and q over the
    cells with status ``ok`` (Benjamini-Hochberg)."""
    car = result.car.filter((pl.col("start") == window[0]) & (pl.col("end") == window[1])).select(
        "event_id",
        "ticker",
        "status",
        "car",
        pl.col("car_t").alias("t"),
        pl.col("car_p").alias("p"),
        "confounded_by",
    )
    out = cells.join(car, on=["event_id", "ticker"], how="left", maintain_order="left")
    ok = [
        (s == "ok") and p is not None
        for s, p in zip(out.get_column("status"), out.get_column("p"), strict=True)
    ]
    q = bh_qvalues([p if keep else None for p, keep in zip(out.get_column("p"), ok, strict=True)])
    return (
        out.with_columns(
            pl.Series("q", q, dtype=pl.Float64),
            pl.lit(window[0], pl.Int64).alias("start"),
            pl.lit(window[1], pl.Int64).alias("end"),
            pl.col("status").fill_null("not_measured"),
        )
        .select(list(MATRIX_SCHEMA))
        .cast(MATRIX_SCHEMA)  # type: ignore[arg-type]
    )


def _role_groups(cells: pl.DataFrame) -> list[GroupMembers]:
    out = []
    for role in ROLES:
        part = cells.filter(pl.col("role") == role)
        if part.height == 0:
            continue
        kept, merged = merge_duplicates(part)
        out.append(
            GroupMembers(
                id=f"role:{role}",
                label=ROLE_LABELS[role],
                kind="role",
                observations=kept,
                merged=merged,
                family="roles",
            )
        )
    return out


def _calendar(
    cells: pl.DataFrame,
    main: Any,
    returns: pl.DataFrame,
    catalog: pl.DataFrame,
    windows: Sequence[tuple[int, int]],
    engine: PortfolioEngine,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per role and event one portfolio of the role's measured tickers (status ``ok``)."""
    from backtest.calendartime import calendar_time_test, portfolio_returns

    ok = main.diagnostics.filter(pl.col("status") == "ok").select("event_id", "ticker")
    members = (
        cells.join(ok, on=["event_id", "ticker"], how="semi")
        .filter(pl.col("role") != "other")
        .with_columns(pl.format("{}@{}", pl.col("role"), pl.col("event_id")).alias("portfolio"))
    )
    if members.height == 0:
        return _empty_calendar(), _empty_portfolios()
    events = (
        members.group_by("portfolio", maintain_order=True)
        .agg(
            pl.col("event_id").first(),
            pl.col("role").first(),
            pl.col("day0").first(),
            pl.col("category").first(),
            pl.col("ticker").alias("members"),
        )
        .rename({"portfolio": "ticker"})
    )
    pf_returns = portfolio_returns(returns, members.select("portfolio", "ticker"))
    # the portfolio's catalog: the event itself and every catalog event of a member, so that
    # clean estimation windows drop what the members' own windows drop
    member_news = members.select("portfolio", pl.col("ticker").alias("member")).join(
        catalog.rename({"ticker": "member"}), on="member", how="inner"
    )
    pf_catalog = pl.concat(
        [
            events.select("event_id", "ticker", "day0", "category"),
            member_news.select("event_id", pl.col("portfolio").alias("ticker"), "day0", "category"),
        ]
    ).unique(["event_id", "ticker"], keep="first")
    res = engine(
        events.select("event_id", "ticker", "day0", "category"),
        pf_returns.select("ticker", "date", "ret"),
        pl.concat([catalog.select("event_id", "ticker", "day0", "category"), pf_catalog]),
    )
    diag = res.diagnostics.select("event_id", "ticker", "dof")
    cars = (
        res.car.join(diag, on=["event_id", "ticker"], how="left")
        .join(events.select("ticker", "role", "members"), on="ticker", how="left")
        .with_columns(pl.col("members").list.len().alias("n_members"))
    )
    portfolios = cars.select(
        "role",
        "event_id",
        "start",
        "end",
        "n_members",
        pl.col("members").list.join(" ").alias("members"),
        "status",
        "car",
        "var_car",
        pl.col("car_t").alias("t"),
        pl.col("car_p").alias("p"),
    ).sort("role", "event_id", "start", "end")
    dates = res.ar.select("event_id", "ticker", "rel_day", "date")
    rows = []
    for role in ROLES:
        for a, b in windows:
            part = cars.filter(
                (pl.col("role") == role)
                & (pl.col("start") == a)
                & (pl.col("end") == b)
                & (pl.col("status") == "ok")
            )
            if part.height == 0 and cars.filter(pl.col("role") == role).height == 0:
                continue
            test = calendar_time_test(
                part.get_column("car").to_list(),
                part.get_column("var_car").to_list(),
                part.get_column("dof").cast(pl.Float64).to_list(),
                [b - a + 1] * part.height,
            )
            in_window = dates.join(part.select("ticker"), on="ticker", how="semi").filter(
                pl.col("rel_day").is_between(a, b) & pl.col("date").is_not_null()
            )
            overlap = (
                in_window.group_by("date")
                .agg(pl.col("event_id").n_unique().alias("k"))
                .filter(pl.col("k") > 1)
                .height
            )
            note = test.note
            if overlap:
                note = (
                    f"{overlap} calendar day(s) fall in two events' windows: those portfolios "
                    "are not independent and the t overstates the evidence"
                )
            rows.append(
                {
                    "role": role,
                    "start": a,
                    "end": b,
                    "n_events": test.n_events,
                    "n_days": test.n_days,
                    "sum_car": test.sum_car,
                    "mean_car": test.mean_car,
                    "mean_daily_ar": test.mean_daily_ar,
                    "stat": test.stat,
                    "p": test.p,
                    "df": test.df,
                    "overlap_days": overlap,
                    "note": note,
                }
            )
    return pl.DataFrame(rows, schema=_CALENDAR_SCHEMA), portfolios


_CALENDAR_SCHEMA = {
    "role": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "n_events": pl.Int64,
    "n_days": pl.Int64,
    "sum_car": pl.Float64,
    "mean_car": pl.Float64,
    "mean_daily_ar": pl.Float64,
    "stat": pl.Float64,
    "p": pl.Float64,
    "df": pl.Float64,
    "overlap_days": pl.Int64,
    "note": pl.String,
}
_PORTFOLIO_SCHEMA = {
    "role": pl.String,
    "event_id": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "n_members": pl.Int64,
    "members": pl.String,
    "status": pl.String,
    "car": pl.Float64,
    "var_car": pl.Float64,
    "t": pl.Float64,
    "p": pl.Float64,
}


def _empty_calendar() -> pl.DataFrame:
    return pl.DataFrame(schema=_CALENDAR_SCHEMA)


def _empty_portfolios() -> pl.DataFrame:
    return pl.DataFrame(schema=_PORTFOLIO_SCHEMA)


def control_moves(
    events: pl.DataFrame,
    returns: pl.DataFrame,
    sessions: Sequence[dt.date],
    tickers: Sequence[str],
    window: tuple[int, int],
) -> pl.DataFrame:
    """Each control's own move per event: ``window_ret = Π_{t=day0+a}^{day0+b} (1 + R_t) − 1``
    over the window's sessions (null when a session's return is missing) and ``day0_ret``."""
    index = {d: i for i, d in enumerate(sessions)}
    by_ticker = {
        t: dict(part.select("date", "ret").iter_rows())
        for (t,), part in returns.filter(pl.col("ticker").is_in(list(tickers)))
        .partition_by("ticker", as_dict=True)
        .items()
    }
    rows = []
    for event_id, day0 in events.select("event_id", "day0").unique(maintain_order=True).iter_rows():
        i = index.get(day0)
        for t in tickers:
            rets = by_ticker.get(t, {})
            window_ret: float | None = None
            day0_ret = rets.get(day0)
            if i is not None and i + window[0] >= 0 and i + window[1] < len(sessions):
                days = sessions[i + window[0] : i + window[1] + 1]
                values = [rets.get(d) for d in days]
                if all(v is not None and math.isfinite(v) for v in values):
                    window_ret = math.prod(1 + float(v) for v in values if v is not None) - 1
            rows.append(
                {
                    "event_id": event_id,
                    "day0": day0,
                    "ticker": t,
                    "start": window[0],
                    "end": window[1],
                    "window_ret": window_ret,
                    "day0_ret": day0_ret,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "event_id": pl.String,
            "day0": pl.Date,
            "ticker": pl.String,
            "start": pl.Int64,
            "end": pl.Int64,
            "window_ret": pl.Float64,
            "day0_ret": pl.Float64,
        },
    )


def measure_spillover(
    definition: StudyDefinition,
    obs: pl.DataFrame,
    roles: pl.DataFrame,
    results: dict[str, Any],
    *,
    returns: pl.DataFrame,
    catalog: pl.DataFrame,
    sessions: Sequence[dt.date],
    group_engine: Callable[[pl.DataFrame, Sequence[tuple[int, int]]], Any],
    portfolio_engine: PortfolioEngine,
) -> Spillover:
    """The matrix, role tests, calendar-time portfolios and controls of a spillover study.

    ``group_engine`` is the study's group engine (:data:`jobs.groups.Engine`, main benchmark,
    ``group`` column); ``portfolio_engine(events, returns, catalog)`` the study's model on the
    main benchmark with extra return series and catalog rows (the portfolios').
    """
    from jobs.spillover.verdict import sentences

    spec = definition.roles
    assert spec is not None  # the caller checks
    window = definition.main_window
    bench = definition.model.benchmarks[0]
    cells = cell_roles(roles, obs)
    matrix = {b: matrix_frame(cells, results[b], window) for b in definition.model.benchmarks}
    role_tests = measure_groups(
        _role_groups(cells),
        study_observations=obs.height,
        main=results[bench],
        windows=definition.model.windows,
        engine=group_engine,
        grouped=True,
    )
    calendar, portfolios = _calendar(
        cells, results[bench], returns, catalog, definition.model.windows, portfolio_engine
    )
    controls_tickers = spec.controls or tuple(definition.model.benchmarks)
    controls = control_moves(obs, returns, sessions, controls_tickers, window)
    out = Spillover(
        window=window,
        roles=roles,
        matrix=matrix,
        role_tests=role_tests,
        calendar=calendar,
        portfolios=portfolios,
        controls=controls,
        controls_tickers=tuple(controls_tickers),
        fdr=definition.report.answer.fdr,
        robust_test=definition.report.answer.robust_test,
    )
    return replace(out, sentences=tuple(sentences(out)))
