"""The loads log."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.errors import StoreError
from storage.repos import LoadRecord, UpsertCounts
from storage.session import OpenStore

T0 = dt.datetime(2025, 11, 21, 22, 0, tzinfo=dt.UTC)


def test_record_and_read_back(db: OpenStore, now: dt.datetime) -> None:
    first = db.loads.record(
        kind="events", target="seed.toml", started_at=T0, counts=UpsertCounts(14, 0, 0)
    )
    second = db.loads.record(
        kind="fetch", target="AMZN", started_at=T0, outcome="failed", error="HTTP 429"
    )
    assert second == first + 1
    recent = db.loads.recent()
    assert [r.load_id for r in recent] == [second, first]
    assert recent[1] == LoadRecord(
        load_id=first,
        kind="events",
        target="seed.toml",
        started_at=T0,
        finished_at=now,
        rows_inserted=14,
        rows_updated=0,
        rows_unchanged=0,
        rows_rejected=0,
        outcome="ok",
        error=None,
    )
    assert [r.target for r in db.loads.recent(kind="fetch")] == ["AMZN"]
    assert db.loads.has("events", "seed.toml") and db.loads.has("fetch")
    assert not db.loads.has("events", "other.toml")


def test_a_load_inside_a_transaction_goes_with_it(db: OpenStore) -> None:
    class BoomError(Exception):
        pass

    def failing() -> None:
        with db.transaction():
            db.loads.record(kind="events", target="x", started_at=T0)
            raise BoomError

    with pytest.raises(BoomError):
        failing()
    assert db.loads.recent() == []
    with pytest.raises(StoreError, match="rejected rows cannot be negative"):
        db.loads.record(kind="events", target="x", started_at=T0, rejected=-1)
