"""The event catalog: records in, typed rows and frames out, ticker lists replaced whole."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from storage.errors import ReadOnlyError, StoreInputError
from storage.repos import EventRecord, UpsertCounts
from storage.session import OpenStore
from storage.store import Store


def _event(event_id: str, day0: dt.date, tickers: tuple[str, ...], **kw: object) -> EventRecord:
    values: dict[str, object] = {
        "event_id": event_id,
        "title": f"title of {event_id}",
        "category": "earnings",
        "announced_date": day0,
        "announced_at": None,
        "timing": "unknown",
        "day0": day0,
        "day0_rule": "assumed_same_session",
        "timing_assumed": True,
        "tickers": tickers,
    }
    values.update(kw)
    return EventRecord(**values)  # type: ignore[arg-type]


AMZN_Q3 = _event(
    "amzn-q3",
    dt.date(2025, 10, 31),
    ("AMZN", "MSFT"),
    announced_date=dt.date(2025, 10, 30),
    announced_at=dt.datetime(2025, 10, 30, 16, 1, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
    timing="after_close",
    day0_rule="next_session_after_close",
    timing_assumed=False,
    tags=("seed",),
    source="press release",
    catalog="seed.toml",
)
DEAL = _event("openai-aws", dt.date(2025, 11, 3), ("AMZN", "NVDA"), category="deal")
LAYOFF = _event("layoffs", dt.date(2025, 10, 28), ("AMZN",), category="layoffs")


def test_upsert_counts_and_reads_back_typed_rows(db: OpenStore, now: dt.datetime) -> None:
    assert db.events.upsert([AMZN_Q3, DEAL, LAYOFF]) == UpsertCounts(3, 0, 0)
    assert db.events.upsert([AMZN_Q3, DEAL]) == UpsertCounts(0, 0, 2)
    stored = db.events.list()
    assert [e.event_id for e in stored] == ["layoffs", "amzn-q3", "openai-aws"]  # by day 0
    back = db.events.get("amzn-q3")
    assert back is not None
    assert back.updated_at == now
    assert back.announced_at == dt.datetime(2025, 10, 30, 20, 1, tzinfo=dt.UTC)
    assert {f.name: getattr(back, f.name) for f in dataclasses.fields(EventRecord)} == {
        **dataclasses.asdict(AMZN_Q3),
        "announced_at": back.announced_at,
    }
    assert db.events.get("nope") is None
    assert db.events.count() == 3


def test_a_changed_ticker_list_is_an_update_and_replaces_the_old(db: OpenStore) -> None:
    db.events.upsert([DEAL])
    moved = dataclasses.replace(DEAL, tickers=("NVDA", "AMZN", "MSFT"))
    assert db.events.upsert([moved]) == UpsertCounts(0, 1, 0)
    assert db.events.list()[0].tickers == ("NVDA", "AMZN", "MSFT")
    assert db.events.catalog().select("ticker", "position").rows() == [
        ("NVDA", 0),
        ("AMZN", 1),
        ("MSFT", 2),
    ]
    assert db.events.tickers() == ["AMZN", "MSFT", "NVDA"]


def test_filters(db: OpenStore) -> None:
    db.events.upsert([AMZN_Q3, DEAL, LAYOFF])
    assert [e.event_id for e in db.events.list(tickers=["nvda", "msft"])] == [
        "amzn-q3",
        "openai-aws",
    ]
    assert [e.event_id for e in db.events.list(categories=["deal", "layoffs"])] == [
        "layoffs",
        "openai-aws",
    ]
    assert [e.event_id for e in db.events.list(categories=["deal"], tickers=["MSFT"])] == []
    assert [e.event_id for e in db.events.list(event_ids=["openai-aws"])] == ["openai-aws"]
    frame = db.events.frame(tickers=["AMZN"])
    assert frame.columns == [
        "event_id", "title", "category", "announced_date", "announced_at", "timing", "day0",
        "day0_rule", "timing_assumed", "source", "tags", "catalog", "updated_at", "tickers",
    ]  # fmt: skip
    assert frame.get_column("event_id").to_list() == ["layoffs", "amzn-q3", "openai-aws"]
    catalog = db.events.catalog()
    assert catalog.columns == ["event_id", "ticker", "position", "day0", "category"]
    assert catalog.height == 5


def test_records_are_checked_on_the_way_in() -> None:
    with pytest.raises(StoreInputError, match="has no tickers"):
        _event("x", dt.date(2025, 1, 2), ())
    with pytest.raises(StoreInputError, match="lists a ticker twice"):
        _event("x", dt.date(2025, 1, 2), ("A", "A"))
    with pytest.raises(StoreInputError, match="has no time zone"):
        _event("x", dt.date(2025, 1, 2), ("A",), announced_at=dt.datetime(2025, 1, 2, 9))


def test_a_read_only_session_refuses_the_write(store: Store) -> None:
    store.init()
    with (
        store.open() as db,
        pytest.raises(ReadOnlyError, match="read-only, so it cannot store events"),
    ):
        db.events.upsert([DEAL])
