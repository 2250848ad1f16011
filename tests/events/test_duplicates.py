"""Linking one announcement across catalogs (events.duplicates): hand-made cases."""

from __future__ import annotations

import datetime as dt

from events import Event, nyse, resolve_many
from events.duplicates import KnownEvent, Linked, link_duplicates

D = dt.date


def _ev(event_id: str, day: dt.date, timing: str = "unknown", ticker: str = "NVDA") -> Event:
    return Event.model_validate(
        {
            "id": event_id,
            "title": event_id,
            "category": "earnings",
            "announced": day,
            "timing": timing,
            "tickers": [ticker],
        }
    )


SEED_NVDA = KnownEvent("nvda-q3fy26", "NVDA", "earnings", D(2025, 11, 20), "after_close")


def _link(incoming: list[Event], stored: list[KnownEvent], aliases: tuple[str, ...] = ()) -> Linked:
    return link_duplicates(resolve_many(incoming, nyse()), stored, nyse(), known_aliases=aliases)


def test_a_filing_date_one_session_before_a_timed_event_is_an_alias() -> None:
    # the 8-K on 11-19 (day 0 assumed 11-19) is the release after the close on 11-19 (day 0 11-20)
    out = _link([_ev("nvda-earnings-2025-11-19", D(2025, 11, 19))], [SEED_NVDA])
    assert out.keep == []
    assert [(lk.alias_id, lk.event_id, lk.replaces) for lk in out.links] == [
        ("nvda-earnings-2025-11-19", "nvda-q3fy26", False)
    ]


def test_two_sessions_apart_other_ticker_or_category_are_not_duplicates() -> None:
    far = _ev("nvda-earnings-2025-11-18", D(2025, 11, 18))  # 11-18 is two sessions before 11-20
    other = _ev("amd-earnings-2025-11-19", D(2025, 11, 19), ticker="AMD")
    deal = Event.model_validate(
        {**_ev("nvda-deal", D(2025, 11, 19)).model_dump(), "category": "deal"}
    )
    out = _link([far, other, deal], [SEED_NVDA])
    assert [r.event.id for r in out.keep] == [
        "nvda-earnings-2025-11-18",
        "amd-earnings-2025-11-19",
        "nvda-deal",
    ]
    assert out.links == []


def test_a_weekend_gap_is_one_session() -> None:
    # Friday 10-31 and Monday 11-03 are consecutive sessions
    stored = KnownEvent("x-fri", "NVDA", "earnings", D(2025, 10, 31), "unknown")
    out = _link([_ev("x-mon", D(2025, 11, 3))], [stored])
    assert [(lk.alias_id, lk.event_id) for lk in out.links] == [("x-mon", "x-fri")]


def test_two_events_with_stated_times_are_never_linked() -> None:
    # a rumour on 10-27 (intraday) and the confirmation before the open on 10-28: two news items
    stored = KnownEvent("rumour", "AMZN", "earnings", D(2025, 10, 27), "intraday")
    out = _link([_ev("confirmed", D(2025, 10, 28), "before_open", "AMZN")], [stored])
    assert [r.event.id for r in out.keep] == ["confirmed"] and out.links == []


def test_a_timed_event_replaces_a_stored_date_only_one() -> None:
    stored = KnownEvent("nvda-earnings-2025-11-19", "NVDA", "earnings", D(2025, 11, 19), "unknown")
    timed = _ev("nvda-q3fy26", D(2025, 11, 19), "after_close")
    out = _link([timed], [stored])
    assert [r.event.id for r in out.keep] == ["nvda-q3fy26"]
    assert [(lk.alias_id, lk.event_id, lk.replaces) for lk in out.links] == [
        ("nvda-earnings-2025-11-19", "nvda-q3fy26", True)
    ]
    assert out.replaced == ["nvda-earnings-2025-11-19"]


def test_an_inferred_event_is_still_date_only() -> None:
    stored = KnownEvent(
        "nvda-earnings-2025-11-19", "NVDA", "earnings", D(2025, 11, 20), "inferred_after_close"
    )
    out = _link([_ev("nvda-q3fy26", D(2025, 11, 19), "after_close")], [stored])
    assert out.replaced == ["nvda-earnings-2025-11-19"]


def test_updates_known_aliases_and_duplicates_within_one_file() -> None:
    same_id = _ev("nvda-q3fy26", D(2025, 11, 19), "after_close")  # an update, not a duplicate
    alias = _ev("old-alias", D(2025, 5, 28))
    first = _ev("nvda-earnings-2025-08-27", D(2025, 8, 27))
    again = _ev("nvda-earnings-2025-08-28", D(2025, 8, 28))  # filed again the next day
    out = _link([same_id, alias, first, again], [SEED_NVDA], aliases={"old-alias": "x-old"})
    assert [r.event.id for r in out.keep] == ["nvda-q3fy26", "nvda-earnings-2025-08-27"]
    assert [(lk.alias_id, lk.event_id) for lk in out.links] == [
        ("old-alias", "x-old"),  # a known alias is linked again (the summary says so)
        ("nvda-earnings-2025-08-28", "nvda-earnings-2025-08-27"),
    ]


def test_a_timed_event_later_in_the_file_takes_over_earlier_links() -> None:
    a = _ev("a", D(2025, 8, 27))
    b = _ev("b", D(2025, 8, 28))  # alias of a
    timed = _ev("timed", D(2025, 8, 27), "after_close")  # replaces a (never stored)
    out = _link([a, b, timed], [])
    assert [r.event.id for r in out.keep] == ["timed"]
    assert sorted((lk.alias_id, lk.event_id, lk.replaces) for lk in out.links) == [
        ("a", "timed", False),
        ("b", "timed", False),
    ]
