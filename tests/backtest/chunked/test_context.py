"""The chunked engine's per-chunk inputs: the catalog rows of a chunk, the side files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from polars.testing import assert_series_equal

from backtest import EventStudyConfig
from backtest.chunked.chunk import ParquetSink
from backtest.chunked.context import SharedContext
from backtest.engine import prepare
from backtest.measures import Returns
from backtest.models import get_model
from backtest.windows import confounders


def test_a_chunks_catalog_rows_give_the_whole_catalogs_confounders(
    crowded_study: dict[str, Any],
) -> None:
    config = EventStudyConfig(windows=((0, 0), (-1, 1), (-5, 5)))  # "macro" is market-wide
    study = dict(crowded_study)
    events, returns = study.pop("events"), study.pop("returns")
    prep = prepare(Returns(config, get_model(config.model)), events, returns, **study)
    shared = SharedContext.of(prep)
    windows = [*config.windows, config.event_period]
    kw: dict[str, Any] = {
        "n_sessions": shared.ctx.layout.n_sessions,
        "windows": windows,
        "market_wide": config.market_wide_categories,
    }
    seen = 0
    for spec in shared.chunks(250):
        part = shared.chunk(spec)
        events, pos = part.events, part.pos.copy()
        if spec.index == 1:  # a ticker the catalog does not know, and days off the calendar
            events = events.with_columns(
                pl.when(pl.int_range(pl.len()) < 20)
                .then(pl.lit("NOPE"))
                .otherwise(pl.col("ticker"))
                .alias("ticker")
            )
            pos[20:40] = -1
        rows = shared.catalog_for(events, pos)
        assert rows.height < shared.catalog.height  # only the rows near the chunk's days
        small = confounders(events, pos, rows, **kw)
        whole = confounders(events, pos, shared.catalog, **kw)
        for a, b in zip(small, whole, strict=True):
            assert_series_equal(a, b)
        seen += sum(int(s.list.len().sum() or 0) for s in whole)
    assert seen > 0  # the windows are confounded, by same-ticker and market-wide events


def test_side_files_write_a_list_as_its_concatenation(tmp_path: Path) -> None:
    sink = ParquetSink(tmp_path / "run")
    sink.claim()
    rng = np.random.default_rng(4)
    pieces = [np.zeros((0, 7)), rng.normal(size=(3, 7)), rng.normal(size=(5, 7))]
    codes = np.arange(8, dtype=np.int8)
    sink.write_work(3, {"z": pieces, "codes": codes, "none": [np.zeros(0)]})
    (part,) = sink.work_parts()
    assert part.name == "part-000003"
    z = np.load(part / "z.npy", mmap_mode="r")
    np.testing.assert_array_equal(z, np.concatenate(pieces))
    loaded = np.load(part / "codes.npy")
    assert loaded.dtype == np.int8
    np.testing.assert_array_equal(loaded, codes)
    assert np.load(part / "none.npy").shape == (0,)
