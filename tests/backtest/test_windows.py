"""Confounding lists and clean estimation windows (docs/statistics.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from backtest import EventStudyConfig, run_event_study

Panel = Callable[..., tuple[pl.DataFrame, list[dt.date]]]


def _events(rows: list[tuple[str, str, dt.date, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"event_id": pl.String, "ticker": pl.String, "day0": pl.Date, "category": pl.String},
        orient="row",
    )


def _lists(res: object) -> dict[tuple[str, str, int, int], list[str]]:
    car = res.car  # type: ignore[attr-defined]
    return {
        (r["event_id"], r["ticker"], r["start"], r["end"]): r["confounded_by"]
        for r in car.iter_rows(named=True)
    }


def test_amzn_friday_and_monday(make_weekdays: Callable[..., list[dt.date]]) -> None:
    """AMZN measured on 2025-11-03 over [-1, +1] is confounded by the 2025-10-31 AMZN event."""
    days = make_weekdays(320, dt.date(2024, 9, 2))
    assert dt.date(2025, 10, 31) in days and dt.date(2025, 11, 3) in days
    rng = np.random.default_rng(1)
    m = rng.normal(0, 0.01, len(days))
    returns = pl.concat(
        [
            pl.DataFrame({"ticker": "SPY", "date": days, "ret": m}),
            pl.DataFrame(
                {"ticker": "AMZN", "date": days, "ret": 1.3 * m + rng.normal(0, 0.02, len(days))}
            ),
            pl.DataFrame(
                {"ticker": "MSFT", "date": days, "ret": 0.9 * m + rng.normal(0, 0.01, len(days))}
            ),
        ]
    )
    events = _events(
        [
            ("amzn-q3", "AMZN", dt.date(2025, 10, 31), "earnings"),
            ("amzn-openai", "AMZN", dt.date(2025, 11, 3), "deal"),
            ("msft-q1", "MSFT", dt.date(2025, 10, 30), "earnings"),
        ]
    )
    res = run_event_study(events, returns)
    lists = _lists(res)
    assert lists[("amzn-openai", "AMZN", -1, 1)] == ["amzn-q3"]
    assert lists[("amzn-openai", "AMZN", 0, 0)] == []
    assert lists[("amzn-openai", "AMZN", 0, 1)] == []
    assert lists[("amzn-openai", "AMZN", -2, 2)] == ["amzn-q3"]
    assert lists[("amzn-q3", "AMZN", 0, 1)] == ["amzn-openai"]
    assert lists[("amzn-q3", "AMZN", -1, 1)] == ["amzn-openai"]
    assert lists[("amzn-q3", "AMZN", 0, 0)] == []
    # another ticker's event (not market-wide) never confounds
    assert all(not v for k, v in lists.items() if k[0] == "msft-q1")
    assert all("msft-q1" not in v for v in lists.values())
    diag = dict(res.diagnostics.select("event_id", "confounded_by").iter_rows())
    assert diag == {"amzn-openai": ["amzn-q3"], "amzn-q3": ["amzn-openai"], "msft-q1": []}


@pytest.mark.shared_data
def test_amzn_example_on_the_real_data(real_returns: pl.DataFrame) -> None:
    events = _events(
        [
            ("amzn-q3", "AMZN", dt.date(2025, 10, 31), "earnings"),
            ("amzn-openai", "AMZN", dt.date(2025, 11, 3), "deal"),
        ]
    )
    res = run_event_study(
        events.filter(pl.col("event_id") == "amzn-openai"),
        real_returns,
        EventStudyConfig(windows=((-1, 1),)),
        catalog=events,
    )
    row = res.car.row(0, named=True)
    assert row["confounded_by"] == ["amzn-q3"]
    assert row["status"] == "ok"
    # the CAR window holds AMZN's +9.58% (10-31) and +4.00% (11-03) moves
    ar = res.ar.sort("rel_day")
    assert ar.get_column("date").to_list() == [
        dt.date(2025, 10, 31),
        dt.date(2025, 11, 3),
        dt.date(2025, 11, 4),
    ]
    assert ar.item(0, "ret") == pytest.approx(0.0958, abs=5e-5)
    assert ar.item(1, "ret") == pytest.approx(0.0400, abs=5e-5)


def test_market_wide_categories_and_catalog(make_market_panel: Panel) -> None:
    returns, days = make_market_panel(120, {"A": (0, 1, 0.02), "B": (0, 1, 0.02)}, seed=2)
    events = _events([("a1", "A", days[100], "earnings"), ("b1", "B", days[110], "earnings")])
    catalog = pl.concat(
        [
            events,
            _events(
                [
                    ("fomc", "SPY", days[101], "macro"),  # market-wide: confounds everyone
                    ("cpi", "SPY", days[109], "data"),  # not market-wide by default
                    ("a0", "A", days[98], "earnings"),  # same ticker, day -2 of a1
                    (
                        "b-late",
                        "B",
                        days[-1] + dt.timedelta(days=30),
                        "earnings",
                    ),  # beyond the calendar: ignored
                ]
            ),
        ]
    )
    cfg = EventStudyConfig(
        windows=((0, 0), (-1, 1), (0, 2)), estimation_start=-60, estimation_end=-3, min_obs=40
    )
    res = run_event_study(events, returns, cfg, catalog=catalog)
    lists = _lists(res)
    assert lists[("a1", "A", 0, 0)] == []
    assert lists[("a1", "A", -1, 1)] == ["fomc"]
    assert lists[("a1", "A", 0, 2)] == ["fomc"]
    assert lists[("b1", "B", -1, 1)] == []
    diag = dict(res.diagnostics.select("event_id", "confounded_by").iter_rows())
    assert diag["a1"] == ["fomc"]  # a0 is at -2, outside the event period [-1, 2]
    assert diag["b1"] == []
    wide = cfg.model_copy(update={"market_wide_categories": frozenset({"macro", "data"})})
    lists = _lists(run_event_study(events, returns, wide, catalog=catalog))
    assert lists[("b1", "B", -1, 1)] == ["cpi"]
    none = cfg.model_copy(update={"market_wide_categories": frozenset()})
    lists = _lists(run_event_study(events, returns, none, catalog=catalog))
    assert lists[("a1", "A", -1, 1)] == []


def test_clean_estimation_window_hand_counted(make_market_panel: Panel) -> None:
    """Day 0 at session 100, E = sessions 60..97, event period [-1, 2].

    Other A events at sessions 70 (covers 69..72) and 96 (covers 95..98); A has no
    return at session 71. Sessions with data in E: 38 - 1 = 37. Removed for
    cleanliness: {69, 70, 72} and {95, 96, 97} = 6. L = 31. A B event at 80 and a
    macro event at 85 do not clean A's window.
    """
    returns, days = make_market_panel(130, {"A": (0.0005, 1.1, 0.02), "B": (0, 1, 0.02)}, seed=8)
    returns = returns.filter(~((pl.col("ticker") == "A") & (pl.col("date") == days[71])))
    events = _events([("x", "A", days[100], "news")])
    catalog = pl.concat(
        [
            events,
            _events(
                [
                    ("p1", "A", days[70], "news"),
                    ("p2", "A", days[96], "news"),
                    ("other", "B", days[80], "news"),
                    ("macro", "SPY", days[85], "macro"),
                ]
            ),
        ]
    )
    cfg = EventStudyConfig(
        windows=((0, 0), (-1, 1), (0, 2)), estimation_start=-40, estimation_end=-3, min_obs=20
    )
    res = run_event_study(events, returns, cfg, catalog=catalog)
    row = res.diagnostics.row(0, named=True)
    assert (row["n_est"], row["n_dropped_clean"]) == (31, 6)
    kept = [i for i in range(60, 98) if i not in {69, 70, 71, 72, 95, 96, 97}]
    r = {(t, d): v for t, d, v in returns.iter_rows()}
    X = np.array([[1.0, r[("SPY", days[i])]] for i in kept])
    y = np.array([r[("A", days[i])] for i in kept])
    theta, *_ = np.linalg.lstsq(X, y, rcond=None)
    assert [row["alpha"], row["beta"]] == pytest.approx(list(theta), rel=1e-9)
    off = run_event_study(
        events, returns, cfg.model_copy(update={"clean_estimation": False}), catalog=catalog
    )
    row = off.diagnostics.row(0, named=True)
    assert (row["n_est"], row["n_dropped_clean"]) == (37, 0)
    # the default catalog is the events frame itself: nothing else to clean
    alone = run_event_study(events, returns, cfg).diagnostics.row(0, named=True)
    assert (alone["n_est"], alone["n_dropped_clean"]) == (37, 0)


def test_own_catalog_entry_never_counts(make_market_panel: Panel) -> None:
    """Same event id measured on two tickers, and a catalog day 0 that differs from the events'."""
    returns, days = make_market_panel(130, {"A": (0, 1, 0.02), "B": (0, 1, 0.02)}, seed=3)
    events = _events([("deal", "A", days[100], None), ("deal", "B", days[100], None)])
    catalog = _events([("deal", "A", days[80], None), ("deal", "B", days[100], None)])
    cfg = EventStudyConfig(windows=((-1, 1),), estimation_start=-40, estimation_end=-2, min_obs=20)
    res = run_event_study(events, returns, cfg, catalog=catalog)
    rows = {r["ticker"]: r for r in res.diagnostics.iter_rows(named=True)}
    assert rows["A"]["n_dropped_clean"] == 0
    assert rows["A"]["confounded_by"] == [] and rows["B"]["confounded_by"] == []


def test_a_run_on_more_windows_restricted_is_the_run_on_its_windows(
    make_market_panel: Panel,
) -> None:
    """``on_windows``: the extra one-day windows change no number of the study's windows
    (the same fits, resamples and ranks), groups included; bad selections are refused."""
    tickers = {f"T{i}": (0.0, 0.5 + 0.1 * i, 0.02) for i in range(12)}
    returns, days = make_market_panel(160, tickers, seed=5)
    events = _events(
        [(f"e{i}", f"T{i}", days[120 + i % 7], "earnings" if i % 2 else "deal") for i in range(12)]
    ).with_columns(
        group=pl.when(pl.col("category") == "deal").then(pl.lit("d")).otherwise(pl.lit("e"))
    )
    windows = ((0, 0), (-1, 1), (0, 3))
    cfg = EventStudyConfig(windows=windows, estimation_start=-80, estimation_end=-3, min_obs=50)
    for evs in (events.drop("group"), events):
        alone = run_event_study(evs, returns, cfg)
        wide = cfg.model_copy(update={"windows": (*windows, (-1, -1), (1, 1), (2, 2), (3, 3))})
        both = run_event_study(evs, returns, wide)
        restricted = both.on_windows(windows)
        assert restricted.config == alone.config
        for name in ("diagnostics", "ar", "car", "car_path", "aar", "tests"):
            assert getattr(restricted, name).equals(getattr(alone, name)), name
        assert restricted.rbar == alone.rbar
        assert both.tests.height > alone.tests.height  # the one-day windows were measured
    with pytest.raises(ValueError, match=r"not among the run's"):
        both.on_windows(((0, 5),))
    with pytest.raises(ValueError, match=r"not in the run's order"):
        both.on_windows(((-1, 1), (0, 0), (0, 3)))
    with pytest.raises(ValueError, match=r"event period"):
        both.on_windows(((0, 0),))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_confounding_lists_equal_a_literal_loop(seed: int) -> None:
    """The lists (sorted, unique ids; empty; null when not located) against a loop over every
    observation and catalog event: the same ticker or a market-wide category, day 0 within
    the window, not the observation's own id. The catalog repeats ids (a ticker change) and
    ids that sort differently as strings and as numbers."""
    from backtest.windows import confounders

    rng = np.random.default_rng(seed)
    n_obs, n_cat, T = 300, 400, 60
    tickers = np.asarray(["AA", "B", "CCC", "D"])
    ids = np.asarray([f"e{i}" for i in range(n_cat)])
    ids[rng.integers(0, n_cat, 30)] = "e7"  # repeated ids
    cat = pl.DataFrame(
        {
            "event_id": ids,
            "ticker": tickers[rng.integers(0, 4, n_cat)],
            "category": np.asarray(["earnings", "fomc"])[(rng.random(n_cat) < 0.05).astype(int)],
            "pos": rng.integers(0, T, n_cat).astype(np.int64),
        }
    )
    take = rng.integers(0, n_cat, n_obs)
    obs = pl.DataFrame({"event_id": ids[take], "ticker": cat.get_column("ticker").to_numpy()[take]})
    pos = cat.get_column("pos").to_numpy()[take].copy()
    pos[rng.random(n_obs) < 0.1] = -1  # not located: null lists
    windows = [(0, 0), (-1, 1), (-5, 10), (-10, 10)]
    got = confounders(obs, pos, cat, n_sessions=T, windows=windows, market_wide={"fomc"})
    c_id, c_tk = cat.get_column("event_id").to_list(), cat.get_column("ticker").to_list()
    c_cat, c_pos = cat.get_column("category").to_list(), cat.get_column("pos").to_list()
    for j, (a, b) in enumerate(windows):
        want: list[list[str] | None] = []
        for i in range(n_obs):
            if pos[i] < 0:
                want.append(None)
                continue
            me, tk = obs.row(i)
            hits = {
                c_id[c]
                for c in range(n_cat)
                if (c_tk[c] == tk or c_cat[c] == "fomc")
                and a <= c_pos[c] - pos[i] <= b
                and c_id[c] != me
            }
            want.append(sorted(hits))
        assert got[j].to_list() == want
        assert got[j].dtype == pl.List(pl.String)
    assert sum(len(x or []) for x in got[2].to_list()) > 50  # the lists are not all empty
