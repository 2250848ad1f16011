"""What the benchmarks share: the data folder, the XNYS sessions and the real earnings dates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from storage.datadir import REPO_ROOT as ROOT
from storage.datadir import shared_data_dir as data_dir

__all__ = ["ROOT", "data_dir", "earnings_events", "xnys_sessions"]


def xnys_sessions() -> np.ndarray:
    """XNYS sessions 2002-2026, from the calendar that ships with ``events``."""
    from events import nyse

    sessions = nyse().sessions
    return sessions[
        (sessions >= np.datetime64("2002-01-01")) & (sessions <= np.datetime64("2026-12-31"))
    ]


def earnings_events(path: Path, sessions: np.ndarray) -> pl.DataFrame:
    """The real earnings dates as ``event_id, ticker, day0``; day 0 = first session on or
    after the filing date."""
    raw = pl.read_csv(path, try_parse_dates=True).sort("ticker", "filing_date")
    filed = raw.get_column("filing_date").to_numpy().astype("datetime64[D]")
    idx = np.searchsorted(sessions, filed, side="left")
    day0 = sessions[np.minimum(idx, sessions.shape[0] - 1)]
    return raw.with_row_index("n").select(
        pl.format("{}-{}", pl.col("ticker"), pl.col("n")).alias("event_id"),
        pl.col("ticker"),
        pl.Series("day0", day0).cast(pl.Date),
    )
