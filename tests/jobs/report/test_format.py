"""Plain JSON from report values, and the JSON text the report files hold."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np

from jobs.report.format import json_clean, json_text


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
