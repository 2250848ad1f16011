"""A spillover study's results as flat frames: what the store and the report files hold."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from jobs.spillover.result import Spillover

#: The test name of the calendar-time portfolio test in the role-test frames.
CALENDAR_TEST = "calendar_time_t"


def matrix_frames(s: Spillover) -> pl.DataFrame:
    """Every benchmark's matrix, one frame with a ``benchmark`` column first."""
    return pl.concat(
        [m.select(pl.lit(b).alias("benchmark"), pl.all()) for b, m in s.matrix.items()]
    )


def role_tests_frame(s: Spillover) -> pl.DataFrame:
    """``role, start, end, test, n, caar, stat, p, distribution, note``: each role's engine
    tests per window, and its calendar-time portfolio test (``calendar_time_t``: ``n`` counts
    the event portfolios, ``caar`` is their mean CAR, the distribution is t(df))."""
    parts = []
    for g in s.role_tests:
        tests = g.tests
        if "df" in tests.columns:
            dist = (
                pl.when(pl.col("df").is_not_null())
                .then(pl.format("{}({})", "distribution", pl.col("df").round(0).cast(pl.Int64)))
                .otherwise(pl.col("distribution"))
            )
        else:
            dist = pl.col("distribution")
        parts.append(
            tests.select(
                pl.lit(g.id.removeprefix("role:")).alias("role"),
                pl.col("start").cast(pl.Int64),
                pl.col("end").cast(pl.Int64),
                "test",
                pl.col("n").cast(pl.Int64),
                pl.col("caar").cast(pl.Float64),
                pl.col("stat").cast(pl.Float64),
                pl.col("p").cast(pl.Float64),
                dist.cast(pl.String).alias("distribution"),
                pl.col("note").cast(pl.String),
            )
        )
    parts.append(
        s.calendar.select(
            "role",
            "start",
            "end",
            pl.lit(CALENDAR_TEST).alias("test"),
            pl.col("n_events").alias("n"),
            pl.col("mean_car").alias("caar"),
            "stat",
            "p",
            pl.when(pl.col("df").is_not_null())
            .then(pl.format("t({})", pl.col("df").round(0).cast(pl.Int64)))
            .otherwise(None)
            .alias("distribution"),
            "note",
        )
    )
    return pl.concat(parts, how="vertical_relaxed").sort("role", "start", "end", "test")


def store_frames(s: Spillover) -> dict[str, pl.DataFrame]:
    """The rows of the store's spillover tables (``storage.repos.spillover``)."""
    return {
        "spillover_cells": matrix_frames(s),
        "spillover_role_tests": role_tests_frame(s),
        "spillover_controls": s.controls,
    }
