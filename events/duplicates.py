"""One announcement, several catalogs: linking duplicate events instead of storing them twice.

Two events are the same announcement when they have the same primary ticker and category, at
least one of them has no stated time of day (timing ``unknown`` or inferred), and their day 0s
are at most one session apart. The one-session tolerance is exactly the uncertainty of a
date-only day 0: a release after the close of the dated session first shows on the next one,
so an SEC filing date (``nvda-earnings-2025-11-19``, day 0 assumed 2025-11-19) and a catalog
entry with the time (``nvda-q3fy26``, after the close on 11-19, day 0 2025-11-20) describe one
announcement. Two events that both state their time are never linked: their day 0s are known,
so different day 0s are different news (a rumour on 10-27 and the confirmation on 10-28).

Of a linked pair one event is kept and the other becomes an *alias* of it: the one with a
stated time wins (it replaces a stored date-only event); otherwise the event stored first does.
Pure: no store, no clock.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from events.names import UNSTATED_TIMINGS

if TYPE_CHECKING:
    import datetime as dt

    from events.calendar import SessionCalendar
    from events.model import ResolvedEvent


class KnownEvent(NamedTuple):
    """A stored event as duplicate detection sees it (a tuple: tens of thousands are made)."""

    event_id: str
    ticker: str  # primary
    category: str
    day0: dt.date
    timing: str

    @property
    def stated(self) -> bool:
        return self.timing not in UNSTATED_TIMINGS


@dataclass(frozen=True)
class Link:
    """``alias_id`` is the same announcement as ``event_id`` (which is kept).

    ``replaces`` is True when the kept event is a new one replacing a stored event
    (``alias_id``) that had no stated time.
    """

    alias_id: str
    event_id: str
    ticker: str
    category: str
    day0: dt.date
    replaces: bool = False


@dataclass(frozen=True)
class Linked:
    """What :func:`link_duplicates` decided: the events to store and the links."""

    keep: list[ResolvedEvent]
    links: list[Link]

    @property
    def replaced(self) -> list[str]:
        """Stored events that new ones replace (to be removed and kept as aliases)."""
        return [link.alias_id for link in self.links if link.replaces]


def link_duplicates(
    incoming: Sequence[ResolvedEvent],
    stored: Iterable[KnownEvent],
    calendar: SessionCalendar,
    *,
    known_aliases: Mapping[str, str] | None = None,
    tolerance: int = 1,
) -> Linked:
    """Split ``incoming`` into events to store and links to events already there.

    An incoming event whose id is already stored is an update (never a duplicate of itself);
    one whose id is a known alias (``known_aliases``: alias -> event) stays linked to its
    event. Incoming events are also checked
    against each other, in order.
    """
    sessions = calendar.sessions

    @functools.cache
    def pos(day: dt.date) -> int:  # a few thousand distinct dates: looked up once each
        return int(np.searchsorted(sessions, np.datetime64(day, "D")))

    # (ticker, category) -> sorted [(session position, event id)]; the events by id
    index: dict[tuple[str, str], list[tuple[int, str]]] = {}
    by_id: dict[str, tuple[int, KnownEvent]] = {}

    def add(k: KnownEvent) -> None:
        at = pos(k.day0)
        by_id[k.event_id] = (at, k)
        bisect.insort(index.setdefault((k.ticker, k.category), []), (at, k.event_id))

    def remove(event_id: str) -> None:
        at, k = by_id.pop(event_id)
        index[(k.ticker, k.category)].remove((at, event_id))

    for k in stored:
        add(k)
    stored_ids = set(by_id)
    incoming_ids = {r.event.id for r in incoming}
    aliases = dict(known_aliases or {})
    keep: dict[str, ResolvedEvent] = {}
    links: list[Link] = []
    for r in incoming:
        ev = r.event
        if ev.id in aliases and aliases[ev.id] not in incoming_ids:
            links.append(Link(ev.id, aliases[ev.id], ev.tickers[0], ev.category, r.day0))
            continue
        mine = KnownEvent(ev.id, ev.tickers[0], ev.category, r.day0, ev.timing)
        if ev.id in by_id:  # an update of a stored event (or a repeated id): no duplicate
            remove(ev.id)
            add(mine)
            keep[ev.id] = r
            continue
        match = _match(mine, pos(r.day0), index, by_id, tolerance)
        if match is None:
            add(mine)
            keep[ev.id] = r
        elif mine.stated and not match.stated:
            # the event with a stated time wins: the date-only one becomes its alias
            links = [
                Link(lk.alias_id, ev.id, lk.ticker, lk.category, lk.day0, lk.replaces)
                if lk.event_id == match.event_id
                else lk
                for lk in links
            ]
            links.append(
                Link(
                    match.event_id,
                    ev.id,
                    mine.ticker,
                    ev.category,
                    r.day0,
                    replaces=match.event_id in stored_ids,
                )
            )
            remove(match.event_id)
            keep.pop(match.event_id, None)
            add(mine)
            keep[ev.id] = r
        else:
            links.append(Link(ev.id, match.event_id, mine.ticker, ev.category, match.day0))
    return Linked(keep=list(keep.values()), links=links)


def _match(
    mine: KnownEvent,
    at: int,
    index: dict[tuple[str, str], list[tuple[int, str]]],
    by_id: dict[str, tuple[int, KnownEvent]],
    tolerance: int,
) -> KnownEvent | None:
    """The nearest event of the same ticker and category within ``tolerance`` sessions that
    may be the same announcement (at least one of the two has no stated time)."""
    entries = index.get((mine.ticker, mine.category), [])
    lo = bisect.bisect_left(entries, (at - tolerance, ""))
    best: tuple[int, KnownEvent] | None = None
    for p, event_id in entries[lo:]:
        if p > at + tolerance:
            break
        other = by_id[event_id][1]
        if mine.stated and other.stated:
            continue
        if best is None or abs(p - at) < best[0]:
            best = (abs(p - at), other)
    return None if best is None else best[1]
