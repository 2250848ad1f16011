"""The refresh record: begin (closing dead runs), tickers, finish, history, left-over tickers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest

from storage.errors import NotFoundError, StoreInputError
from storage.repos import RefreshTicker
from storage.session import OpenStore

T = [dt.datetime(2025, 11, d, 23, 30, tzinfo=dt.UTC) for d in range(17, 23)]


def _begin(db: OpenStore, i: int) -> int:
    return db.refresh_log.begin(
        started_at=T[i], as_of=T[i], target_session=T[i].date(), source="memory"
    ).refresh_id


def _finish(db: OpenStore, refresh_id: int, status: str, i: int) -> None:
    db.refresh_log.finish(
        refresh_id,
        finished_at=T[i],
        status=status,  # type: ignore[arg-type]
        message=status,
        tickers_ok=1,
        tickers_failed=0,
        rows_inserted=3,
        rows_revised=0,
        studies_recomputed=["seed"] if status == "ok" else [],
    )


def test_a_run_from_start_to_finish(db: OpenStore) -> None:
    start = db.refresh_log.begin(
        started_at=T[0], as_of=T[0], target_session=T[0].date(), source="yahoo"
    )
    assert start.interrupted == ()
    running = db.refresh_log.get(start.refresh_id)
    assert running is not None and running.status == "running" and running.finished_at is None
    db.refresh_log.record_tickers(
        start.refresh_id,
        [
            RefreshTicker(ticker="SPY", status="ok", fetch_start=T[0].date(), rows_inserted=3),
            RefreshTicker(ticker="AMZN", status="error", error="HTTP 429"),
            RefreshTicker(ticker="MSFT", status="up_to_date"),
        ],
    )
    _finish(db, start.refresh_id, "ok", 1)
    (run,) = db.refresh_log.history()
    assert (run.status, run.finished_at, run.rows_inserted, run.studies_recomputed) == (
        "ok",
        T[1],
        3,
        ("seed",),
    )
    details = db.refresh_log.details(start.refresh_id)
    assert [(t.ticker, t.status) for t in details] == [
        ("AMZN", "error"),
        ("MSFT", "up_to_date"),
        ("SPY", "ok"),
    ]
    assert details[2].rows_inserted == 3 and details[0].error == "HTTP 429"


def test_begin_marks_dead_runs_interrupted(db: OpenStore) -> None:
    dead = _begin(db, 0)
    start = db.refresh_log.begin(
        started_at=T[1], as_of=T[1], target_session=T[1].date(), source="x"
    )
    assert start.interrupted == (dead,)
    old = db.refresh_log.get(dead)
    assert old is not None and old.status == "interrupted"
    assert old.message is not None and f"found by refresh {start.refresh_id}" in old.message
    assert [r.refresh_id for r in db.refresh_log.history(1)] == [start.refresh_id]


def test_left_over_tickers_since_the_oldest_unsettled_run(
    db: OpenStore, prices: Callable[..., pl.DataFrame]
) -> None:
    settled = _begin(db, 0)
    _finish(db, settled, "ok", 0)
    db.market.upsert_prices(prices("OLD", [1]), source="a", fetched_at=T[0])
    failed = _begin(db, 1)
    db.market.upsert_prices(prices("AMZN", [1]), source="a", fetched_at=T[1])
    _finish(db, failed, "failed", 1)
    interrupted = _begin(db, 2)
    db.market.upsert_prices(prices("SPY", [1]), source="a", fetched_at=T[2])
    _finish(db, interrupted, "interrupted", 2)
    now = _begin(db, 3)
    assert db.refresh_log.left_over_tickers(now) == {"AMZN", "SPY"}
    _finish(db, now, "ok", 3)
    assert db.refresh_log.left_over_tickers(_begin(db, 4)) == set()


def test_checks(db: OpenStore) -> None:
    with pytest.raises(StoreInputError, match="is not a final status"):
        _finish(db, _begin(db, 0), "running", 0)
    with pytest.raises(NotFoundError, match="no refresh run 99"):
        _finish(db, 99, "ok", 0)
    with pytest.raises(StoreInputError, match="ticker status 'fine' is not one of"):
        RefreshTicker(ticker="X", status="fine")  # type: ignore[arg-type]
    with pytest.raises(StoreInputError, match="recorded twice"):
        db.refresh_log.record_tickers(1, [RefreshTicker(ticker="X", status="ok")] * 2)
