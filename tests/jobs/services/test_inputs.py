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
