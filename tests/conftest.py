"""Shared test fixtures.

Real data (``../shared/data``) is reached through one fixture, :func:`shared_data`:
``REACTION_DATA_DIR`` if set, else ``shared/data`` beside the repository. Under CI
(``CI=true``) missing data fails the test; elsewhere the test is skipped with a
message that says where to put the data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.datadir import REPO_ROOT, shared_data_dir

__all__ = ["REPO_ROOT"]

#: Variables a test may not inherit from the developer's shell (the data folder is found once,
#: by :func:`storage.datadir.shared_data_dir`, so it stays).
_KEPT = {"REACTION_DATA_DIR"}


@pytest.fixture(autouse=True)
def _clean_reaction_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the caller's ``REACTION_*`` settings (e.g. ``REACTION_SEED``)."""
    for name in list(os.environ):
        if name.startswith("REACTION_") and name not in _KEPT:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with ``prices_daily.csv``, ``dividends.csv``, ``ff_factors_daily.csv`` ..."""
    path = shared_data_dir()
    if not (path / "prices_daily.csv").is_file():
        message = (
            f"shared test data not found at {path}: set REACTION_DATA_DIR to the folder "
            "holding prices_daily.csv, or place it at ../shared/data next to the repository"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def crowded_study() -> dict[str, object]:
    """A seeded study with what the chunked engine must carry across chunks.

    40 market-model tickers on 700 weekdays with a few missing days, 1,600
    observations (several per ticker, so windows confound each other and clean
    estimation drops days), three groups, a ticker without returns, a catalog with
    market-wide ``macro`` events. Keyword arguments of ``run_event_study``.
    """
    import datetime as dt

    import numpy as np
    import polars as pl

    rng = np.random.default_rng(20261201)
    days: list[dt.date] = []
    d = dt.date(2019, 1, 2)
    while len(days) < 700:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    market = rng.normal(0.0003, 0.01, len(days))
    frames = [pl.DataFrame({"ticker": "SPY", "date": days, "ret": market})]
    for i in range(40):
        ret = rng.normal(0, 3e-4) + rng.uniform(0.4, 1.6) * market
        ret = ret + rng.uniform(0.01, 0.03) * rng.standard_normal(len(days))
        ret[rng.random(len(days)) < 0.01] = np.nan
        frames.append(pl.DataFrame({"ticker": f"T{i:02d}", "date": days, "ret": ret}))
    returns = pl.concat(frames).filter(pl.col("ret").is_not_nan())
    n = 1600
    tickers = [f"T{int(k):02d}" for k in rng.integers(0, 41, n)]  # T40 has no returns
    events = pl.DataFrame(
        {
            "event_id": [f"E{i:05d}" for i in range(n)],
            "ticker": tickers,
            "day0": [days[int(k)] for k in rng.integers(150, 700, n)],
            "category": ["earnings"] * n,
            "group": rng.choice(["a", "b", "c"], n),
        }
    )
    macro = pl.DataFrame(
        {
            "event_id": [f"M{i}" for i in range(6)],
            "ticker": ["SPY"] * 6,
            "day0": [days[int(k)] for k in rng.integers(150, 700, 6)],
            "category": ["macro"] * 6,
        }
    )
    catalog = pl.concat([events.drop("group"), macro])
    return {"events": events, "returns": returns, "sessions": days, "catalog": catalog}
