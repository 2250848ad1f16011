"""jobs.warnings: the confounded-window warnings against a literal per-observation loop."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.warnings import StudyWarning, _confounded, window_label

WINDOWS = [(-1, 1), (0, 0), (-5, 5), (0, 1)]
#: The columns of the confounded cells ``_confounded`` reads.
SCHEMA = {
    "event_id": pl.String,
    "ticker": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "confounded_by": pl.List(pl.String),
}
IDS = ["E1", "E2", "E3", "E10", "e-ü", "Z"]


def _slow(
    mine: pl.DataFrame, day0: dict[str, dt.date], main_window: tuple[int, int] | None
) -> list[StudyWarning]:
    """One frame per (event, ticker), as the warnings were first written."""
    out = []
    keys = dict.fromkeys(mine.select("event_id", "ticker").iter_rows())
    for event_id, ticker in keys:
        group = mine.filter((pl.col("event_id") == event_id) & (pl.col("ticker") == ticker))
        others = sorted({e for lst in group.get_column("confounded_by").to_list() for e in lst})
        windows = ", ".join(window_label(a, b) for a, b in group.select("start", "end").iter_rows())
        named = ", ".join(f"{e} (day 0 {day0[e]})" if e in day0 else e for e in others)
        in_main: list[str] = []
        if main_window is not None:
            main = group.filter(
                (pl.col("start") == main_window[0]) & (pl.col("end") == main_window[1])
            )
            in_main = sorted({e for lst in main.get_column("confounded_by") for e in lst})
        out.append(
            StudyWarning(
                "confounded",
                f"confounded: {ticker} around {event_id}: window(s) {windows} also contain {named}",
                event_id,
                ticker,
                tuple(others),
                tuple(in_main),
            )
        )
    return out


cells = st.lists(
    st.tuples(
        st.sampled_from(["A1", "B2", "C3"]),  # event
        st.sampled_from(["AMZN", "MSFT"]),  # ticker
        st.sampled_from(WINDOWS),
        st.lists(st.sampled_from(IDS), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=25,
    unique_by=lambda c: (c[0], c[1], c[2]),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=cells,
    dated=st.sets(st.sampled_from(IDS)),
    main=st.sampled_from([None, *WINDOWS]),
)
def test_one_group_by_gives_the_warnings_of_a_loop_over_observations(
    rows: list[tuple[str, str, tuple[int, int], list[str]]],
    dated: set[str],
    main: tuple[int, int] | None,
) -> None:
    mine = pl.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "ticker": [r[1] for r in rows],
            "start": [r[2][0] for r in rows],
            "end": [r[2][1] for r in rows],
            "confounded_by": [r[3] for r in rows],
        },
        schema=SCHEMA,
    )
    day0 = {e: dt.date(2025, 10, 1) + dt.timedelta(days=i) for i, e in enumerate(sorted(dated))}
    assert _confounded(mine, day0, main) == _slow(mine, day0, main)


def test_no_confounded_observation_gives_no_warning() -> None:
    empty = pl.DataFrame(schema=SCHEMA)
    assert _confounded(empty, {}, (-1, 1)) == []
