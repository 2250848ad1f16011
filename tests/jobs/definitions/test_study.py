"""Study definitions and the study command's errors (no engine needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from jobs.cli import app
from jobs.definitions.study import TEST_NAMES, load_study, parse_study, seed_study
from jobs.errors import MissingDataError, UsageError
from jobs.services.inputs import missing_prices, observations, required_spans, select_events
from storage.store import Store

runner = CliRunner()


def _cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_seed_study_definition() -> None:
    d = seed_study()
    assert d.study.id == "seed"
    assert d.model.name == "market_model"
    assert d.model.benchmarks == ("SPY", "QQQ")
    assert d.model.windows == ((0, 0), (-1, 1), (0, 1), (-2, 2), (-5, 5), (0, 10))
    assert d.measure.tickers == ("AMZN", "NVDA", "MSFT")
    assert d.report.tests == TEST_NAMES
    assert d.measure.measures == ("return", "volume", "volatility")
    assert (d.model.conventions, d.model.replications, d.model.seed) == ("default", 1000, 20261201)
    # stored with every run: the canonical JSON names them
    assert '"conventions": "default"' in d.canonical_json()
    assert '"seed": 20261201' in d.canonical_json()


def test_measures_default_to_returns_and_repeat_once(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[study]\nid = 'x'\n")
    assert load_study(path).measure.measures == ("return",)
    path.write_text('[measure]\nmeasures = ["volume", "return", "volume"]\n')
    assert load_study(path).measure.measures == ("volume", "return")


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ('[model]\nname = "garch"\n', r"field 'model.name'"),
        ("[model]\nwindows = [[2, -2]]\n", r"window \[2, -2\] starts after it ends"),
        ("[model]\nbenchmarks = []\n", r"at least one benchmark"),
        ('[report]\ntests = ["t_test"]\n', r"unknown test\(s\) \['t_test'\]"),
        ("[measure]\nown_tickers = false\n", r"needs a tickers list"),
        ('[select]\nevent = ["x"]\n', r"field 'select.event'"),
        ("[model\n", r"is not valid TOML"),
        ('[measure]\nmeasures = ["volume"]\n', r'measures must include "return"'),
        ('[measure]\nmeasures = ["turnover"]\n', r"field 'measure.measures"),
        ('[model]\nconventions = "stata"\n', r"field 'model.conventions'"),
        (
            '[model]\nconventions = "eventstudy"\nvariance_denominator = "L-1"\n',
            r"fixes the residual variance",
        ),
        ("[model]\nreplications = -1\n", r"field 'model.replications'"),
    ],
    ids=[
        "model",
        "window",
        "benchmarks",
        "test-name",
        "nothing-measured",
        "typo",
        "toml",
        "no-return",
        "unknown-measure",
        "conventions",
        "conventions-and-variance",
        "replications",
    ],
)
def test_invalid_study_files(tmp_path: Path, toml: str, match: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(toml)
    with pytest.raises(UsageError, match=match):
        load_study(path)


def test_selection_and_observations(tmp_path: Path) -> None:
    code, _, _ = _cli(tmp_path / "r.duckdb", "status")  # seeds the store
    assert code == 0
    with Store(tmp_path / "r.duckdb").open() as db:
        events = db.events.frame()
    d = seed_study()
    selected = select_events(d, events)
    assert selected.height == 14
    obs = observations(d, selected)
    aws = obs.filter(pl.col("event_id") == "openai-aws")
    assert aws.get_column("ticker").to_list() == ["AMZN", "NVDA", "MSFT"]
    assert aws.get_column("own").to_list() == [True, True, True]
    loi = obs.filter(pl.col("event_id") == "nvda-openai-loi")
    # own tickers first, then the fixed list without repeats
    assert loi.get_column("ticker").to_list() == ["NVDA", "ORCL", "CRWV", "AMD", "AMZN", "MSFT"]
    narrowed = d.model_copy(
        update={"select": d.select.model_copy(update={"events": ("openai-aws",)})}
    )
    assert select_events(narrowed, events).get_column("event_id").to_list() == ["openai-aws"]
    bad = d.model_copy(update={"select": d.select.model_copy(update={"events": ("no-such",)})})
    with pytest.raises(UsageError, match="unknown event id"):
        select_events(bad, events)


def test_required_spans_and_missing() -> None:
    sessions = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(400)]  # a toy calendar
    obs = pl.DataFrame(
        {
            "event_id": ["e"],
            "ticker": ["AMZN"],
            "day0": [sessions[300]],
            "category": ["deal"],
            "timing": ["before_open"],
            "own": [True],
        }
    )
    d = seed_study()
    req = required_spans(obs, d, sessions, last_completed=sessions[305])
    row = req.filter(pl.col("ticker") == "AMZN").row(0, named=True)
    assert (
        row["start"] == sessions[300 - 261]
    )  # estimation starts at -260, plus one day for the first return
    assert row["end"] == sessions[305]  # capped at the last completed session, not +10
    assert set(req.get_column("ticker")) == {"AMZN", "SPY", "QQQ"}
    coverage = pl.DataFrame(
        {
            "ticker": ["AMZN", "SPY"],
            "first": [sessions[0], sessions[0]],
            "last": [sessions[305], sessions[302]],
        }
    )
    missing = missing_prices(req, coverage)
    assert missing.sort("ticker").select("ticker", "absent").rows() == [
        ("QQQ", True),
        ("SPY", False),
    ]


def test_offline_study_without_prices_says_what_to_import(tmp_path: Path) -> None:
    code, _, stderr = _cli(tmp_path / "r.duckdb", "study", "--offline", "--no-html")
    assert code == 1
    assert "prices are missing for" in stderr
    assert "AMZN (no prices at all; needed through" in stderr
    assert "reaction prices import FILE" in stderr
    assert "Traceback" not in stderr


def test_unknown_event_and_bad_study_file(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    code, _, stderr = _cli(db, "study", "--offline", "--event", "no-such-event")
    assert code == 1
    assert "unknown event id(s) no-such-event; 'reaction events list' shows the ids" in stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nname = "garch"\n')
    code, _, stderr = _cli(db, "study", str(bad), "--offline")
    assert code == 1
    assert "bad.toml: field 'model.name'" in stderr
    code, _, stderr = _cli(db, "study", "--offline", "--window", "minus-one")
    assert code == 1
    assert "--window 'minus-one' is not START:END" in stderr


def test_missing_data_error_is_lookup() -> None:
    assert issubclass(MissingDataError, LookupError)


def test_unreachable_source_stops_after_two_tickers(tmp_path: Path) -> None:
    import datetime as dt

    from jobs.services.study import run_study
    from storage.errors import SourceTimeoutError
    from storage.sources.memory import MemorySource

    store = Store(tmp_path / "r.duckdb")
    empty = pl.DataFrame(
        schema={
            "ticker": pl.String,
            "date": pl.Date,
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
            "adj_close": pl.Float64,
            "volume": pl.Int64,
        }
    )
    down = SourceTimeoutError("Yahoo did not answer (no network)", ticker=None)
    source = MemorySource(
        empty,
        failures=dict.fromkeys(
            ("AMD", "AMZN", "AVGO", "CRWV", "GOOGL", "META", "MSFT", "NVDA", "ORCL", "QQQ", "SPY"),
            down,
        ),
    )
    with pytest.raises(
        MissingDataError, match="fetch them again when Yahoo Finance can be reached"
    ):
        run_study(store, seed_study(), now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC), source=source)
    assert len(source.calls) == 2


def test_timing_policy_default_keeps_the_canonical_form() -> None:
    seed = seed_study()
    assert seed.model.timing_policy == "infer"
    assert "timing_policy" not in seed.canonical_json()  # older runs keep their hash
    assumed = parse_study({"model": {"timing_policy": "assume"}}, source="s.toml")
    assert '"timing_policy": "assume"' in assumed.canonical_json()
    two_day = parse_study(
        {"model": {"timing_policy": "two_day", "windows": [[-1, 1], [0, 1]]}}, source="s.toml"
    )
    assert two_day.model.windows == ((-1, 1), (0, 1))  # [0, +1] is not added twice
    assert two_day.main_window == (0, 1)


def test_an_unknown_timing_policy_is_named() -> None:
    with pytest.raises(UsageError, match=r"s\.toml: field 'model\.timing_policy'"):
        parse_study({"model": {"timing_policy": "guess"}}, source="s.toml")
