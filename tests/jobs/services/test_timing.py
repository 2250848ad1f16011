"""Timing inference and duplicate linking on the shared data: importing earnings_dates.csv
(36,845 SEC filing dates) into a store that holds the seed catalog and the shared prices.

Expected facts come from the files and the calendar (which seed events the filing dates
duplicate, which events have prices), not from the code under test; the classifier's own
accuracy is measured on synthetic truth in tests/backtest/test_timing.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from events import nyse, read_event_csv
from jobs.definitions.study import seed_study
from jobs.runs import StudyRun
from jobs.services import ingest
from jobs.services.study import run_study
from jobs.services.timing import InferenceSummary, infer_stored
from storage.store import Store

LOADED = dt.datetime(2026, 11, 20, 23, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.shared_data

#: The seed events the filing dates duplicate: same ticker and category, the filing date one
#: session before (after-close releases) or on the seed's day 0.
SEED_DUPLICATES = {
    ("amzn-earnings-2025-10-30", "amzn-q3"),
    ("meta-earnings-2025-10-29", "meta-q3"),
    ("msft-earnings-2025-10-29", "msft-fy26q1"),
    ("nvda-earnings-2025-11-19", "nvda-q3fy26"),
    ("orcl-earnings-2025-09-09", "orcl-q1fy26"),
}


def _store(path: Path, shared_data: Path) -> Store:
    s = Store(path, clock=lambda: LOADED)
    with ingest.open_ready(s) as db:
        ingest.import_price_files(
            db, [shared_data / "prices_daily.csv", shared_data / "dividends.csv"]
        )
    return s


@pytest.fixture(scope="module")
def imported(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary]:
    """The seed study before and after importing earnings_dates.csv with --timing infer."""
    store = _store(tmp_path_factory.mktemp("timing") / "t.duckdb", shared_data)
    before = run_study(store, seed_study(), now=NOW, offline=True, save=False)
    events = read_event_csv(shared_data / "earnings_dates.csv")
    with store.open(write=True) as db:
        done = ingest.import_events(db, events, catalog="earnings_dates.csv")
        aliases = {a for a, _ in done.links}
        summary = infer_stored(db, event_ids=[e.id for e in events if e.id not in aliases])
    after = run_study(store, seed_study(), now=NOW, offline=True, save=False)
    return store, before, after, done, summary


def test_the_import_links_the_seed_duplicates_and_stores_the_rest(
    imported: tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary],
) -> None:
    store, _, _, done, _ = imported
    assert set(done.links) == SEED_DUPLICATES
    assert done.replaced == ()
    assert done.counts.inserted == 36845 - len(SEED_DUPLICATES)
    assert "5 duplicate(s) of stored events linked as aliases" in done.sentence()
    with store.open() as db:
        assert db.events.count() == 14 + 36845 - 5
        assert db.events.get("nvda-earnings-2025-11-19") is None
        assert {(a.alias_id, a.event_id) for a in db.events.aliases()} == SEED_DUPLICATES
        seed = db.events.get("nvda-q3fy26")
        assert seed is not None and (seed.timing, seed.day0) == (
            "after_close",
            dt.date(2025, 11, 20),
        )


def test_every_event_with_stored_prices_gets_a_day0_and_its_evidence(
    imported: tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary],
) -> None:
    store, _, _, _, summary = imported
    cal = nyse()
    with store.open() as db:
        spans = db.market.spans()
        events = [e for e in db.events.list() if e.catalog == "earnings_dates.csv"]
    priced = [e for e in events if e.tickers[0] in spans and cal.is_session(e.announced_date)]
    # the shared prices cover 8 of the 505 tickers (of the 13 priced, 3 are ETFs, Alphabet is
    # listed as GOOG, not GOOGL, and CoreWeave is not in the file)
    assert len({e.tickers[0] for e in priced}) == 8
    assert len(priced) == summary.after_close + summary.during_session + summary.undetermined
    for e in priced:
        ev = e.timing_evidence
        assert ev is not None and ev.session == e.announced_date, e.event_id
        want = {
            "after_close": (
                "inferred_after_close",
                cal.sessions_in_range(
                    e.announced_date + dt.timedelta(days=1), e.announced_date + dt.timedelta(days=7)
                )[0],
            ),
            "during_session": ("inferred_during_session", e.announced_date),
            "undetermined": ("unknown", e.announced_date),
        }[ev.decision]
        assert (e.timing, e.day0) == want, e.event_id
    unpriced = [e for e in events if e.tickers[0] not in spans]
    assert unpriced and all(e.timing_evidence is None for e in unpriced)
    assert summary.no_prices == sum(cal.is_session(e.announced_date) for e in unpriced)
    assert summary.closed_day == sum(not cal.is_session(e.announced_date) for e in events)
    # every one of these eight companies releases its results after the close (PROVENANCE.md):
    # what the rule decides should nearly always say so
    decided = summary.after_close + summary.during_session
    assert summary.after_close / decided >= 0.94  # measured 453 / 469 = 0.966
    assert summary.after_close / len(priced) >= 0.70  # measured 453 / 589 = 0.769
    print(summary.sentence())


def test_the_seed_study_changes_only_where_a_new_event_enters_a_window(
    imported: tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary],
) -> None:
    _, before, after, done, _ = imported
    aliases = {a for a, _ in done.links}
    keys = ["event_id", "ticker", "start", "end"]
    b, a = before.results["SPY"], after.results["SPY"]
    cars = b.car.join(a.car, on=keys, suffix="_after")
    diag = b.diagnostics.join(a.diagnostics, on=["event_id", "ticker"], suffix="_after")
    # a duplicate never shows as a confounder: it is the same announcement
    seen = {x for lst in a.car.get_column("confounded_by").to_list() for x in lst}
    assert not seen & aliases
    # new confounders inside an event window are genuinely new events (not seed ones)
    new_conf = cars.filter(
        pl.col("confounded_by_after").list.set_difference("confounded_by").list.len() > 0
    )
    entered = {
        x
        for x, y in zip(
            new_conf.get_column("confounded_by_after").to_list(),
            new_conf.get_column("confounded_by").to_list(),
            strict=True,
        )
        for x in set(x) - set(y)
    }
    assert entered == {"avgo-earnings-2025-09-04"}  # AVGO's Q3 release, 2025-09-04 after close
    # estimation windows: earlier quarters' earnings now leave them (clean_estimation)
    cleaned = diag.filter(pl.col("n_dropped_clean_after") != pl.col("n_dropped_clean"))
    changed = cars.filter((pl.col("car_after") - pl.col("car")).abs() > 1e-12)
    touched = set(cleaned.select("event_id", "ticker").iter_rows()) | set(
        new_conf.select("event_id", "ticker").iter_rows()
    )
    # a number changes only where a new event entered an estimation or event window
    assert set(changed.select("event_id", "ticker").iter_rows()) <= touched
    # and the study's warnings name the new confounder
    new_warnings = [w.text for w in after.warnings if w not in before.warnings]
    assert any("avgo-earnings-2025-09-04" in t for t in new_warnings)
    assert not any(alias in t for t in new_warnings for alias in aliases)


def test_importing_again_changes_nothing_and_keeps_the_inference(
    imported: tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary],
    shared_data: Path,
) -> None:
    store, _, _, _, _ = imported
    with store.open() as db:
        before = {e.event_id: (e.timing, e.day0) for e in db.events.list()}
    events = read_event_csv(shared_data / "earnings_dates.csv")
    with store.open(write=True) as db:
        again = ingest.import_events(db, events, catalog="earnings_dates.csv")
        after = {e.event_id: (e.timing, e.day0) for e in db.events.list()}
    assert (again.counts.inserted, again.counts.updated) == (0, 0)
    assert set(again.links) == SEED_DUPLICATES  # the summary says so again
    assert after == before


def test_a_stated_time_is_never_overridden(
    imported: tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary],
) -> None:
    store, _, _, _, _ = imported
    with store.open() as db:
        stated = {
            e.event_id: (e.timing, e.day0) for e in db.events.list() if e.timing == "after_close"
        }
    with store.open(write=True) as db:
        infer_stored(db, event_ids=list(stated), again=True)
        assert {e: (db.events.get(e).timing, db.events.get(e).day0) for e in stated} == stated  # type: ignore[union-attr]


def test_infer_runs_when_prices_arrive_later(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "late.duckdb", clock=lambda: LOADED)
    with ingest.open_ready(store, seed=False) as db:
        ingest.import_events(
            db, read_event_csv(shared_data / "earnings_dates.csv"), catalog="e.csv"
        )
        first = infer_stored(db)
        assert first.inferred == 0 and first.no_prices > 36000
        ingest.import_price_files(db, [shared_data / "prices_daily.csv"])
        later = infer_stored(db, event_ids=["amzn-earnings-2025-10-30", "amzn-earnings-2025-07-31"])
        amzn = db.events.get("amzn-earnings-2025-10-30")
    assert later.considered == 2
    # Amazon's Q3 release came after the close on 10-30; the stock moved +9.6% on 10-31
    assert amzn is not None and amzn.timing_evidence is not None
    assert (amzn.timing, amzn.day0) == ("inferred_after_close", dt.date(2025, 10, 31))
    assert amzn.timing_evidence.abnormal_volume_1 > amzn.timing_evidence.abnormal_volume_0  # type: ignore[operator]


@pytest.mark.parametrize(
    ("policy", "day0", "windows"),
    [
        # AMZN filed its Q2 8-K on Thursday 2025-07-31, after the close: inferred day 0 = 08-01
        ("infer", dt.date(2025, 8, 1), [(0, 0)]),
        ("assume", dt.date(2025, 7, 31), [(0, 0)]),
        ("two_day", dt.date(2025, 7, 31), [(0, 0), (0, 1)]),
    ],
)
def test_a_study_dates_date_only_events_by_its_timing_policy(
    imported: tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary],
    policy: str,
    day0: dt.date,
    windows: list[tuple[int, int]],
) -> None:
    from jobs.definitions.study import parse_study

    store = imported[0]
    with store.open() as db:
        stored = db.events.get("amzn-earnings-2025-07-31")
    assert stored is not None and stored.timing == "inferred_after_close"
    definition = parse_study(
        {
            "study": {"id": f"policy-{policy}"},
            "select": {"events": ["amzn-earnings-2025-07-31", "amzn-q3"]},
            "model": {"benchmarks": ["SPY"], "windows": [[0, 0]], "timing_policy": policy},
        },
        source="test",
    )
    run = run_study(store, definition, now=NOW, offline=True, save=False)
    days = dict(run.observations.select("event_id", "day0").iter_rows())
    assert days["amzn-earnings-2025-07-31"] == day0
    assert days["amzn-q3"] == dt.date(2025, 10, 31)  # a stated time: the same under every policy
    assert [tuple(w) for w in definition.model.windows] == windows
    assert definition.main_window == ((0, 1) if policy == "two_day" else (0, 0))
    texts = [w.text for w in run.warnings if w.code == "assumed_timing"]
    said = f"amzn-earnings-2025-07-31 has no known time of day; day 0 = {day0} is " + (
        "inferred from the prices" if policy == "infer" else "assumed (assumed_same_session)"
    )
    assert any(said in t for t in texts), texts


def test_a_study_naming_a_duplicate_counts_the_announcement_once(
    imported: tuple[Store, StudyRun, StudyRun, ingest.EventImport, InferenceSummary],
) -> None:
    from jobs.definitions.study import parse_study

    definition = parse_study(
        {
            "study": {"id": "alias"},
            "select": {"events": ["nvda-earnings-2025-11-19", "nvda-q3fy26"]},
            "model": {"benchmarks": ["SPY"], "windows": [[0, 1]]},
        },
        source="test",
    )
    run = run_study(imported[0], definition, now=NOW, offline=True, save=False)
    assert run.observations.select("event_id", "ticker", "day0").rows() == [
        ("nvda-q3fy26", "NVDA", dt.date(2025, 11, 20))
    ]


def test_a_study_catalog_with_a_duplicate_measures_the_stored_event(
    shared_data: Path, tmp_path: Path
) -> None:
    from jobs.definitions.study import parse_study

    store = _store(tmp_path / "c.duckdb", shared_data)
    catalog = tmp_path / "mine.toml"
    catalog.write_text(
        '[[event]]\nid = "my-amzn-q3"\ntitle = "Amazon Q3 (my list)"\ncategory = "earnings"\n'
        'announced = 2025-10-30\ntickers = ["AMZN"]\n',
        encoding="utf-8",
    )
    definition = parse_study(
        {
            "study": {"id": "mine"},
            "select": {"catalog": str(catalog)},
            "model": {"benchmarks": ["SPY"], "windows": [[0, 1]]},
        },
        source="test",
    )
    run = run_study(store, definition, now=NOW, offline=True, save=False)
    # the date-only entry is the seed's amzn-q3 (after the close on 10-30): measured once, as it
    assert run.observations.select("event_id", "day0").rows() == [
        ("amzn-q3", dt.date(2025, 10, 31))
    ]
    with store.open() as db:
        assert [(a.alias_id, a.event_id) for a in db.events.aliases()] == [
            ("my-amzn-q3", "amzn-q3")
        ]
