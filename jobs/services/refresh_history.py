"""The refresh record read back: ``reaction refresh --history`` and ``--details``."""

from __future__ import annotations

import polars as pl

from storage.store import Store


def refresh_history(store: Store, limit: int = 20) -> pl.DataFrame:
    """The latest refresh runs, newest first (``reaction refresh --history``)."""
    with store.open() as db:
        runs = db.refresh_log.history(limit)
    return pl.DataFrame(
        [
            {
                "refresh_id": r.refresh_id,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "as_of": r.as_of,
                "target_session": r.target_session,
                "source": r.source,
                "status": r.status,
                "tickers_ok": r.tickers_ok,
                "tickers_failed": r.tickers_failed,
                "rows_inserted": r.rows_inserted,
                "rows_revised": r.rows_revised,
                "studies_recomputed": list(r.studies_recomputed),
                "message": r.message,
            }
            for r in runs
        ],
        schema={
            "refresh_id": pl.Int64,
            "started_at": pl.Datetime("us", "UTC"),
            "finished_at": pl.Datetime("us", "UTC"),
            "as_of": pl.Datetime("us", "UTC"),
            "target_session": pl.Date,
            "source": pl.String,
            "status": pl.String,
            "tickers_ok": pl.Int64,
            "tickers_failed": pl.Int64,
            "rows_inserted": pl.Int64,
            "rows_revised": pl.Int64,
            "studies_recomputed": pl.List(pl.String),
            "message": pl.String,
        },
    )


def refresh_history_table(store: Store, limit: int = 20) -> pl.DataFrame:
    """:func:`refresh_history` as ``reaction refresh --history`` prints it (times in UTC)."""
    return refresh_history(store, limit).select(
        "refresh_id",
        pl.col("started_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("started (UTC)"),
        "target_session",
        "status",
        pl.col("tickers_ok").alias("ok"),
        pl.col("tickers_failed").alias("failed"),
        pl.col("rows_inserted").alias("new"),
        pl.col("rows_revised").alias("revised"),
        pl.col("studies_recomputed").list.join(",").alias("studies"),
        "message",
    )


def refresh_details(store: Store, refresh_id: int) -> pl.DataFrame:
    """One run's per-ticker rows: failures first, then by ticker."""
    with store.open() as db:
        rows = db.refresh_log.details(refresh_id)
    columns = {
        "ticker": pl.String,
        "status": pl.String,
        "fetch_start": pl.Date,
        "fetch_end": pl.Date,
        "rows_inserted": pl.Int64,
        "rows_revised": pl.Int64,
        "new_actions": pl.Int64,
        "refetched_history": pl.Boolean,
        "error": pl.String,
    }
    return pl.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], schema=columns)
