"""Plain JSON from report values, and the JSON text the report files hold."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jobs.report.format import _clean, json_clean, json_text


def test_json_clean_makes_every_value_plain_json() -> None:
    value = {
        "floats": [1.5, math.nan, math.inf, -math.inf, np.float64("nan"), np.float64(2.5)],
        "nested": (
            {"day": dt.date(2025, 10, 28)},
            [dt.datetime(2025, 11, 3, 13, 30, tzinfo=dt.UTC)],
        ),
        "plain": ["text", 3, True, None],
    }
    assert json_clean(value) == {
        "floats": [1.5, None, None, None, None, 2.5],
        "nested": [{"day": "2025-10-28"}, ["2025-11-03T13:30:00+00:00"]],
        "plain": ["text", 3, True, None],
    }


def test_json_text_is_the_standard_librarys_document_with_two_space_indents() -> None:
    doc = json_clean(
        {"run": "seed-1", "car": 0.11151397462160573, "rows": [{"t": "AMZN"}], "none": None,
         "title": "Amazon’s layoffs – 14,000"}
    )  # fmt: skip
    text = json_text(doc)
    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"  # the same layout
    small = {"q": 1.7159164147098762e-05, "p": 1e-300}
    assert json.loads(json_text(small)) == small  # every float to its last digit


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC, dt.timezone(dt.timedelta(hours=-5))])),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=25,
)


@given(_documents)
def test_json_clean_equals_the_walk_over_the_document(document: object) -> None:
    """orjson's write-and-read gives what the plain recursive walk gives (the walk is the
    rule written out: NaN and infinities null, dates and times ISO text, tuples lists)."""
    assert json_clean(document) == _clean(document)


def test_values_orjson_cannot_write_take_the_walk() -> None:
    document = {"by_id": {1: float("nan"), 2: dt.date(2025, 11, 3)}, "big": 2**70}
    assert json_clean(document) == {"by_id": {1: None, 2: "2025-11-03"}, "big": 2**70}
