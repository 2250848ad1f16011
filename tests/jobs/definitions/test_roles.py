"""The [roles] table of a study file: validated keys, tickers normalised, errors name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.definitions.shipped import load_study_argument, shipped_study, shipped_study_names
from jobs.definitions.study import parse_study, seed_study
from jobs.errors import UsageError


def test_roles_are_parsed_and_normalised() -> None:
    d = parse_study(
        {"roles": {"peers": ["googl", " meta "], "events": [{"id": "x", "direct": ["amd"]}]}},
        source="s.toml",
    )
    assert d.roles is not None
    assert d.roles.peers == ("GOOGL", "META")
    assert d.roles.events[0].direct == ("AMD",)
    assert d.roles.events[0].spillover is None  # not given: derived
    assert d.roles.fixed_tickers() == ("GOOGL", "META", "AMD")


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ({"peer": ["X"]}, r"s\.toml: field 'roles\.peer': Extra inputs"),
        ({"direct_from": "second"}, r"field 'roles\.direct_from'"),
        ({"spillover_from": ["everyone"]}, r"field 'roles\.spillover_from\.0'"),
        ({"peers": ["BAD TICKER"]}, r"field 'roles\.peers'"),
        ({"events": [{"id": "a"}, {"id": "a"}]}, r"roles\.events names a more than once"),
    ],
)
def test_bad_roles_name_the_field(roles: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_study({"roles": roles}, source="s.toml")


def test_a_study_without_roles_keeps_its_canonical_form() -> None:
    assert '"roles"' not in seed_study().canonical_json()
    assert '"roles"' in shipped_study("openai-deals").canonical_json()


def test_shipped_studies_by_name() -> None:
    assert {"seed", "openai-deals"} <= set(shipped_study_names())
    d = load_study_argument(Path("openai-deals"))
    assert d.study.id == "openai-deals" and d.roles is not None
    assert d.model.benchmarks[0] == "SPY" and d.main_window == (-1, 1)
    assert (d.model.estimation.start, d.model.estimation.end) == (-260, -11)
    assert {(-1, 1), (0, 0)} == {tuple(w) for w in d.model.windows}
    with pytest.raises(UsageError, match=r"no shipped study of that name; shipped: .*openai-deals"):
        shipped_study("nope")
    with pytest.raises(UsageError, match="cannot read study file"):
        load_study_argument(Path("missing.toml"))


def test_overrides_keep_roles_unless_tickers_are_named() -> None:
    d = shipped_study("openai-deals")
    assert d.with_overrides(events=["amd-openai"]).roles == d.roles
    narrowed = d.with_overrides(tickers=["AMZN"])
    assert narrowed.roles is None and narrowed.measure.tickers == ("AMZN",)
