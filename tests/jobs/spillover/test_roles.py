"""Roles per event: derived from the catalog's fields, spelled out per event, one per ticker."""

from __future__ import annotations

import polars as pl
import pytest

from jobs.definitions.roles import RolesSpec
from jobs.errors import UsageError
from jobs.spillover.roles import assign_roles, related_tickers


def _events(*rows: tuple[str, list[str], list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"event_id": e, "tickers": t, "tags": g} for e, t, g in rows],
        schema={"event_id": pl.String, "tickers": pl.List(pl.String), "tags": pl.List(pl.String)},
    )


RING = _events(
    ("orcl", ["ORCL", "CRWV", "NVDA"], ["seed"]),
    ("amd", ["AMD", "NVDA"], []),
    ("msft", ["MSFT"], ["related:AMZN", "related:not a ticker", "other:X"]),
)


def _roles(spec: RolesSpec, events: pl.DataFrame = RING) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for e, t, r in assign_roles(spec, events).iter_rows():
        out.setdefault(e, {}).setdefault(r, []).append(t)
    return out


def test_first_ticker_and_the_network_of_counterparties() -> None:
    roles = _roles(RolesSpec(peers=("GOOGL",)))
    assert roles["orcl"] == {"direct": ["ORCL"], "spillover": ["AMD", "MSFT"], "peer": ["GOOGL"]}
    assert roles["amd"] == {"direct": ["AMD"], "spillover": ["ORCL", "MSFT"], "peer": ["GOOGL"]}
    assert roles["msft"]["spillover"] == ["ORCL", "AMD"]


def test_own_tickers_other_own_tickers_and_related_tags() -> None:
    spec = RolesSpec(direct_from="own_tickers", spillover_from=("related_tags",))
    roles = _roles(spec)
    assert roles["orcl"] == {"direct": ["ORCL", "CRWV", "NVDA"]}
    assert roles["msft"] == {"direct": ["MSFT"], "spillover": ["AMZN"]}
    roles = _roles(RolesSpec(spillover_from=("other_own_tickers",)))
    assert roles["orcl"] == {"direct": ["ORCL"], "spillover": ["CRWV", "NVDA"]}
    assert roles["msft"] == {"direct": ["MSFT"]}


def test_a_ticker_has_one_role_direct_before_spillover_before_peer() -> None:
    spec = RolesSpec(spillover=("NVDA", "AMD"), peers=("NVDA", "META", "AMD"))
    roles = _roles(spec)
    assert roles["amd"] == {
        "direct": ["AMD"],
        "spillover": ["ORCL", "MSFT", "NVDA"],
        "peer": ["META"],
    }


def test_an_event_spelled_out_replaces_what_is_derived() -> None:
    spec = RolesSpec.model_validate(
        {"peers": ["META"], "events": [{"id": "amd", "direct": ["nvda"], "peers": []}]}
    )
    roles = _roles(spec)
    assert roles["amd"] == {"direct": ["NVDA"], "spillover": ["ORCL", "MSFT"]}
    # the network is every event's direct tickers, so NVDA is a partner of the other deals
    assert roles["orcl"]["spillover"] == ["NVDA", "MSFT"]


def test_an_unknown_event_in_roles_events_is_refused() -> None:
    spec = RolesSpec.model_validate({"events": [{"id": "nope"}]})
    with pytest.raises(UsageError, match=r"roles\.events names nope, which the study does not"):
        assign_roles(spec, RING)


def test_related_tags_keep_valid_symbols_only() -> None:
    assert related_tickers(["related:amzn", "related:", "related:a b", "seed", None or ""]) == [
        "AMZN"
    ]
    assert related_tickers(None) == []
