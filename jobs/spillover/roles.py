"""Assigning roles: for each selected event, its direct, spillover and peer tickers.

Pure over the selected events frame (``event_id, tickers, tags``, as
:func:`jobs.services.inputs.select_events` returns it). The rules are those of
:class:`jobs.definitions.roles.RolesSpec`; a ticker gets the first role that names it, in the
order direct, spillover, peer.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from events import normalise_ticker
from events.errors import TickerError
from jobs.definitions.roles import RELATED_TAG, Role, RolesSpec
from jobs.errors import UsageError

#: The frame :func:`assign_roles` returns.
ROLE_SCHEMA = {"event_id": pl.String, "ticker": pl.String, "role": pl.String}


def related_tickers(tags: list[str] | None) -> list[str]:
    """The tickers named by ``related:TICKER`` tags (invalid symbols are left out)."""
    out = []
    for tag in tags or []:
        if tag.startswith(RELATED_TAG):
            try:
                out.append(normalise_ticker(tag.removeprefix(RELATED_TAG)))
            except TickerError:
                continue
    return out


def _direct(spec: RolesSpec, tickers: list[str]) -> list[str]:
    derived = {
        "first_ticker": tickers[:1],
        "own_tickers": tickers,
        "none": [],
    }[spec.direct_from]
    return [*derived, *spec.direct]


def assign_roles(spec: RolesSpec, selected: pl.DataFrame) -> pl.DataFrame:
    """``event_id, ticker, role`` for every selected event and every ticker with a role in it.

    Rows are in event order, then direct, spillover and peer tickers in the order the rules
    give them. Raises :class:`UsageError` when ``[[roles.events]]`` names an event the study
    does not select.
    """
    events: list[dict[str, Any]] = list(
        selected.select("event_id", "tickers", "tags").iter_rows(named=True)
    )
    ids = [e["event_id"] for e in events]
    unknown = [o.id for o in spec.events if o.id not in ids]
    if unknown:
        raise UsageError(
            f"roles.events names {', '.join(unknown)}, which the study does not select; "
            "check the ids against [select] and 'reaction events list'"
        )
    overrides = {o.id: o for o in spec.events}
    direct: dict[str, list[str]] = {}
    for e in events:
        o = overrides.get(e["event_id"])
        own = list(e["tickers"] or [])
        direct[e["event_id"]] = list(
            o.direct if o is not None and o.direct is not None else _direct(spec, own)
        )
    network = list(dict.fromkeys(t for e in events for t in direct[e["event_id"]]))
    rows: list[dict[str, str]] = []
    for e in events:
        event_id, own = e["event_id"], list(e["tickers"] or [])
        o = overrides.get(event_id)
        if o is not None and o.spillover is not None:
            spill = list(o.spillover)
        else:
            spill = []
            for rule in spec.spillover_from:
                if rule == "network":
                    spill += network
                elif rule == "other_own_tickers":
                    spill += own
                else:
                    spill += related_tickers(e["tags"])
            spill += spec.spillover
        peers = list(o.peers if o is not None and o.peers is not None else spec.peers)
        seen: set[str] = set()
        role: Role
        for role, tickers in (("direct", direct[event_id]), ("spillover", spill), ("peer", peers)):
            for t in tickers:
                if t not in seen:
                    seen.add(t)
                    rows.append({"event_id": event_id, "ticker": t, "role": role})
    return pl.DataFrame(rows, schema=ROLE_SCHEMA)
