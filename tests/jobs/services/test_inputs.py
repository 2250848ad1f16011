"""The study's input hash: equal inputs hash equal, any change that can move a number changes it."""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl

from jobs.services.inputs import _hash_frame


def _digest(frame: pl.DataFrame) -> str:
    h = hashlib.sha256()
    _hash_frame(h, frame)
    return h.hexdigest()


def _prices() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ticker": ["AMZN", "AMZN", "NVDA"],
            "date": [dt.date(2025, 10, 30), dt.date(2025, 10, 31), dt.date(2025, 10, 31)],
            "close": [222.86, 244.22, None],
            "flag": [True, None, False],
            "tags": [["a"], [], None],
        }
    )


def test_equal_frames_hash_equal_and_every_change_shows() -> None:
    base = _digest(_prices())
    assert base == _digest(_prices().clone())
    changed = [
        _prices().with_columns(
            pl.when(pl.col("close") == 244.22).then(244.23).otherwise("close").alias("close")
        ),
        _prices().with_columns(pl.col("close").fill_null(0.0)),  # a null is not a zero
        _prices().with_columns(pl.col("ticker").str.replace("NVDA", "NVD")),
        _prices().with_columns(pl.col("date").dt.offset_by("1d")),
        _prices().with_columns(pl.col("flag").fill_null(False)),
        _prices().with_columns(pl.col("tags").list.concat(pl.lit(["b"]))),
        _prices().rename({"close": "adj_close"}),
        _prices().head(2),
        _prices().reverse(),
    ]
    digests = [_digest(f) for f in changed]
    assert base not in digests and len(set(digests)) == len(digests)


def test_text_cannot_slide_between_rows() -> None:
    # "ab" + "c" and "a" + "bc" are different inputs
    a = pl.DataFrame({"ticker": ["ab", "c"]})
    b = pl.DataFrame({"ticker": ["a", "bc"]})
    assert _digest(a) != _digest(b)
    # an empty string and a null differ
    assert _digest(pl.DataFrame({"t": ["", "x"]})) != _digest(pl.DataFrame({"t": [None, "x"]}))


# -- observations and required spans against the literal per-row definitions --------------------

from typing import Any  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jobs.definitions.study import StudyDefinition, parse_study  # noqa: E402
from jobs.services.inputs import observations, required_spans  # noqa: E402


def _slow_observations(definition: StudyDefinition, selected: pl.DataFrame) -> pl.DataFrame:
    """The per-event loop: own tickers, then measure.tickers, then the roles, each once."""
    by_role: dict[str, list[str]] = {}
    if definition.roles is not None:
        from jobs.spillover.roles import assign_roles

        for event_id, ticker in (
            assign_roles(definition.roles, selected).select("event_id", "ticker").iter_rows()
        ):
            by_role.setdefault(event_id, []).append(ticker)
    rows: list[dict[str, Any]] = []
    for r in selected.iter_rows(named=True):
        own = list(r["tickers"] or [])
        wanted = (own if definition.measure.own_tickers else []) + [
            t
            for t in definition.measure.tickers
            if t not in own or not definition.measure.own_tickers
        ]
        wanted += by_role.get(r["event_id"], [])
        seen: set[str] = set()
        for t in wanted:
            if t not in seen:
                seen.add(t)
                rows.append(
                    {
                        "event_id": r["event_id"], "ticker": t, "day0": r["day0"],
                        "category": r["category"], "timing": r["timing"], "own": t in own,
                    }
                )  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={
            "event_id": pl.String, "ticker": pl.String, "day0": pl.Date,
            "category": pl.String, "timing": pl.String, "own": pl.Boolean,
        },
    )  # fmt: skip


def _slow_spans(
    obs: pl.DataFrame, definition: StudyDefinition, sessions: list[dt.date], last: dt.date
) -> pl.DataFrame:
    spec = definition.model
    lo = min(spec.estimation.start, min(a for a, _ in spec.windows)) - 1
    hi = max(b for _, b in spec.windows)
    index = {d: i for i, d in enumerate(sessions)}
    controls = definition.roles.controls if definition.roles is not None else ()
    need: dict[str, tuple[dt.date, dt.date]] = {}
    for ticker, day0 in obs.select("ticker", "day0").iter_rows():
        i = index.get(day0)
        if i is None:
            continue
        start = sessions[max(0, i + lo)]
        end = min(sessions[min(len(sessions) - 1, i + hi)], last)
        for t in (ticker, *spec.benchmarks, *controls):
            a, b = need.get(t, (start, end))
            need[t] = (min(a, start), max(b, end))
    return pl.DataFrame(
        [{"ticker": t, "start": a, "end": b} for t, (a, b) in sorted(need.items())],
        schema={"ticker": pl.String, "start": pl.Date, "end": pl.Date},
    )


_SESSIONS = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(400)]
_TICKERS = ["AMZN", "MSFT", "NVDA", "SPY", "ORCL"]


def _definition(own: bool, extra: list[str]) -> StudyDefinition:
    return parse_study(
        {
            "study": {"id": "t", "title": "t"},
            "measure": {"own_tickers": own, "tickers": extra},
            "model": {"benchmarks": ["SPY"]},
        },
        source="test",
    )


@settings(max_examples=80, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.lists(st.sampled_from(_TICKERS), max_size=4) | st.none(),  # own tickers
            st.integers(-20, 430),  # day 0 (some off the calendar)
        ),
        max_size=8,
    ),
    own=st.booleans(),
    extra=st.lists(st.sampled_from(_TICKERS), max_size=3, unique=True),
    last=st.integers(100, 399),
)
def test_observations_and_spans_equal_the_per_row_loops(
    events: list[tuple[list[str] | None, int]], own: bool, extra: list[str], last: int
) -> None:
    if not own and not extra:
        extra = ["SPY"]  # a study measures something (the definition refuses otherwise)
    definition = _definition(own, extra)
    selected = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(events))],
            "day0": [dt.date(2025, 1, 1) + dt.timedelta(days=d) for _, d in events],
            "category": ["deal"] * len(events),
            "timing": ["intraday"] * len(events),
            "tickers": [t for t, _ in events],
        },
        schema={
            "event_id": pl.String, "day0": pl.Date, "category": pl.String,
            "timing": pl.String, "tickers": pl.List(pl.String),
        },
    )  # fmt: skip
    obs = observations(definition, selected)
    assert obs.equals(_slow_observations(definition, selected))
    cut = _SESSIONS[last]
    assert required_spans(obs, definition, _SESSIONS, cut).equals(
        _slow_spans(obs, definition, _SESSIONS, cut)
    )


def test_a_spillover_studys_observations_and_spans_equal_the_per_row_loops() -> None:
    from jobs.definitions.roles import RolesSpec

    definition = _definition(True, ["QQQ"]).model_copy(
        update={"roles": RolesSpec(peers=("GOOGL", "AMZN"), controls=("IWM",))}
    )
    selected = pl.DataFrame(
        {
            "event_id": ["orcl", "amd", "msft"],
            "day0": [dt.date(2025, 3, 1), dt.date(2025, 6, 1), dt.date(2025, 9, 1)],
            "category": ["deal"] * 3,
            "timing": ["intraday"] * 3,
            "tickers": [["ORCL", "CRWV", "NVDA"], ["AMD", "NVDA"], ["MSFT", "QQQ"]],
            "tags": [["seed"], [], ["related:AMZN"]],
        },
        schema={
            "event_id": pl.String, "day0": pl.Date, "category": pl.String,
            "timing": pl.String, "tickers": pl.List(pl.String), "tags": pl.List(pl.String),
        },
    )  # fmt: skip
    obs = observations(definition, selected)
    assert obs.height > 9  # own, QQQ, and the roles' tickers
    assert obs.equals(_slow_observations(definition, selected))
    spans = required_spans(obs, definition, _SESSIONS, _SESSIONS[-1])
    assert "IWM" in spans.get_column("ticker").to_list()
    assert spans.equals(_slow_spans(obs, definition, _SESSIONS, _SESSIONS[-1]))


# -- day-0 moves and the sort check ----------------------------------------------------------

from backtest.inputs import in_order  # noqa: E402
from jobs.services.inputs import day0_moves  # noqa: E402


def _slow_moves(obs: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """Each observation's day-0 row and its ticker's previous stored row, by a Python loop."""
    by_ticker: dict[str, list[tuple[dt.date, float, float]]] = {}
    for t, d, o, c in prices.select("ticker", "date", "open", "close").iter_rows():
        by_ticker.setdefault(t, []).append((d, o, c))
    rows = []
    for e, t, d0, timing in obs.select("event_id", "ticker", "day0", "timing").iter_rows():
        series = sorted(by_ticker.get(t, []))
        gap = otc = ctc = None
        for k, (d, o, c) in enumerate(series):
            if d == d0:
                prev = series[k - 1][2] if k > 0 else None
                otc = c / o - 1 if o is not None else None
                if prev is not None:
                    gap = o / prev - 1 if o is not None else None
                    ctc = c / prev - 1
        rows.append((e, t, d0, timing, gap, otc, ctc))
    return pl.DataFrame(
        rows,
        schema={
            "event_id": pl.String, "ticker": pl.String, "day0": pl.Date, "timing": pl.String,
            "gap": pl.Float64, "open_to_close": pl.Float64, "close_to_close": pl.Float64,
        },
        orient="row",
    ).sort("event_id", "ticker")  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["AMZN", "MSFT", "NVDA"]), st.integers(0, 12)),
        max_size=25,
        unique=True,
    ),
    picks=st.lists(
        st.tuples(st.sampled_from(["AMZN", "MSFT", "QQQ"]), st.integers(0, 13)),
        max_size=6,
        unique=True,
    ),
    shuffle=st.randoms(use_true_random=False),
)
def test_day0_moves_equal_a_loop_over_each_tickers_rows(
    rows: list[tuple[str, int]], picks: list[tuple[str, int]], shuffle: Any
) -> None:
    shuffle.shuffle(rows)  # the function must not assume sorted prices
    day = lambda i: dt.date(1969, 12, 25) + dt.timedelta(days=i)  # noqa: E731 (either side of 1970)
    prices = pl.DataFrame(
        {
            "ticker": [t for t, _ in rows],
            "date": [day(i) for _, i in rows],
            "open": [100.0 + i + (j % 3) for j, (_, i) in enumerate(rows)],
            "close": [101.0 + 2 * i for _, i in rows],
        },
        schema={"ticker": pl.String, "date": pl.Date, "open": pl.Float64, "close": pl.Float64},
    )
    obs = pl.DataFrame(
        {
            "event_id": [f"e{k}" for k in range(len(picks))],
            "ticker": [t for t, _ in picks],
            "day0": [day(i) for _, i in picks],
            "timing": ["after_close"] * len(picks),
        },
        schema={"event_id": pl.String, "ticker": pl.String, "day0": pl.Date, "timing": pl.String},
    )
    got = day0_moves(obs, prices)
    assert got.equals(_slow_moves(obs, prices))


def test_in_order_sorts_only_what_is_not_sorted() -> None:
    frame = pl.DataFrame({"t": ["A", "A", "B", "B"], "d": [1, 2, 1, 1]})
    assert in_order(frame, "t", "d") is frame  # ties are in order
    flipped = frame.reverse()
    assert in_order(flipped, "t", "d").equals(frame.sort("t", "d"))
    assert in_order(pl.DataFrame({"t": ["B", "A"], "d": [1, 2]}), "t", "d").get_column(
        "t"
    ).to_list() == ["A", "B"]
    assert in_order(pl.DataFrame({"t": ["A", "A"], "d": [2, 1]}), "t", "d").get_column(
        "d"
    ).to_list() == [1, 2]


# -- the data stamp's per-ticker rows ---------------------------------------------------------

from jobs.services.inputs import data_stamp  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["AMZN", "MSFT", "NVDA", "SPY"]), st.integers(0, 30)),
        max_size=40,
        unique=True,
    ),
    shuffle=st.randoms(use_true_random=False),
)
def test_the_stamp_gives_each_tickers_first_last_and_rows(
    rows: list[tuple[str, int]], shuffle: Any
) -> None:
    shuffle.shuffle(rows)
    day = lambda i: dt.date(2025, 9, 1) + dt.timedelta(days=i)  # noqa: E731
    loaded = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    prices = pl.DataFrame(
        {
            "ticker": [t for t, _ in rows],
            "date": [day(i) for _, i in rows],
            "open": 1.0, "close": 2.0, "adj_close": None,
            "source": "file:x.csv", "fetched_at": loaded,
        },
        schema={
            "ticker": pl.String, "date": pl.Date, "open": pl.Float64, "close": pl.Float64,
            "adj_close": pl.Float64, "source": pl.String, "fetched_at": pl.Datetime("us", "UTC"),
        },
    )  # fmt: skip
    actions = pl.DataFrame(
        schema={"ticker": pl.String, "date": pl.Date, "kind": pl.String, "value": pl.Float64}
    )
    obs = pl.DataFrame(schema={"event_id": pl.String, "ticker": pl.String})
    provenance = pl.DataFrame(
        {"ticker": sorted({t for t, _ in rows}), "loaded_at": loaded, "source": "file:x.csv"},
        schema={"ticker": pl.String, "loaded_at": pl.Datetime("us", "UTC"), "source": pl.String},
    )
    stamp, digest = data_stamp(prices, actions, None, obs, _definition(True, []), None, provenance)
    expected = []
    for t in sorted({t for t, _ in rows}):
        days = sorted(i for u, i in rows if u == t)
        expected.append(
            {
                "ticker": t, "first_used": day(days[0]).isoformat(),
                "last_used": day(days[-1]).isoformat(), "rows": len(days),
                "loaded_at": loaded.isoformat(), "source": "file:x.csv",
            }
        )  # fmt: skip
    assert stamp == expected
    shuffle.shuffle(rows)  # the same rows in another order: the same hash
    again = prices.sample(fraction=1.0, shuffle=True, seed=shuffle.randint(0, 99))
    assert (
        data_stamp(again, actions, None, obs, _definition(True, []), None, provenance)[1] == digest
    )
