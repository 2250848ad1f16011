"""Frames in and out of DuckDB through the Arrow C stream interface (``storage.repos._db``):
the same frames as DuckDB's pyarrow path gives, every column type the store uses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from storage.repos._db import ArrowStream, Db

FRAME = pl.DataFrame(
    {
        "s": ["a", None, "é"],
        "i": [1, None, 3],
        "f": [0.5, None, float("inf")],
        "b": [True, None, False],
        "d": [dt.date(1969, 12, 31), None, dt.date(2025, 10, 28)],
        "ts": [dt.datetime(2025, 10, 28, 20, 5, tzinfo=dt.UTC), None, None],
        "l": [["openai-aws"], [], None],
        "st": [{"alpha": 0.1, "beta": 1.2}, None, {"alpha": None, "beta": 0.9}],
        "none": [None, None, None],  # polars' Null type
    }
)


def test_a_scanned_frame_is_read_back_as_duckdbs_pyarrow_path_reads_it(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    db = Db(con, path=tmp_path / "x.duckdb", read_only=False, clock=lambda: dt.datetime.now(dt.UTC))
    with db.registered("_f", FRAME, what="scan"):
        db.execute("CREATE TABLE t AS SELECT * FROM _f", what="copy")
        db.execute("CREATE TABLE u AS SELECT * FROM _f", what="copy twice")  # scanned again
    got = db.frame("SELECT * FROM t", what="read")
    want = con.sql("SELECT * FROM t").pl()  # pyarrow's conversion, the reference
    assert got.schema == want.schema and got.equals(want)
    assert got.drop("none").rows() == FRAME.drop("none").rows()  # every value as it went in
    assert got.get_column("none").null_count() == 3
    assert db.value("SELECT count(*) FROM u", what="count") == 3
    empty = db.frame("SELECT * FROM t WHERE false", what="read none")
    assert empty.height == 0 and empty.schema == want.schema


def test_the_stream_can_be_taken_more_than_once() -> None:
    stream = ArrowStream(FRAME)
    first = pl.DataFrame(stream)  # polars reads any object with __arrow_c_stream__
    second = pl.DataFrame(stream)
    assert first.equals(second)
    assert first.schema["none"] == pl.String  # Null columns cross as text
