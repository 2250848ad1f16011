"""Roles in a network of events: who is the counterparty, who the other partners, who the peers.

A study with a ``[roles]`` table is a *spillover study*: every selected event is measured on
every ticker that has a role in it, and each (event, ticker) cell carries its role::

    [roles]
    direct_from = "first_ticker"     # the counterparty: the event's first ticker (or
                                     # "own_tickers": all of them; "none": only `direct`)
    direct = []                      # more direct tickers, for every event
    spillover_from = ["network"]     # the other partners: "network" (every selected event's
                                     # direct tickers), "other_own_tickers" (the event's other
                                     # tickers), "related_tags" (its `related:TICKER` tags)
    spillover = []                   # more partners, for every event
    peers = ["GOOGL", "META"]        # peers, for every event (e.g. the hyperscalers)
    controls = ["SPY", "QQQ", "XLK"] # market-wide controls: their own move on each event
                                     # (default: the model's benchmarks)

    [[roles.events]]                 # one event's roles spelled out (replaces what is derived)
    id = "openai-aws"
    direct = ["AMZN"]
    spillover = ["NVDA", "MSFT"]
    peers = ["GOOGL", "META"]

A ticker has one role per event: direct before spillover before peer (a counterparty of one
deal is a partner in the others). :func:`jobs.spillover.roles.assign_roles` applies the rules.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias, get_args

from pydantic import Field, field_validator, model_validator

from events import normalise_ticker_list
from jobs.definitions._common import Strict

#: A cell's role; ``other`` is a measured ticker that has no role in that event.
Role: TypeAlias = Literal["direct", "spillover", "peer", "other"]
ROLES: tuple[Role, ...] = get_args(Role)
#: Where an event's direct tickers come from.
DirectRule: TypeAlias = Literal["first_ticker", "own_tickers", "none"]
#: Where an event's spillover tickers come from (several may be given; their union counts).
SpilloverRule: TypeAlias = Literal["network", "other_own_tickers", "related_tags"]
SPILLOVER_RULES: tuple[SpilloverRule, ...] = get_args(SpilloverRule)

#: The tag prefix that names a related ticker in a catalog (``related:AMZN``).
RELATED_TAG = "related:"


class EventRoles(Strict):
    """One event's roles, spelled out; a list given here replaces the derived one."""

    id: Annotated[str, Field(min_length=1)]
    direct: tuple[str, ...] | None = None
    spillover: tuple[str, ...] | None = None
    peers: tuple[str, ...] | None = None

    @field_validator("direct", "spillover", "peers", mode="after")
    @classmethod
    def _normalised(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if v is None else normalise_ticker_list(v)


class RolesSpec(Strict):
    """The ``[roles]`` table of a spillover study (see the module docstring)."""

    direct_from: DirectRule = "first_ticker"
    direct: tuple[str, ...] = ()
    spillover_from: tuple[SpilloverRule, ...] = ("network",)
    spillover: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    events: tuple[EventRoles, ...] = ()

    @field_validator("direct", "spillover", "peers", "controls", mode="after")
    @classmethod
    def _normalised(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return normalise_ticker_list(v)

    @model_validator(mode="after")
    def _unique_events(self) -> RolesSpec:
        ids = [e.id for e in self.events]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"roles.events names {', '.join(twice)} more than once")
        return self

    def fixed_tickers(self) -> tuple[str, ...]:
        """Every ticker the table names (for every event or for one), in order, once."""
        out = [*self.direct, *self.spillover, *self.peers]
        for e in self.events:
            out += [*(e.direct or ()), *(e.spillover or ()), *(e.peers or ())]
        return tuple(dict.fromkeys(out))
